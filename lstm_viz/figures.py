"""The lesson figures, each a `SliderFigure`: `valve_figure` (lesson 1, one gate as a valve)
and `UnrolledFigure` (lesson 3, the gates of a trace over time; lessons 6 and 7 reuse it).
They draw what `lstm_core` computed; they compute no LSTM themselves."""

import ipywidgets as widgets
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from lstm_core import sigmoid

from . import _checks
from .fast_drawing import _text_panel
from .sliders import SliderFigure, _float_options, check_blit, float_slider
from .style import (
    DPI,
    FONT,
    SIGNED_CMAP,
    add_cursor,
    gate_image,
    layout_font,
    new_figure,
    signed_image,
    signed_limit,
    style_axes,
)
from .style import layout as read_layout

MAX_VALVE_STEPS = 10_000  # the signal panel is ~500 px wide: more steps than that is a blur


# ---- lesson 1: one gate as a valve -------------------------------------------------------


def valve_figure(w=2.0, b=0.0, x=1.0, steps=60, period=20):
    """Lesson 1: a gate value sigma(w x + b) in (0, 1) multiplying a signal.

    Left: sigma(w x' + b) and tanh(w x' + b) against the gate's input x', a dot at x.
    Right: a signal s_t (a sine over `steps` steps) and what the gate lets through,
    sigma(w x + b) * s_t. Controls: w (weight), b (bias), x (the gate's input).
    The returned SliderFigure has `.gate_value()` and `.readout` (the numbers shown).

    w, b and x start the sliders (w, b in [-6, 6], x in [-3, 3], on a 0.1 grid); `steps` is an
    integer in [2, MAX_VALVE_STEPS] and `period` a number of steps, at least 2.
    """
    # Every argument is checked before anything exists: a refused call leaves no figure.
    ranges = {"w": (w, -6, 6), "b": (b, -6, 6), "x": (x, -3, 3)}
    for name, (value, low, high) in ranges.items():
        _float_options(value, low, high, 0.1, None, name)
    steps = _checks.integer("steps", steps, 2, MAX_VALVE_STEPS)
    period = _checks.real_number("period", period)
    if period < 2:  # sampled fewer than twice a period, a sine is no wave (and 0 divides)
        raise ValueError(f"period must be at least 2 steps; got {period}")

    xs = np.linspace(-4, 4, 161)
    t_axis = np.arange(steps)
    signal = np.sin(2 * np.pi * t_axis / period)

    # 10.5 x 5.2 in = 840 x 416 px at DPI 80: it fits JupyterLab's 848 px output area at
    # 1280x800 with the file browser open (a live ipympl canvas does not shrink)
    fig = new_figure(figsize=(10.5, 5.2))
    ax_curve = fig.add_axes([0.085, 0.32, 0.385, 0.56])
    ax_sig = fig.add_axes([0.575, 0.32, 0.405, 0.56])
    style_axes(ax_curve, r"the gate: $\sigma(w x + b)$ and $\tanh(w x + b)$",
               "gate input $x$", "value")
    style_axes(ax_sig, r"the valve: $\sigma(w x + b) \odot s_t$", "time step $t$", "signal")
    ax_curve.set_xlim(xs[0], xs[-1])
    ax_curve.set_ylim(-1.1, 1.1)
    ax_curve.axhline(0, color="0.7", lw=1)
    ax_curve.axhspan(0, 1, color="#440154", alpha=0.06, lw=0)  # where a gate can live
    ax_sig.set_xlim(0, steps - 1)
    ax_sig.set_ylim(-1.15, 1.55)  # headroom for the legend
    ax_sig.plot(t_axis, signal, color="0.6", lw=2, label="signal $s_t$")

    (sig_curve,) = ax_curve.plot(xs, xs, color="#21918c", lw=3, label=r"$\sigma$: a valve, (0, 1)")
    (tanh_curve,) = ax_curve.plot(xs, xs, color="#b2182b", lw=2, ls="--",
                                  label=r"$\tanh$: a value, (-1, 1)")
    (sig_dot,) = ax_curve.plot([0], [0], "o", color="#21918c", ms=11, mec="black")
    (tanh_dot,) = ax_curve.plot([0], [0], "o", color="#b2182b", ms=9, mec="black")
    x_cursor = add_cursor(ax_curve, 0)
    (passed,) = ax_sig.plot(t_axis, signal, color="#21918c", lw=3, label="let through")
    ax_curve.legend(loc="upper left", fontsize=FONT["legend"])
    ax_sig.legend(loc="upper right", fontsize=FONT["legend"], ncols=2)
    readout = _text_panel(fig, [0.03, 0.02, 0.96, 0.14], FONT["readout"])

    def update(w, b, x):
        z = w * xs + b
        sig_curve.set_ydata(sigmoid(z))
        tanh_curve.set_ydata(np.tanh(z))
        a = w * x + b
        gate = float(sigmoid(a))
        sig_dot.set_data([x], [gate])
        tanh_dot.set_data([x], [np.tanh(a)])
        x_cursor.set_xdata([x, x])
        passed.set_ydata(gate * signal)
        readout.set_text(
            f"σ(w·x + b) = σ({w:.2f}·{x:.2f} {'-' if b < 0 else '+'} {abs(b):.2f})"
            f" = σ({a:.2f}) = {gate:.4f}"
            f"   → lets {100 * gate:.1f}% of the signal through\n"
            f"tanh(w·x + b) = tanh({a:.2f}) = {np.tanh(a):.4f}"
            "   (signed: a value to write, not a valve)")

    controls = {
        "w": float_slider(w, -6, 6, 0.1, description="weight w"),
        "b": float_slider(b, -6, 6, 0.1, description="bias b"),
        "x": float_slider(x, -3, 3, 0.1, description="input x"),
    }
    artists = [sig_curve, tanh_curve, x_cursor, sig_dot, tanh_dot, passed, readout]  # draw order
    view = SliderFigure(fig, controls, update, artists, text=lambda **_: readout.get_text())
    view.readout = readout
    view.passed = passed
    view.signal = signal
    view.gate_value = lambda: float(sigmoid(view.values["w"] * view.values["x"]
                                             + view.values["b"]))
    return view


