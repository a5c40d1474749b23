"""Lesson 8's figure: the same input sequence through several of the LSTM's relatives (the LSTM,
the peephole LSTM, the GRU, ...) side by side, and one time slider that moves the cursor on
every panel of every model. It draws the traces that `lstm_core` computed; it computes no
recurrent network itself (the GRU's write share 1 - u_t is the one subtraction it does)."""

import numbers

import ipywidgets as widgets
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from .fast_drawing import _text_panel
from .sliders import SliderFigure
from .style import (
    DPI,
    GATE_CMAP,
    GATE_LIMITS,
    add_cursor,
    gate_image,
    layout_font,
    new_figure,
    signed_limit,
    style_axes,
)
from .style import layout as read_layout

# Line colours by role, the same in every column: what keeps the memory, what writes it, and
# the third gate (the LSTM's output gate, the GRU's reset gate); the state is black.
ROLE_COLORS = {"keep": "#1b9e77", "write": "#d95f02", "third": "#7570b3", "state": "#222222"}

# The GRU's update gate is u_t in the lessons (z_t is the column [h_{t-1}; x_t]); its field in
# lstm_core.GRUGates is `z`, PyTorch's name.
_KINDS = {
    "lstm": {"keep": ("f", "$f_t$", "f_t"), "write": ("i", "$i_t$", "i_t"),
             "third": ("o", "$o_t$", "o_t"), "state": ("c", "$c_t$", "c_t"),
             "heat": "$f_t$ forget gate", "state_title": "$c_t$ cell state"},
    "gru": {"keep": ("z", "$u_t$", "u_t"), "write": ("1-z", "$1 - u_t$", "1-u_t"),
            "third": ("r", "$r_t$", "r_t"), "state": ("h", "$h_t$", "h_t"),
            "heat": "$u_t$ update gate", "state_title": "$h_t$ hidden state"},
}
ROLES = ("keep", "write", "third", "state")


def _rows(height_px, **rows):
    """{row: (bottom, height)} figure fractions from {row: (top, height)} pixels."""
    return {name: (1 - (top + h) / height_px, h / height_px) for name, (top, h) in rows.items()}


# Where RelativesFigure's rows go in each layout (lstm_viz.layout()): (bottom, height) figure
# fractions; the columns share the width the same way in both (one a model, 840 px).
_GRID = {
    "notebook": {  # 10.5 x 9.2 in = 840 x 736 px, lstm_viz.FONT
        "size": (840, 736), "font": None,
        "input": (0.855, 0.095), "step_left": 0.775, "step_readout": (0.86, 0.09),
        "label": 0.800,
        "heat": (0.575, 0.175), "gates": (0.355, 0.15), "state": (0.175, 0.12),
        "readout": (0.0, 0.095), "time_ticks": "heat gates state",  # panels with time labels
        "bar_left": 0.935, "few_ticks": False,  # the colorbar; matplotlib's tick locators
    },
    # 840 x 460 px, landscape, for a projector (classroom mode): at most 848 px wide as lesson
    # 8 asserts, zoomed ~1.4 at 1280x720, so 12.5 pt (the smallest, with PROJECTOR_FONT's
    # roles) is ~19 px. Only the state panel, at the bottom, labels its time axis.
    "projector": {
        "size": (840, 460),
        "font": {"title": 15, "label": 14, "tick": 13.5, "readout": 13.5, "legend": 12.5},
        **_rows(460, input=(28, 50), step_readout=(26, 44), heat=(142, 56), gates=(242, 52),
                state=(326, 40), readout=(424, 34)),
        "label": 1 - 119 / 460, "time_ticks": "state", "step_left": 0.79,
        "bar_left": 0.92, "few_ticks": True,  # fewer ticks on the input's and states' axes
    },
}