# ---- lesson 3: the gates unrolled over time ----------------------------------------------

_PANELS = [  # (field, title, kind): row 1 the gates in (0, 1), row 2 the signed values
    ("f", "$f_t$ forget gate", "gate"),
    ("i", "$i_t$ input gate", "gate"),
    ("o", "$o_t$ output gate", "gate"),
    ("g", "$g_t$ candidate", "signed"),
    ("c", "$c_t$ cell state", "signed"),
    ("h", "$h_t$ hidden state", "signed"),
]
_LINE_COLORS = {"f": "#1b9e77", "i": "#d95f02", "o": "#7570b3",
                "g": "#e7298a", "c": "#222222", "h": "#66a61e"}
FIELDS = ("f", "i", "g", "o", "c", "h")


# Where UnrolledFigure's panels go in each layout (lstm_viz.layout()), in pixels from the
# figure's top left at DPI: one drawing method, two tables.
_GRID = {
    # 10.5 x 12 in = 840 x 960 px: at most 848 px wide, JupyterLab's output area at 1280x800
    # with the file browser open (a live ipympl canvas does not shrink). Rows, top to bottom:
    # the input, two rows of three heatmaps (190 px, its bar, its ticks: 262 px a column),
    # the selected unit's lines, and the readout under them all (beside the input it made the
    # figure 1040 px wide).
    "notebook": {
        "size": (840, 960),
        "heat": {"f": (62, 192), "i": (324, 192), "o": (586, 192),
                 "g": (62, 408), "c": (324, 408), "h": (586, 408)},
        "heat_size": (190, 140), "bar": (6, 9),  # colorbar: gap after the heatmap, width
        "xlabel": "fiogch", "ylabel": "fg",  # the panels that name their axes
        "input": (62, 36, 650, 92), "input_narrow": (62, 36, 580, 92),
        "legend_rows": 4,  # more inputs than this: a two-column legend, a narrower input
        "legend": {},  # matplotlib's legend spacing
        "unit_gates": (62, 634, 290, 110), "unit_signed": (462, 634, 290, 110),
        "unit_titles": ("the selected unit: gates $f_t, i_t, o_t$",
                        "the selected unit: $g_t, c_t, h_t$"),
        "readout": (62, 796, 770, 160),
        "ticks": None,  # matplotlib's own tick locators
    },
    # 15.5 x 7.5 in = 1240 x 600 px, for a 16:9 projector (classroom mode), PROJECTOR_FONT:
    # the classroom template zooms it to 0.98 at 1280x720 (its 18 pt are 19.6 px), 1.49 at
    # 1920x1080. Left: the input, the selected unit's lines, the readout under them; right:
    # the six heatmaps, the gates in (0, 1) in the first column, the signed values in the second.
    "projector": {
        "size": (1240, 600),
        "heat": {"f": (795, 40), "i": (795, 225), "o": (795, 410),
                 "g": (1030, 40), "c": (1030, 225), "h": (1030, 410)},
        "heat_size": (140, 125), "bar": (6, 10),
        "xlabel": "oh", "ylabel": "fio",
        "input": (92, 40, 500, 76), "input_narrow": (92, 40, 400, 76),
        "legend_rows": 3,
        "legend": {"borderaxespad": 0.2, "labelspacing": 0.3, "handletextpad": 0.4},
        "unit_gates": (92, 186, 195, 96), "unit_signed": (430, 186, 195, 96),
        "unit_titles": ("gates $f_t, i_t, o_t$", "$g_t, c_t, h_t$"),
        "readout": (30, 356, 700, 236),
        "ticks": 3,  # at most about this many ticks on a heatmap's axes
    },
}


_PRE = ("f_pre", "i_pre", "g_pre", "o_pre")
# What a trace's values must be, from how they are made: sigmoid, tanh and o * tanh(c). The
# panels' fixed colour limits show these ranges; a value outside is not an LSTM's trace.
_RANGES = {"f": (0.0, 1.0, "a sigmoid"), "i": (0.0, 1.0, "a sigmoid"),
           "o": (0.0, 1.0, "a sigmoid"), "g": (-1.0, 1.0, "a tanh"),
           "h": (-1.0, 1.0, "o_t * tanh(c_t)")}


def _trace_arrays(trace, batch, name="trace"):
    """The fields of a Gates trace as {field: (T, H)} float arrays for sequence `batch`, and
    the trace's number of sequences B (1 for (T, H) fields)."""
    missing = [f for f in FIELDS if not hasattr(trace, f)]
    if missing:
        raise TypeError(f"{name} must be an lstm_core.Gates trace (fields f, i, g, o, c, h); "
                        f"got {type(trace).__name__} without {missing}")
    arrays = {f: _checks.real_array(f"{name}.{f}", getattr(trace, f)) for f in FIELDS}
    arrays.update({f: _checks.real_array(f"{name}.{f}", getattr(trace, f)) for f in _PRE
                   if getattr(trace, f, None) is not None})  # a hand-made trace may lack them
    shape = arrays["f"].shape
    if len(shape) not in (2, 3):
        raise ValueError(f"{name}.f must be (T, H, B) or (T, H); got shape {shape}")
    for f, a in arrays.items():
        if a.shape != shape:
            raise ValueError(f"{name}.{f} must have the shape of {name}.f, {shape}; "
                             f"got {a.shape}")
    T, H, B = shape if len(shape) == 3 else (*shape, 1)
    if min(T, H, B) < 1:
        raise ValueError(f"{name} must have at least one time step, unit and sequence; "
                         f"got (T, H, B) = {(T, H, B)}")
    for f, (low, high, what) in _RANGES.items():
        a = arrays[f]
        if a.min() < low or a.max() > high:
            raise ValueError(f"{name}.{f} must be in [{low:g}, {high:g}] ({what}); got values "
                             f"from {a.min():.4g} to {a.max():.4g}")
    batch = _checks.integer("batch", batch, 0, B - 1)
    return {f: a[:, :, batch] if a.ndim == 3 else a for f, a in arrays.items()}, B  # (T, H)


def _input_array(x, T, B, batch):
    """x as (T, I) for sequence `batch`, from (T,), (T, I) or (T, B, I); None stays None."""
    if x is None:
        return None
    x = _checks.real_array("x", x)
    if x.ndim == 3:
        if x.shape[1] != B:
            raise ValueError(f"x (T, B, I) must have the trace's B = {B} sequences; "
                             f"got shape {x.shape}")
        x = x[:, batch, :]
    elif x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != T or x.shape[1] < 1:
        raise ValueError(f"x must be (T, I) or (T, B, I) with T = {T} (the trace's length) "
                         f"and I >= 1; got shape {x.shape}")
    return x