def _model_arrays(label, trace, batch):
    """(kind, {role: (T, H)}) for an lstm_core Gates (LSTM, PeepholeLSTM) or GRUGates trace."""
    if all(hasattr(trace, f) for f in "figoch"):
        kind = "lstm"
    elif all(hasattr(trace, f) for f in "rznh"):
        kind = "gru"
    else:
        raise TypeError(f"the trace of {label!r} must be an lstm_core Gates (fields f, i, g, "
                        f"o, c, h) or GRUGates (r, z, n, h); got {type(trace).__name__}")
    out, shape = {}, None
    for role in ROLES:
        field = _KINDS[kind][role][0]
        a = np.asarray(getattr(trace, field.removeprefix("1-")), dtype=float)
        if a.ndim == 3:
            if not 0 <= batch < a.shape[2]:
                raise ValueError(f"batch must be in [0, {a.shape[2] - 1}]; got {batch}")
            a = a[:, :, batch]
        if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
            raise ValueError(f"the trace of {label!r} must have fields (T, H, B) or (T, H) "
                             f"with T, H >= 1; got {field} of shape {np.shape(a)}")
        if shape is not None and a.shape != shape:
            raise ValueError(f"the trace of {label!r} has fields of different shapes")
        if not np.isfinite(a).all():
            raise ValueError(f"the trace of {label!r} must be finite; {field} is not")
        shape = a.shape
        out[role] = 1.0 - a if field.startswith("1-") else a
    return kind, out