def _labels(labels, n):
    """checkpoint_labels: n strings the readout's monospace font can draw."""
    if labels is None:
        return [f"checkpoint {k}" for k in range(n)]
    if not isinstance(labels, (list, tuple)):
        raise TypeError(f"checkpoint_labels must be a list of str; got {type(labels).__name__}")
    if len(labels) != n:
        raise ValueError(f"checkpoint_labels must have one label per checkpoint ({n}); "
                         f"got {len(labels)}")
    for k, label in enumerate(labels):
        _checks.drawable_text(f"checkpoint_labels[{k}]", label, monospace=True)
    return list(labels)


class UnrolledFigure(SliderFigure):
    """Lesson 3: f, i, o, g, c, h as units-by-time heatmaps, the input above, a cursor at
    step t on every panel, one unit's gates as lines, and the numbers at (t, unit).

        tr = lstm.trace(x)
        view = UnrolledFigure(tr, x)              # controls: t (slider), unit (dropdown)
        view.set(t=40, unit=5); view.readout.get_text(); view.values_at()

    trace        an `lstm_core.Gates` from `LSTM.trace` (fields (T, H, B) or (T, H)); any
                 model's trace works, trained or not. `batch` picks the sequence.
                 None when `checkpoints` are given.
    x            the input sequence (T,), (T, I) or (T, B, I), drawn above the heatmaps
                 (optional).
    t, unit      the defaults (t defaults to step 10, or the last step if shorter).
    checkpoints  optional list of traces (e.g. one per training checkpoint, lessons 6-7):
                 adds a `checkpoint` slider that swaps the heatmaps' data in place
                 (`AxesImage.set_data`), with `checkpoint_labels` shown in the readout.
    c0           the initial cell state (H,), (H, 1) or (H, B) used for c_(t-1) at t = 0
                 (default zeros).
    layout       "notebook" (portrait, 840 x 960 px) or "projector" (landscape, 1240 x 600
                 px, PROJECTOR_FONT: classroom mode); default `lstm_viz.layout()`, which
                 reads $LSTM_VIZ_LAYOUT. The same panels, artists and numbers in both.

    Every value must be finite and at most 1e100 in magnitude, and the gates in their
    ranges (f, i, o in [0, 1], g and h in [-1, 1]). `set_trace(trace, x=None)` swaps the
    data in place from your own control too.
    """

    def __init__(self, trace, x=None, *, t=None, unit=0, batch=0, checkpoints=None,
                 checkpoint_labels=None, c0=None, title=None, blit="auto", layout=None):
        # Every argument is checked before anything exists: a refused call leaves no figure.
        check_blit(blit)
        self.layout = read_layout(layout)
        self.font = layout_font(self.layout)
        _checks.drawable_text("title", title, optional=True)
        if checkpoints is not None:
            if hasattr(checkpoints, "f") or not isinstance(checkpoints, (list, tuple)):
                raise TypeError(f"checkpoints must be a list of traces, one per checkpoint; "
                                f"got {type(checkpoints).__name__}")
            if not checkpoints:
                raise ValueError("checkpoints must be a non-empty list of traces; got []")
            if trace is not None:
                raise ValueError("give either trace or checkpoints (the figure starts at "
                                 "checkpoints[0]); got both")
            checked = [_trace_arrays(c, batch, f"checkpoints[{k}]")
                       for k, c in enumerate(checkpoints)]
            self._checkpoints = [cp for cp, _ in checked]
            self.checkpoint_labels = _labels(checkpoint_labels, len(checkpoints))
            data, B = checked[0]
        else:
            if checkpoint_labels is not None:
                raise ValueError("checkpoint_labels need checkpoints; got labels without them")
            self._checkpoints = None
            self.checkpoint_labels = None
            data, B = _trace_arrays(trace, batch)
        self.batch = int(batch)
        self.T, self.H = data["f"].shape
        for k, cp in enumerate(self._checkpoints or []):
            if cp["f"].shape != (self.T, self.H):
                raise ValueError(f"checkpoints[{k}] must have (T, H) = {(self.T, self.H)} "
                                 f"like the others; got {cp['f'].shape}")
        self.x = _input_array(x, self.T, B, self.batch)
        self.c0 = self._initial_cell_state(c0, B)
        t = _checks.integer("t", min(10, self.T - 1) if t is None else t, 0, self.T - 1)
        unit = _checks.integer("unit", unit, 0, self.H - 1)
        self.data = data
        self._shown_checkpoint = 0
        all_c = [data["c"]] + [cp["c"] for cp in self._checkpoints or []]
        self.c_limit = max(signed_limit(c) for c in all_c)

        fig = self._build(title)
        controls = {
            "t": widgets.IntSlider(t, min=0, max=self.T - 1, description="step t",
                                   continuous_update=True),
            "unit": widgets.Dropdown(options=list(range(self.H)), value=unit,
                                     description="unit"),
        }
        full = ()
        if self._checkpoints is not None:
            controls["checkpoint"] = widgets.IntSlider(
                0, min=0, max=len(self._checkpoints) - 1, description="checkpoint")
            full = ("checkpoint",)
        super().__init__(fig, controls, self._update_view, self._moving, blit=blit,
                         full_redraw=full,
                         text=lambda **_: self.readout.get_text())  # set by _update_view

    def _initial_cell_state(self, c0, B):
        if c0 is None:
            return np.zeros(self.H)
        c0 = _checks.real_array("c0", c0)
        if c0.shape in ((self.H,), (self.H, 1)):
            return c0.reshape(self.H)
        if c0.shape == (self.H, B):
            return c0[:, self.batch]
        raise ValueError(f"c0 must be (H,), (H, 1) or (H, B) with H = {self.H}, B = {B}; "
                         f"got shape {c0.shape}")

    # -- building (once)

    def _build(self, title):
        T, H = self.T, self.H
        grid, font = _GRID[self.layout], self.font
        fig = new_figure(figsize=(grid["size"][0] / DPI, grid["size"][1] / DPI))
        width_px, height_px = fig.get_size_inches() * fig.dpi

        def rect(left, top, width, height):  # pixels from the top left -> figure fraction
            return [left / width_px, 1 - (top + height) / height_px,
                    width / width_px, height / height_px]

        def fewer_ticks(axis, nbins):  # the projector's big tick labels: fewer of them
            if grid["ticks"]:
                axis.set_major_locator(MaxNLocator(nbins, integer=True))

        self.axes = {}
        self.images = {}
        self.cursors = []
        self.unit_boxes = []
        extent = (-0.5, T - 0.5, -0.5, H - 0.5)
        heat_w, heat_h = grid["heat_size"]
        bar_gap, bar_w = grid["bar"]
        for field, panel_title, kind in _PANELS:
            left, top = grid["heat"][field]
            ax = fig.add_axes(rect(left, top, heat_w, heat_h))
            cax = fig.add_axes(rect(left + heat_w + bar_gap, top, bar_w, heat_h))
            a = self.data[field].T  # (H, T): units by time
            if kind == "gate":
                im = gate_image(ax, a, cax=cax, font=font)
            else:
                im = signed_image(ax, a, 1.0 if field in "gh" else self.c_limit, cax=cax,
                                  font=font)
            im.set_extent(extent)
            style_axes(ax, panel_title, "time step $t$" if field in grid["xlabel"] else None,
                       "unit" if field in grid["ylabel"] else None, font=font)
            fewer_ticks(ax.xaxis, grid["ticks"])
            fewer_ticks(ax.yaxis, grid["ticks"])
            if grid["ticks"]:
                cax.yaxis.set_major_locator(MaxNLocator(2, symmetric=kind == "signed"))
            self.axes[field], self.images[field] = ax, im
            self.cursors.append(add_cursor(ax, 0))
            box = ax.add_patch(plt.Rectangle((-0.5, -0.5), T, 1, fill=False, ec="white",
                                             lw=1.3, path_effects=[path_effects.withStroke(
                                                 linewidth=3, foreground="black")]))
            self.unit_boxes.append(box)

        # the input sequence, above the heatmaps
        # the legend beside the input: one column up to 4 inputs, two up to 8 (a narrower axes)
        n_lines = self.x.shape[1] if self.x is not None and self.x.shape[1] <= 8 else 0
        legend_cols = 1 if n_lines <= grid["legend_rows"] else 2
        ax_x = fig.add_axes(rect(*grid["input" if legend_cols == 1 else "input_narrow"]))
        self.axes["x"] = ax_x
        self.input_lines = []
        if self.x is not None and self.x.shape[1] <= 8:
            for j in range(self.x.shape[1]):
                (ln,) = ax_x.plot(np.arange(T), self.x[:, j], lw=1.8, label=f"$x_t[{j}]$")
                self.input_lines.append(ln)
            lim = signed_limit(self.x) * 1.1
            ax_x.set_ylim(-lim, lim)
            ax_x.legend(loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=font["legend"],
                        frameon=False, ncols=legend_cols, columnspacing=0.8, handlelength=1.5,
                        **grid["legend"])
        elif self.x is not None:
            im = ax_x.imshow(self.x.T, cmap=SIGNED_CMAP, aspect="auto", origin="lower",
                             vmin=-signed_limit(self.x), vmax=signed_limit(self.x),
                             interpolation="nearest", extent=(-0.5, T - 0.5, -0.5,
                                                              self.x.shape[1] - 0.5))
            self.images["x"] = im
        else:
            ax_x.text(0.5, 0.5, "(no input given)", transform=ax_x.transAxes, ha="center",
                      va="center", fontsize=font["label"], color="0.5")
        ax_x.set_xlim(-0.5, T - 0.5)
        style_axes(ax_x, title or "$x_t$ input sequence", None, "input", font=font)
        fewer_ticks(ax_x.yaxis, grid["ticks"])
        self.cursors.insert(0, add_cursor(ax_x, 0))

        # one unit's six values as lines
        ax_ug = fig.add_axes(rect(*grid["unit_gates"]))
        ax_us = fig.add_axes(rect(*grid["unit_signed"]))
        self.axes["unit_gates"], self.axes["unit_signed"] = ax_ug, ax_us
        ax_ug.set_ylim(-0.05, 1.05)
        ax_us.axhline(0, color="0.75", lw=1)
        self.unit_lines, self.unit_dots = {}, {}
        steps = np.arange(T)
        for field, ax in (("f", ax_ug), ("i", ax_ug), ("o", ax_ug),
                          ("g", ax_us), ("c", ax_us), ("h", ax_us)):
            color = _LINE_COLORS[field]
            (ln,) = ax.plot(steps, np.zeros(T), color=color, lw=2, label=f"${field}_t$")
            (dot,) = ax.plot([0], [0], "o", color=color, ms=8, mec="black")
            self.unit_lines[field], self.unit_dots[field] = ln, dot
        # Static titles: the readout's first line and the boxed row name the unit (a title
        # with mathtext redrawn on every move would cost ~2 ms).
        for ax, unit_title in zip((ax_ug, ax_us), grid["unit_titles"], strict=True):
            ax.set_xlim(-0.5, T - 0.5)
            style_axes(ax, unit_title, "time step $t$", None, font=font)
            fewer_ticks(ax.xaxis, grid["ticks"] + 1 if grid["ticks"] else None)
            if grid["ticks"] and ax is ax_ug:
                ax.set_yticks([0, 0.5, 1])
            elif grid["ticks"]:  # the signed panel's limits follow the unit
                ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=font["legend"],
                      frameon=False, **grid["legend"])
            self.cursors.append(add_cursor(ax, 0))

        # the numbers at (t, unit), labels and values, in one fast monospace block
        rows = self._readout_rows(0, 0)
        self._label_width = max(len(label) for label, value in rows if value)
        self.readout = _text_panel(fig, rect(*grid["readout"]), font["readout"] - 1)
        self._moving = (self.cursors + self.unit_boxes + list(self.unit_lines.values())
                        + list(self.unit_dots.values()) + [self.readout])
        return fig

    # -- updating (every move)

    def _update_view(self, t, unit, checkpoint=None):
        static_changed = False
        if checkpoint is not None and checkpoint != self._shown_checkpoint:
            self._swap(self._checkpoints[checkpoint])
            self._shown_checkpoint = checkpoint
            static_changed = True
        # the signed panel's scale follows the selected unit (half-unit steps, at least +-1)
        peak = max(1.0, max(float(np.abs(self.data[k][:, unit]).max()) for k in "gch"))
        lim = np.ceil(peak * 1.08 * 2) / 2
        ax_us = self.axes["unit_signed"]
        if ax_us.get_ylim() != (-lim, lim):
            ax_us.set_ylim(-lim, lim)
            static_changed = True  # tick labels changed: a full redraw, not a blit
        for cur in self.cursors:
            cur.set_xdata([t, t])
        for box in self.unit_boxes:
            box.set_y(unit - 0.5)
        for field, ln in self.unit_lines.items():
            ln.set_ydata(self.data[field][:, unit])
            self.unit_dots[field].set_data([t], [self.data[field][t, unit]])
        self.readout.set_text(self.readout_text(t, unit))
        return static_changed

    def _swap(self, data):
        """Put new (T, H) data into the existing artists (no new artists)."""
        self.data = data
        for field, im in self.images.items():
            if field in data:
                im.set_data(data[field].T)
        limit = signed_limit(data["c"])
        if limit > self.c_limit:  # keep the colour scale unless the new cell state exceeds it
            self.c_limit = limit
            self.images["c"].set_clim(-limit, limit)

    def set_trace(self, trace, x=None):
        """Swap in another trace of the same (T, H) (e.g. the same model at another training
        checkpoint): heatmaps, lines and numbers change in place; one full redraw. A new `x`
        must have the shape of the one shown. A refused call changes nothing."""
        data, B = _trace_arrays(trace, self.batch)
        if data["f"].shape != (self.T, self.H):
            raise ValueError(f"the new trace must have (T, H) = {(self.T, self.H)}; "
                             f"got {data['f'].shape}")
        if x is not None:
            x = _input_array(x, self.T, B, self.batch)
            if self.x is None or x.shape != self.x.shape:
                shown = "no input" if self.x is None else f"an input of shape {self.x.shape}"
                raise ValueError(f"x must have the shape of the input shown, as this figure "
                                 f"shows {shown}; got shape {x.shape}")
            self.x = x
            for j, ln in enumerate(self.input_lines):
                ln.set_ydata(x[:, j])
            if self.input_lines:
                lim = signed_limit(x) * 1.1
                self.axes["x"].set_ylim(-lim, lim)
            if "x" in self.images:
                self.images["x"].set_data(x.T)
                self.images["x"].set_clim(-signed_limit(x), signed_limit(x))
        self._swap(data)
        self._update_view(**{k: v for k, v in self.values.items() if k != "checkpoint"})
        self.refresh(full=True)

    # -- reading (what notebook cells print and tests assert)

    def values_at(self, t=None, unit=None):
        """{name: float} at step t for one unit (defaults: the current slider values):
        x_t (a list), f, i, g, o, c_prev, c, h, and the pre-activations if the trace has them."""
        t = _checks.integer("t", self.values["t"] if t is None else t, 0, self.T - 1)
        unit = _checks.integer("unit", self.values["unit"] if unit is None else unit, 0,
                               self.H - 1)
        d = self.data
        out = {k: float(d[k][t, unit]) for k in FIELDS}
        out["c_prev"] = float(d["c"][t - 1, unit] if t > 0 else self.c0[unit])
        for k in ("f_pre", "i_pre", "g_pre", "o_pre"):
            if k in d:
                out[k] = float(d[k][t, unit])
        if self.x is not None:
            out["x"] = [float(v) for v in self.x[t]]
        return out

    def _readout_rows(self, t, unit):
        """(label, value) pairs: labels never change, values are the numbers at (t, unit)."""
        v = self.values_at(t, unit)
        head = f"{t}, {unit}"
        if self._checkpoints is not None:
            head += f"   ({self.checkpoint_labels[self._shown_checkpoint]})"
        rows = [("step t, unit", head)]
        if "x" in v:
            xs = ", ".join(f"{a + 0.0:.3f}" for a in np.round(v["x"][:4], 3))  # no -0.000
            xs += ", …" if len(v["x"]) > 4 else ""
            rows.append(("x_t", f"[{xs}]"))
        for k, fn in (("f", "σ"), ("i", "σ"), ("g", "tanh"), ("o", "σ")):
            if k + "_pre" in v:
                rows.append((f"{k}_t = {fn}(·)", f"{fn}({v[k + '_pre']:+.3f}) = {v[k]:+.4f}"))
            else:
                rows.append((f"{k}_t", f"{v[k]:+.4f}"))
        rows += [
            ("c_t = f_t⊙c_(t-1) + i_t⊙g_t", ""),
            ("", f"{v['f']:.3f}×({v['c_prev']:+.3f}) + {v['i']:.3f}×({v['g']:+.3f})"
                 f" = {v['c']:+.4f}"),
            ("h_t = o_t⊙tanh(c_t)", ""),
            ("", f"{v['o']:.3f}×tanh({v['c']:+.3f}) = {v['h']:+.4f}"),
        ]
        return rows

    def readout_text(self, t=None, unit=None):
        """The whole readout for (t, unit) (default: the current view), labels and numbers,
        as the figure shows it."""
        t = self.values["t"] if t is None else t
        unit = self.values["unit"] if unit is None else unit
        return "\n".join(
            (label.ljust(self._label_width) + " = " + value) if value else label
            for label, value in self._readout_rows(t, unit))