class RelativesFigure(SliderFigure):
    """The same sequence through several recurrent models, one column each, and one time slider.

        view = RelativesFigure([("LSTM", lstm.trace(x), 10), ("peephole LSTM", peep.trace(x), 3),
                                ("GRU", gru.trace(x), 7)], x, t=20, marks=[12, 31])
        view.set(t=31); view.values_at(); view.readout_text()

    models   a list of (label, trace, unit): an `lstm_core.Gates` trace (LSTM, PeepholeLSTM,
             coupled or not) or a `GRUGates` trace (GRU), of the same sequence (the same T), and
             the unit whose gates are drawn as lines. One to four models.
    x        the input sequence, (T, I) or (T, B, I), drawn at the top (up to 4 features).
    t        the default step; `marks` steps to mark on every panel (e.g. the adding problem's
             markers), as dotted lines; `input_labels` names x's features.

    Each column: the gate that keeps the memory as a units-by-time heatmap (an LSTM's forget gate
    f_t, the GRU's update gate u_t; viridis, 0 to 1), the selected unit's outlined; that unit's
    gates as lines by role (keep: f_t or u_t, write: i_t or 1 - u_t, third: o_t or r_t) and its
    state (c_t or h_t); and the numbers at step t. The same colour is the same role in every
    column. The one control is the slider "step t".

    `layout` "notebook" (840 x 736 px) or "projector" (landscape, 840 x 460 px, larger fonts:
    classroom mode); default `lstm_viz.layout()`, which reads $LSTM_VIZ_LAYOUT.
    """

    def __init__(self, models, x, *, t=0, marks=(), batch=0, input_labels=None, blit="auto",
                 layout=None):
        self.layout = read_layout(layout)
        models = list(models)
        if not 1 <= len(models) <= 4:
            raise ValueError("models must list one to four (label, trace, unit); got "
                             f"{len(models)}")
        self.labels, self.kinds, self.data, self.units = [], [], [], []
        for k, model in enumerate(models):
            if not (isinstance(model, tuple) and len(model) == 3):
                raise TypeError(f"models[{k}] must be a tuple (label, trace, unit); got "
                                f"{type(model).__name__}")
            label, trace, unit = model
            kind, data = _model_arrays(str(label), trace, batch)
            self.labels.append(str(label))
            self.kinds.append(kind)
            self.data.append(data)
            self.units.append(self._check_index(f"the unit of {label!r}", unit,
                                                data["keep"].shape[1]))
        lengths = {d["keep"].shape[0] for d in self.data}
        if len(lengths) != 1:
            raise ValueError(f"every trace must be of the same sequence (the same T); got "
                             f"lengths {sorted(lengths)}")
        self.T = lengths.pop()
        x = np.asarray(x, dtype=float)
        x = x[:, batch, :] if x.ndim == 3 else (x[:, None] if x.ndim == 1 else x)
        if x.ndim != 2 or x.shape[0] != self.T or not 1 <= x.shape[1] <= 4:
            raise ValueError(f"x must be (T, I) or (T, B, I) with T = {self.T} and at most 4 "
                             f"features; got shape {np.shape(x)}")
        self.x = x
        self.input_labels = (list(input_labels) if input_labels is not None
                             else [f"$x_t[{j}]$" for j in range(x.shape[1])])
        if len(self.input_labels) != x.shape[1]:
            raise ValueError(f"input_labels must name the {x.shape[1]} features of x; got "
                             f"{len(self.input_labels)}")
        self.marks = [self._check_index("a mark", m, self.T) for m in marks]
        self._check_index("t", t, self.T)
        fig = self._build()
        controls = {"t": widgets.IntSlider(t, min=0, max=self.T - 1, description="step t",
                                           continuous_update=True)}
        super().__init__(fig, controls, self._update_view, self._moving, blit=blit,
                         text=lambda t: self.readout_text(t))

    @staticmethod
    def _check_index(name, value, n):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer; got {value!r}")
        if not 0 <= value < n:
            raise ValueError(f"{name} must be in [0, {n - 1}]; got {value}")
        return int(value)

    # -- building (once)

    def _build(self):
        T, n = self.T, len(self.data)
        grid = _GRID[self.layout]
        font = grid["font"] or layout_font("notebook")
        fig = new_figure(figsize=(grid["size"][0] / DPI, grid["size"][1] / DPI))
        steps = np.arange(T)
        width = 0.87 / n  # each column's share of the width
        self.cursors, self.dots, self.readouts, self.axes = [], [], [], []

        # the input, once, on top
        ax_x = fig.add_axes([0.08, grid["input"][0], 0.54, grid["input"][1]])
        for j in range(self.x.shape[1]):
            ax_x.plot(steps, self.x[:, j], lw=1.8, label=self.input_labels[j])
        ax_x.set_xlim(-0.5, T - 0.5)
        lim = signed_limit(self.x) * 1.15
        ax_x.set_ylim(min(-0.1, self.x.min() * 1.15), lim)
        style_axes(ax_x, "$x_t$: the same input for every model", None, None, font=font)
        if grid["few_ticks"]:
            ax_x.yaxis.set_major_locator(MaxNLocator(3))
        ax_x.legend(loc="upper left", bbox_to_anchor=(1.0, 1.1), fontsize=font["legend"],
                    frameon=False)
        self.cursors.append(add_cursor(ax_x, 0))
        self._mark(ax_x)
        self.step_readout = _text_panel(fig, [grid["step_left"], grid["step_readout"][0], 0.2,
                                              grid["step_readout"][1]], font["readout"] - 1)

        for k, (label, kind, data, unit) in enumerate(zip(self.labels, self.kinds, self.data,
                                                           self.units, strict=True)):
            spec = _KINDS[kind]
            left = 0.08 + k * width
            w = width - 0.055
            fig.text(left + w / 2, grid["label"], label, ha="center", va="bottom",
                     fontsize=font["title"], fontweight="bold")
            # the gate that keeps: every unit over time
            ax_h = fig.add_axes([left, grid["heat"][0], w, grid["heat"][1]])
            H = data["keep"].shape[1]
            extent = (-0.5, T - 0.5, -0.5, H - 0.5)
            if k == 0:  # one colorbar for every heatmap: the same limits 0 and 1
                im = gate_image(ax_h, data["keep"].T, label="gate value", font=font,
                                cax=fig.add_axes([grid["bar_left"], grid["heat"][0], 0.012,
                                                  grid["heat"][1]]))
            else:
                im = ax_h.imshow(data["keep"].T, cmap=GATE_CMAP, vmin=GATE_LIMITS[0],
                                 vmax=GATE_LIMITS[1], aspect="auto", interpolation="nearest",
                                 origin="lower")
            im.set_extent(extent)
            style_axes(ax_h, spec["heat"], None, "unit" if k == 0 else None, font=font)
            ax_h.add_patch(plt.Rectangle((-0.5, unit - 0.5), T, 1, fill=False, ec="white",
                                         lw=1.3, path_effects=[path_effects.withStroke(
                                             linewidth=3, foreground="black")]))
            # the selected unit's three gates
            ax_g = fig.add_axes([left, grid["gates"][0], w, grid["gates"][1]])
            ax_g.set(xlim=(-0.5, T - 0.5), ylim=(-0.05, 1.05))
            for role in ("keep", "write", "third"):
                ax_g.plot(steps, data[role][:, unit], color=ROLE_COLORS[role], lw=2,
                          label=spec[role][1])
                (dot,) = ax_g.plot([0], [0], "o", color=ROLE_COLORS[role], ms=8, mec="black",
                                   zorder=3)  # above the cursor
                self.dots.append((k, role, dot))
            style_axes(ax_g, None, None, "gate" if k == 0 else None, font=font)
            ax_g.legend(loc="lower left", bbox_to_anchor=(-0.02, 0.98), ncols=3,
                        fontsize=font["legend"], frameon=False, handlelength=1.2,
                        columnspacing=0.8, handletextpad=0.4)
            # its state
            ax_s = fig.add_axes([left, grid["state"][0], w, grid["state"][1]])
            state = data["state"][:, unit]
            peak = np.ceil(max(0.05, float(np.abs(state).max())) * 1.15 * 20) / 20  # 0.05s
            ax_s.set(xlim=(-0.5, T - 0.5), ylim=(-peak, peak))
            ax_s.axhline(0, color="0.75", lw=1)
            ax_s.plot(steps, state, color=ROLE_COLORS["state"], lw=2)
            (dot,) = ax_s.plot([0], [0], "o", color=ROLE_COLORS["state"], ms=8, mec="black",
                               zorder=3)
            self.dots.append((k, "state", dot))
            style_axes(ax_s, None, "time step $t$", "state" if k == 0 else None, font=font)
            ax_s.set_title(f"{spec['state_title']}, unit {unit}", fontsize=font["label"])
            if grid["few_ticks"]:  # 0 and the peak: "-0.25" beside the next column is too wide
                ax_s.set_yticks([0, peak], [f"{0:g}", f"{peak:g}"])
            for name, ax in (("heat", ax_h), ("gates", ax_g), ("state", ax_s)):
                if name not in grid["time_ticks"]:  # the state panel below labels the steps
                    ax.tick_params(labelbottom=False)
                self.cursors.append(add_cursor(ax, 0))
                self._mark(ax)
            self.axes.append({"heat": ax_h, "gates": ax_g, "state": ax_s, "image": im})
            self.readouts.append(_text_panel(fig, [left - 0.035, grid["readout"][0], width,
                                                   grid["readout"][1]], font["readout"] - 1))
        self._moving = (self.cursors + [d for _, _, d in self.dots] + self.readouts
                        + [self.step_readout])
        return fig

    def _mark(self, ax):
        for m in self.marks:
            ax.axvline(m, color="0.35", lw=1.2, ls=":", zorder=1.5)

    # -- updating (every move)

    def _update_view(self, t):
        for cur in self.cursors:
            cur.set_xdata([t, t])
        for k, role, dot in self.dots:
            dot.set_data([t], [self.data[k][role][t, self.units[k]]])
        self.step_readout.set_text(self._step_text(t))
        for k, readout in enumerate(self.readouts):
            readout.set_text(self._model_text(k, t))

    # -- reading (what notebook cells print and tests assert)

    def values_at(self, t=None):
        """{label: {symbol: value}} at step t (default: the slider's) for each model's unit:
        f_t, i_t, o_t, c_t (an LSTM) or u_t, 1-u_t, r_t, h_t (the GRU)."""
        t = self.values["t"] if t is None else self._check_index("t", t, self.T)
        return {label: {_KINDS[kind][role][2]: float(data[role][t, unit]) for role in ROLES}
                for label, kind, data, unit in zip(self.labels, self.kinds, self.data,
                                                    self.units, strict=True)}

    def _step_text(self, t):
        xs = ", ".join(f"{v + 0.0:.3f}" for v in np.round(self.x[t], 3))  # no -0.000
        return f"step t = {t}\nx_t = [{xs}]"

    def _model_text(self, k, t):
        (a, va), (b, vb), (c, vc), (d, vd) = self.values_at(t)[self.labels[k]].items()
        return (f"{a} = {va:.4f}  {b} = {vb:.4f}\n"
                f"{c} = {vc:.4f}  {d} = {vd:+.4f}")

    def readout_text(self, t=None):
        """Every number the figure shows at step t (default: the slider's), as text."""
        t = self.values["t"] if t is None else self._check_index("t", t, self.T)
        blocks = [self._step_text(t)]
        blocks += [f"{label}, unit {unit}:\n{self._model_text(k, t)}"
                   for k, (label, unit) in enumerate(zip(self.labels, self.units, strict=True))]
        return "\n\n".join(blocks)
