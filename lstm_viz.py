"""Figures and sliders for the lessons: drawn once, then updated in place on every move.

Every slider figure of the series is a `SliderFigure`: a matplotlib figure, a few ipywidgets
controls with their defaults, an `update(**values)` function that changes artists in place
(`set_data`, `set_xdata`, `set_text`, ...), and the list of the artists that move. The static
part (heatmaps, axes, colorbars) is drawn once; a move redraws only the moving artists on top
of a cached background (blitting), which keeps one move well under 50 ms in the kernel.

A lesson builds its own slider figure in about ten lines::

    import numpy as np, ipywidgets as widgets
    from lstm_viz import SliderFigure, new_figure, add_cursor, style_axes

    t_steps = np.arange(50)
    fig = new_figure(figsize=(8, 3.5))                     # fixed layout, works in tests too
    ax = fig.add_axes([0.1, 0.2, 0.85, 0.65])              # fixed axes position: no layout engine
    ax.plot(t_steps, 0.9 ** t_steps)
    style_axes(ax, "$f^t$ memory left", "time step", "fraction")
    cursor = add_cursor(ax, 0)                             # the series' cursor style
    label = ax.text(0.98, 0.9, "", transform=ax.transAxes, ha="right")

    def update(t):
        cursor.set_xdata([t, t])
        label.set_text(f"t = {t}: {0.9 ** t:.4f}")

    view = SliderFigure(fig, {"t": widgets.IntSlider(10, 0, 49, description="t")},
                        update, [cursor, label])
    view.snapshot()          # a static PNG of the default view (for GitHub / nbviewer)
    view.show()              # the sliders and the live canvas (%matplotlib widget)
    view.set(t=30)           # what tests and notebook cells call; view.reset() goes back

Under `%matplotlib widget` (ipympl) the canvas is a widget and `view.widget` is
`VBox([controls, canvas, text])`. Under plain Agg (pytest, scripts) everything but the live
canvas works: `set`, `reset`, `values`, `snapshot`, `png`, and the artists can be inspected.

More of the machinery, when a lesson needs it:
- `text=lambda **values: "..."`: the numbers the figure shows, also as text in an HTML widget
  under the canvas (`view.text_widget`), which a screen reader or a browser test can read.
- `update` may return True when it changed static artists too (axes limits, image data): that
  move redraws the whole figure instead of blitting. `full_redraw=("name",)` says the same
  for every move of one control (e.g. a checkpoint slider that swaps heatmaps).
- A static image of a view at another setting: `view.set(...)`, `view.snapshot()`, `view.reset()`.
- Real-valued controls: `float_slider(value, min, max, step, description)`, never a
  `FloatSlider`. A FloatSlider echoes back a value set from the kernel: the page snaps it onto
  its own step grid (2.0 -> 2.000000000000001) and sends it back, and when that echo arrives
  after `view.reset()` (Run All in JupyterLab) the slider no longer shows its default.
  `float_slider` is a `SelectionSlider` over rounded values (the page sends an index: no echo).
- Every control's description gets its full width (`description_width: initial`), and the
  HTML text widget carries the CSS class `TEXT_CLASS` (the classroom template hides it
  visually, for screen readers only, because the figure shows the same numbers).
- In a notebook, never end a cell with the view object unless you mean to display it again.
- Moves are blitted where the canvas has an Agg buffer (ipympl, Agg): the moving artists are
  marked animated, the background is cached after every full draw (`draw_event`) and each move
  restores it and draws only the moving artists. For numbers that change on every move use
  `add_readout(ax)` (a monospace `GlyphText`, ~20x faster to draw than `ax.text`: matplotlib
  3.11 draws text at ~55 us per character, which made text the largest part of a move).
- Lesson 3's figure for another model or several checkpoints:
  `UnrolledFigure(None, x, checkpoints=[trace0, trace1, ...], checkpoint_labels=[...])`, or
  `view.set_trace(trace)` from your own control.

Conventions shared by every lesson (use the constants, do not restyle per lesson):
- gates (values in (0, 1)): `GATE_CMAP` (viridis) with limits 0 and 1;
- signed values (g_t, c_t, h_t): `SIGNED_CMAP`, centred on 0 with symmetric limits;
- the cursor for step t: `CURSOR_STYLE`, via `add_cursor`;
- font sizes for a projector: `FONT`; titles name the symbol ("$f_t$ forget gate").

The lesson figures built here: `valve_figure` (lesson 1, one gate as a valve) and
`UnrolledFigure` (lesson 3: six gate heatmaps over time from an `lstm_core.Gates` trace; lessons
6 and 7 reuse it with a trained model and a checkpoint slider, see `UnrolledFigure`).

Importing this module changes no global state (no rcParams, no backend, no seeding).
"""

import builtins
import html
import io
import numbers
from contextlib import contextmanager

import ipywidgets as widgets
import matplotlib.colors as mcolors
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import matplotlib.transforms as mtransforms
import numpy as np
from matplotlib.artist import Artist, allow_rasterization
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

__all__ = [
    "CURSOR_STYLE",
    "DPI",
    "FONT",
    "GATE_CMAP",
    "GATE_LIMITS",
    "SIGNED_CMAP",
    "SliderFigure",
    "UnrolledFigure",
    "GlyphText",
    "add_cursor",
    "add_readout",
    "float_slider",
    "gate_image",
    "new_figure",
    "signed_image",
    "signed_limit",
    "style_axes",
    "valve_figure",
]

# ---- the series' conventions -------------------------------------------------------------

GATE_CMAP = "viridis"  # gates live in (0, 1): sequential and perceptually uniform
GATE_LIMITS = (0.0, 1.0)  # the same colours mean the same value in every panel of every lesson
SIGNED_CMAP = "RdBu_r"  # g_t, c_t, h_t: diverging, centred on 0 (red positive, blue negative)
FONT = {"title": 15, "label": 13, "tick": 12, "readout": 13, "legend": 11}  # points, projector
# Black with a white halo: visible on viridis' dark end, on RdBu's white centre and on lines.
CURSOR_STYLE = {
    "color": "black",
    "linestyle": "-",
    "linewidth": 2.0,
    "path_effects": [path_effects.withStroke(linewidth=4.5, foreground="white")],
}
DPI = 80  # figure pixels = inches * DPI; fewer pixels, cheaper moves under ipympl
TEXT_CLASS = "lstm-figure-text"  # CSS class of SliderFigure's HTML text (classroom/ hides it)


def new_figure(figsize=(10, 6), dpi=DPI):
    """A figure without a layout engine (a layout engine costs ~90 ms per redraw), made
    without showing it, so it works under `%matplotlib widget` (ipympl needs pyplot's figure
    manager) and under Agg. Place axes with `fig.add_axes([left, bottom, width, height])`."""
    with plt.ioff():
        fig = plt.figure(figsize=figsize, dpi=dpi, layout="none", facecolor="white")
    return fig


def style_axes(ax, title, xlabel=None, ylabel=None):
    """Title with the symbol, named axes, projector-sized fonts."""
    ax.set_title(title, fontsize=FONT["title"])
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=FONT["label"])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    return ax


def add_cursor(ax, t=0):
    """The vertical line that marks step t, in the one style used on every panel."""
    return ax.axvline(t, **CURSOR_STYLE)


def signed_limit(values, floor=1e-6):
    """The symmetric colour limit for signed values: max |value| (at least `floor`)."""
    values = np.asarray(values, dtype=float)
    return max(float(np.max(np.abs(values))) if values.size else 0.0, floor)


def gate_image(ax, data, cax=None, label=None):
    """A units-by-time heatmap of a gate, viridis with limits 0 and 1, and its colorbar."""
    im = ax.imshow(data, cmap=GATE_CMAP, vmin=GATE_LIMITS[0], vmax=GATE_LIMITS[1],
                   aspect="auto", interpolation="nearest", origin="lower")
    _colorbar(ax, im, cax, label)
    return im


def signed_image(ax, data, limit=None, cax=None, label=None):
    """A units-by-time heatmap of a signed quantity, diverging map, limits -limit..limit
    (default: the data's max |value|)."""
    limit = signed_limit(data) if limit is None else float(limit)
    im = ax.imshow(data, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit,
                   aspect="auto", interpolation="nearest", origin="lower")
    _colorbar(ax, im, cax, label)
    return im


def _decimals(step):
    """How many decimals write every multiple of `step` (0.5 -> 1, 0.25 -> 2, 2 -> 0)."""
    for d in range(10):
        if abs(round(step, d) - step) <= 1e-12 * max(1.0, abs(step)):
            return d
    raise ValueError(f"step must have at most 9 decimals; got {step!r}")


def float_slider(value, min, max, step, description="", decimals=None):  # noqa: A002
    """A slider over the real values min, min + step, ..., max, for a SliderFigure.

    It is a `SelectionSlider` whose options are the values rounded to `decimals` (default: the
    decimals of `step`) and labelled with them, so `.value` is a float such as 0.3 (not
    0.30000000000000004) and the page exchanges an option index with the kernel. A
    `FloatSlider` would echo every value the kernel sets, snapped onto the page's own grid,
    back to the kernel, where a late echo undoes `view.reset()` (see the module docstring).
    `value` must be on the grid."""
    for name, v in (("value", value), ("min", min), ("max", max), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise TypeError(f"{name} must be a finite number; got {v!r}")
    if not min < max:
        raise ValueError(f"min must be below max; got min={min}, max={max}")
    if step <= 0:
        raise ValueError(f"step must be positive; got {step}")
    n = (max - min) / step
    if abs(n - round(n)) > 1e-9 * builtins.max(1.0, n):
        raise ValueError(f"(max - min) must be a whole number of steps; got min={min}, "
                         f"max={max}, step={step} ({n:g} steps)")
    d = _decimals(step) if decimals is None else decimals
    if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
        raise TypeError(f"decimals must be a non-negative integer; got {d!r}")
    grid = [round(min + k * step, d) + 0.0 for k in range(int(round(n)) + 1)]  # + 0.0: no -0.0
    matches = [g for g in grid if abs(g - value) <= 1e-9 * builtins.max(1.0, abs(value))]
    if not matches:
        raise ValueError(f"value must be on the grid {min}, {min + step:g}, ..., {max} "
                         f"(step {step}); got {value}")
    return widgets.SelectionSlider(options=[(f"{g:.{d}f}", g) for g in grid], value=matches[0],
                                   description=description, continuous_update=True)


def _text_panel(fig, rect, fontsize):
    """A readout in an invisible axes at `rect`, anchored at its top left. (In an axes, not
    on the figure: savefig leaves out figure-level animated artists, axes-level ones it keeps.)"""
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    return add_readout(ax, 0.0, 1.0, fontsize=fontsize)


def add_readout(ax, x=0.0, y=1.0, fontsize=None, color="black"):
    """A monospace text whose top left is at (x, y) in axes coordinates, made for numbers that
    change on every move: it draws ~20x faster than `ax.text` (see `GlyphText`).
    Use `.set_text(...)` and `.get_text()` as with a matplotlib Text."""
    artist = GlyphText(x, y, fontsize=fontsize or FONT["readout"], color=color,
                       transform=ax.transAxes)
    ax.add_artist(artist)
    return artist


class GlyphText(Artist):
    """Monospace text drawn as one image composed from a glyph atlas.

    matplotlib 3.11 draws text glyph by glyph in Python, ~55 us per character: a 300-character
    readout costs ~15 ms, more than everything else a move draws. This artist renders each
    character once per dpi with matplotlib itself (same font, same antialiasing), then lays
    lines out on a fixed grid with numpy (~1 ms) and draws the block with one `draw_image`.
    Only monospace layout is supported (that is what a readout needs: aligned columns).
    """

    _LINESPACING = 1.15  # line pitch in font sizes: what ax.text's default spacing gives

    def __init__(self, x, y, text="", fontsize=12, color="black", transform=None):
        super().__init__()
        self._xy = (float(x), float(y))
        self._text = ""
        self._prop = FontProperties(family="monospace", size=fontsize)
        self._rgb = np.array(mcolors.to_rgb(color)) * 255
        self._atlases = {}  # dpi -> (metrics, {char: alpha (cell_h, cell_w)})
        self._image_cache = (None, None, None)  # (text, dpi) -> (rgba, top, left)
        if transform is not None:
            self.set_transform(transform)
        self.set_text(text)

    def set_text(self, text):
        self._text = str(text)
        self.stale = True

    def get_text(self):
        return self._text

    def _atlas(self, dpi, chars):
        metrics, glyphs = self._atlases.get(dpi, (None, {}))
        if metrics is None:
            probe = RendererAgg(10, 10, dpi)
            width, _, _ = probe.get_text_width_height_descent("0" * 100, self._prop, False)
            _, lp_h, lp_d = probe.get_text_width_height_descent("lp", self._prop, False)
            pad = 4
            metrics = {
                "advance": width / 100,  # one character, in pixels (may be fractional)
                "pitch": self._LINESPACING * self._prop.get_size_in_points() * dpi / 72,
                "ascent": lp_h - lp_d,
                "pad": pad,
                "cell_w": int(np.ceil(width / 100)) + 2 * pad,
                "cell_h": int(np.ceil(lp_h * 1.6)) + 2 * pad,
                "base": pad + int(np.ceil(lp_d * 1.3)),  # the baseline, from the cell's bottom
            }
        missing = sorted(set(chars) - set(glyphs) - {" ", "\n"})
        if missing:  # render the new characters once, each in its own cell, in one draw
            cw, ch = metrics["cell_w"], metrics["cell_h"]
            scratch = Figure(figsize=(cw * len(missing) / dpi, ch / dpi), dpi=dpi)
            scratch.patch.set_alpha(0)
            FigureCanvasAgg(scratch)
            for k, char in enumerate(missing):
                scratch.text(k * cw + metrics["pad"], metrics["base"], char,
                             fontproperties=self._prop, transform=mtransforms.IdentityTransform(),
                             va="baseline", ha="left")
            scratch.canvas.draw()
            alpha = np.asarray(scratch.canvas.buffer_rgba())[:, :, 3]
            for k, char in enumerate(missing):
                glyphs[char] = alpha[:ch, k * cw:(k + 1) * cw].copy()
        self._atlases[dpi] = (metrics, glyphs)
        return metrics, glyphs

    def _image(self, dpi):
        text, cached_dpi, cached = self._image_cache
        if text == self._text and cached_dpi == dpi:
            return cached
        metrics, glyphs = self._atlas(dpi, self._text)
        lines = self._text.split("\n")
        adv, pitch = metrics["advance"], metrics["pitch"]
        cw, ch = metrics["cell_w"], metrics["cell_h"]
        longest = max(len(line) for line in lines)
        alpha = np.zeros((int(round((len(lines) - 1) * pitch)) + ch,
                          int(round(max(longest - 1, 0) * adv)) + cw), np.uint8)
        for i, line in enumerate(lines):
            top = int(round(i * pitch))
            for k, char in enumerate(line):
                if char != " ":
                    left = int(round(k * adv))
                    cell = alpha[top:top + ch, left:left + cw]
                    np.maximum(cell, glyphs[char], out=cell)
        rgba = np.empty((*alpha.shape, 4), np.uint8)
        rgba[:, :, :3] = self._rgb
        rgba[:, :, 3] = alpha[::-1]  # draw_image wants the bottom row first
        # rows above the first line's ascent, columns left of its first character
        top_margin = ch - metrics["base"] - metrics["ascent"]
        result = (rgba, top_margin, metrics["pad"])
        self._image_cache = (self._text, dpi, result)
        return result

    def _placement(self, dpi):
        rgba, top_margin, pad = self._image(dpi)
        x, y = self.get_transform().transform(self._xy)  # display pixels, y up
        left = int(round(x - pad))
        bottom = int(round(y + top_margin - rgba.shape[0]))
        return rgba, left, bottom

    @allow_rasterization
    def draw(self, renderer):
        if not self.get_visible() or not self._text:
            return
        rgba, left, bottom = self._placement(renderer.dpi)
        gc = renderer.new_gc()
        gc.set_alpha(self.get_alpha() if self.get_alpha() is not None else 1.0)
        renderer.draw_image(gc, left, bottom, rgba)
        gc.restore()
        self.stale = False

    def get_window_extent(self, renderer=None):
        if not self._text:
            return mtransforms.Bbox.null()
        dpi = renderer.dpi if renderer is not None else self.get_figure(root=True).dpi
        rgba, left, bottom = self._placement(dpi)
        return mtransforms.Bbox.from_bounds(left, bottom, rgba.shape[1], rgba.shape[0])


def _colorbar(ax, im, cax, label):
    fig = ax.figure
    cb = fig.colorbar(im, cax=cax) if cax is not None else fig.colorbar(im, ax=ax)
    cb.ax.tick_params(labelsize=FONT["tick"] - 1)
    if label:
        cb.set_label(label, fontsize=FONT["tick"])
    return cb


# ---- the slider machinery ----------------------------------------------------------------


class SliderFigure:
    """A figure drawn once and updated in place by ipywidgets controls.

    fig       a matplotlib figure with fixed axes positions (see `new_figure`).
    controls  {name: widget} (IntSlider, FloatSlider, Dropdown, SelectionSlider, ...);
              each widget's value when passed is that control's default.
    update    update(**values) gets every control's current value by name and changes the
              moving artists in place. It must not add or remove artists. It may return True
              when it also changed static artists (axes limits, image data): that move then
              redraws the whole figure instead of blitting.
    artists   the artists that `update` changes. They are marked animated: a full draw
              leaves them out of the cached background and they are drawn on top of it.
    blit      "auto" (blit where the canvas has an Agg buffer: ipympl and Agg), True, or
              False (every move asks for a full redraw with `draw_idle`, for comparison).
    full_redraw  names of controls whose moves change static artists (e.g. a checkpoint
              slider that swaps heatmap data): those moves redraw the whole figure.
    text      optional text(**values) -> str: the numbers the figure shows, also put in an
              HTML widget under the canvas (`text_widget`, CSS class `TEXT_CLASS`): readable
              by screen readers and browser tests, and copyable. The classroom template hides
              it visually (the figure shows the same numbers), so show them in the figure too.

    Every control's description is shown at full width (its style's description_width is
    set to "initial"). For real values use `float_slider`, not a FloatSlider (see above).

    `update` runs once at construction, so the artists show the defaults from the start.
    """

    def __init__(self, fig, controls, update, artists, *, blit="auto", full_redraw=(),
                 text=None):
        if not hasattr(fig, "canvas") or not hasattr(fig, "add_axes"):
            raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
        if not isinstance(controls, dict) or not controls:
            raise TypeError("controls must be a non-empty dict {name: ipywidgets widget}; "
                            f"got {type(controls).__name__}")
        for name, w in controls.items():
            if not isinstance(w, widgets.ValueWidget):
                raise TypeError(f"control {name!r} must be an ipywidgets value widget "
                                f"(IntSlider, Dropdown, ...); got {type(w).__name__}")
        if not callable(update):
            raise TypeError(f"update must be callable; got {type(update).__name__}")
        if text is not None and not callable(text):
            raise TypeError(f"text must be callable or None; got {type(text).__name__}")
        if blit not in ("auto", True, False):
            raise ValueError(f"blit must be 'auto', True or False; got {blit!r}")
        unknown = [n for n in full_redraw if n not in controls]
        if unknown:
            raise ValueError(f"full_redraw names unknown controls {unknown}; "
                             f"controls are {list(controls)}")
        self.figure = fig
        self.controls = dict(controls)
        self.defaults = {name: w.value for name, w in controls.items()}
        self.artists = list(artists)
        self.full_redraw = tuple(full_redraw)
        self._update = update
        self._text = text
        # height auto: an HTML widget is one line high (28 px) by default
        self.text_widget = widgets.HTML(layout=widgets.Layout(height="auto",
                                                              margin="0 0 0 10px"))
        self.text_widget.add_class(TEXT_CLASS)
        for w in self.controls.values():  # no "forget bi…": descriptions at full width
            if "description_width" in getattr(w.style, "keys", ()):
                w.style.description_width = "initial"
        self._blit_wanted = blit
        self._background = None  # the figure without the moving artists, after a full draw
        self._background_size = None  # the renderer's (width, height) when it was cached
        self._holding = False
        self.moves = 0  # how many updates ran (tests and benchmarks read it)
        for a in self.artists:
            a.set_animated(True)
        self._cid = fig.canvas.mpl_connect("draw_event", self._on_draw)
        self.fast_frames = _faster_frames(fig.canvas)  # ipympl only
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        self._run_update()

    # -- reading and moving

    @property
    def values(self):
        """{name: current value} of every control."""
        return {name: w.value for name, w in self.controls.items()}

    def set(self, **values):
        """Move controls programmatically, e.g. `view.set(t=10, unit=3)`: the same path as a
        drag in the browser (widget value -> update -> redraw), one update for the batch.
        A value outside a slider's range or not among a dropdown's options is a ValueError
        (ipywidgets itself would silently clamp it)."""
        unknown = [n for n in values if n not in self.controls]
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; this figure has {list(self.controls)}")
        values = {name: self._check_value(name, value) for name, value in values.items()}
        changed = {n: v for n, v in values.items() if self.controls[n].value != v}
        if not changed:
            return
        with self._hold():
            for name, value in changed.items():
                self.controls[name].value = value
        self._run_update(full=any(n in self.full_redraw for n in changed))

    def reset(self):
        """Every control back to its default (the view a saved notebook should show)."""
        self.set(**self.defaults)

    def _check_value(self, name, value):
        w = self.controls[name]
        if hasattr(w, "options") and not hasattr(w, "min"):  # Dropdown, SelectionSlider, ...
            allowed = [o[1] if isinstance(o, tuple) else o for o in w.options]
            if any(_same(value, a) for a in allowed):
                return value
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                close = [a for a in allowed if isinstance(a, numbers.Real)
                         and abs(a - value) <= 1e-9 * max(1.0, abs(value))]
                if close:  # 0.1 + 0.2 for the option 0.3 of a float_slider
                    return close[0]
            raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
        if hasattr(w, "min") and hasattr(w, "max"):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number; got {value!r} "
                                f"of type {type(value).__name__}")
            if isinstance(w, (widgets.IntSlider, widgets.BoundedIntText)) and (
                    not isinstance(value, numbers.Integral)):
                raise TypeError(f"{name} must be an integer; got {value!r}")
            if not (w.min <= value <= w.max):
                raise ValueError(f"{name} must be in [{w.min}, {w.max}]; got {value}")
        return value

    @contextmanager
    def _hold(self):
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def _on_change(self, change):
        if self._holding:
            return
        self._run_update(full=change["owner"] is not None and any(
            self.controls[n] is change["owner"] for n in self.full_redraw))

    def _run_update(self, full=False):
        values = self.values
        if self._update(**values):  # update says it changed static artists too
            full = True
        self.moves += 1
        if self._text is not None:
            self.text_widget.value = (
                '<pre style="font-family: monospace; line-height: 1.3; margin: 0">'
                f"{html.escape(self._text(**values))}</pre>")
        self.refresh(full=full)

    # -- drawing

    @property
    def canvas(self):
        return self.figure.canvas

    @property
    def blitting(self):
        """True when moves redraw only the moving artists over a cached background."""
        if self._blit_wanted == "auto":
            return isinstance(self.canvas, FigureCanvasAgg)
        return bool(self._blit_wanted)

    def refresh(self, full=False):
        """Show the artists' current state: blit them over the cached background, or, when
        there is no background yet (never drawn) or `full`, ask for a full redraw."""
        if full or not self.blitting or not self._background_valid():
            self._background = None
            self.canvas.draw_idle()  # ipympl: the browser asks for a draw; Agg: draws now
            return
        canvas = self.canvas
        canvas.restore_region(self._background)
        for a in self.artists:
            self.figure.draw_artist(a)
        canvas.blit(self.figure.bbox)

    def draw(self):
        """A full draw now (the static part, then the moving artists; caches the background)."""
        self.canvas.draw()

    def _background_valid(self):
        if self._background is None:
            return False
        renderer = self.canvas.get_renderer()
        return self._background_size == (renderer.width, renderer.height)

    def _on_draw(self, event):
        # After every full draw (first display, resize, a zoom): cache the figure without the
        # moving artists, then draw them on top, or the cursor vanishes until the next move.
        if not self.blitting or self.canvas.is_saving():
            return
        renderer = self.canvas.get_renderer()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._background_size = (renderer.width, renderer.height)
        for a in self.artists:
            self.figure.draw_artist(a)

    # -- showing

    @property
    def widget(self):
        """The controls above the live canvas: `VBox([controls, fig.canvas])`. The canvas is a
        widget only under `%matplotlib widget` (ipympl); elsewhere the box holds the controls."""
        box = widgets.HBox(list(self.controls.values()))
        children = [box]
        if isinstance(self.canvas, widgets.DOMWidget):
            self.canvas.header_visible = False  # ipympl's "Figure 1" title bar
            children.append(self.canvas)
        if self._text is not None:
            children.append(self.text_widget)
        return widgets.VBox(children)

    def show(self):
        """Display the controls and the live canvas."""
        from IPython.display import display

        display(self.widget)

    def png(self, dpi=None):
        """The current view (moving artists included) as PNG bytes."""
        buf = io.BytesIO()
        # savefig draws axes-level animated artists but skips figure-level ones (a fig.text
        # readout): the moving artists are not animated while saving, then animated again
        animated = [a for a in self.artists if a.get_animated()]
        for a in animated:
            a.set_animated(False)
        try:
            self.figure.savefig(buf, format="png", dpi=dpi or self.figure.dpi,
                                facecolor="white")
        finally:
            for a in animated:
                a.set_animated(True)
        return buf.getvalue()

    def snapshot(self, dpi=None):
        """A static image of the current view, `IPython.display.Image`: it stays visible in a
        rendered notebook (GitHub, nbviewer, HTML export) where widgets do not."""
        from IPython.display import Image

        return Image(data=self.png(dpi))

    def close(self):
        """Release the figure (pyplot keeps a reference to every figure until closed)."""
        for w in self.controls.values():
            w.unobserve(self._on_change, names="value")
        self.canvas.mpl_disconnect(self._cid)
        plt.close(self.figure)

    def _ipython_display_(self):  # a cell ending with the figure object shows it live
        self.show()

    def __repr__(self):
        values = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{type(self).__name__}({values})"


PNG_COMPRESS_LEVEL = 1  # zlib level of the frames sent to the browser (PIL's default is 6)


def _faster_frames(canvas):
    """Make a web canvas (ipympl) encode its frames with zlib level 1 instead of 6.

    Encoding the frame is the largest cost of a move: ipympl sends a full-size PNG of the
    changed pixels after every blit, and at level 6 that takes longer than drawing the moving
    artists. Level 1 halves it; the frame grows from ~4 KB to ~17 KB. This is matplotlib's own
    `FigureCanvasWebAggCore.get_diff_image` with that one argument changed, set on this canvas
    only (no class or global is touched). Canvases without that protocol are left alone."""
    needed = ("get_diff_image", "_png_is_old", "_force_full", "_last_buff", "set_image_mode")
    if not all(hasattr(canvas, name) for name in needed):
        return False
    from PIL import Image

    def get_diff_image():
        if not canvas._png_is_old:
            return None
        pixels = np.asarray(canvas.get_renderer().buffer_rgba())
        buff = pixels.view(np.uint32).squeeze(2)  # one uint32 per pixel: one comparison each
        if (canvas._force_full or buff.shape != canvas._last_buff.shape
                or (pixels[:, :, 3] != 255).any()):  # a diff cannot carry transparency
            canvas.set_image_mode("full")
            output = buff
        else:
            canvas.set_image_mode("diff")
            output = np.where(buff != canvas._last_buff, buff, 0)
        canvas._last_buff = buff.copy()
        canvas._force_full = False
        canvas._png_is_old = False
        data = output.view(dtype=np.uint8).reshape((*output.shape, 4))
        with io.BytesIO() as png:
            Image.fromarray(data).save(png, format="png", compress_level=PNG_COMPRESS_LEVEL)
            return png.getvalue()

    canvas.get_diff_image = get_diff_image
    return True


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and the like
        return a is b


# ---- lesson 1: one gate as a valve -------------------------------------------------------


def valve_figure(w=2.0, b=0.0, x=1.0, steps=60, period=20):
    """Lesson 1: a gate value sigma(w x + b) in (0, 1) multiplying a signal.

    Left: sigma(w x' + b) and tanh(w x' + b) against the gate's input x', a dot at x.
    Right: a signal s_t (a sine over `steps` steps) and what the gate lets through,
    sigma(w x + b) * s_t. Controls: w (weight), b (bias), x (the gate's input).
    The returned SliderFigure has `.gate_value()` and `.readout` (the numbers shown).
    """
    from lstm_core import sigmoid as _sigmoid

    xs = np.linspace(-4, 4, 161)
    t_axis = np.arange(steps)
    signal = np.sin(2 * np.pi * t_axis / period)

    fig = new_figure(figsize=(12, 5.2))
    ax_curve = fig.add_axes([0.07, 0.32, 0.38, 0.56])
    ax_sig = fig.add_axes([0.56, 0.32, 0.41, 0.56])
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
    readout = _text_panel(fig, [0.07, 0.02, 0.9, 0.14], FONT["readout"])

    def update(w, b, x):
        z = w * xs + b
        sig_curve.set_ydata(_sigmoid(z))
        tanh_curve.set_ydata(np.tanh(z))
        a = w * x + b
        gate = float(_sigmoid(a))
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
    view.gate_value = lambda: float(_sigmoid(view.values["w"] * view.values["x"]
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


def _trace_arrays(trace, batch, name="trace"):
    """The six fields of a Gates trace as {field: (T, H)} float arrays (one sequence)."""
    missing = [f for f in FIELDS if not hasattr(trace, f)]
    if missing:
        raise TypeError(f"{name} must be an lstm_core.Gates trace (fields f, i, g, o, c, h); "
                        f"got {type(trace).__name__} without {missing}")
    out = {}
    shape = None
    for f in FIELDS + ("f_pre", "i_pre", "g_pre", "o_pre"):
        if not hasattr(trace, f):
            continue
        a = np.asarray(getattr(trace, f), dtype=float)
        if a.ndim == 3:
            if not 0 <= batch < a.shape[2]:
                raise ValueError(f"batch must be in [0, {a.shape[2] - 1}]; got {batch}")
            a = a[:, :, batch]
        elif a.ndim != 2:
            raise ValueError(f"{name}.{f} must be (T, H, B) or (T, H); got shape {a.shape}")
        if shape is None:
            shape = a.shape
        elif a.shape != shape:
            raise ValueError(f"{name}.{f} must have the shape of {name}.f (T, H) = {shape}; "
                             f"got {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{name}.{f} must be finite")
        out[f] = a
    if shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"{name} must have at least one time step and one unit; "
                         f"got (T, H) = {shape}")
    return out


def _input_array(x, T, batch):
    if x is None:
        return None
    x = np.asarray(x, dtype=float)
    if x.ndim == 3:
        x = x[:, batch, :]
    elif x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != T:
        raise ValueError(f"x must be (T, I) or (T, B, I) with T = {T} (the trace's length); "
                         f"got shape {x.shape}")
    return x


class UnrolledFigure(SliderFigure):
    """Lesson 3: f, i, o, g, c, h as units-by-time heatmaps, the input above, a cursor at
    step t on every panel, one unit's gates as lines, and the numbers at (t, unit).

        tr = lstm.trace(x)
        view = UnrolledFigure(tr, x)              # controls: t (slider), unit (dropdown)
        view.set(t=40, unit=5); view.readout.get_text(); view.values_at()

    trace        an `lstm_core.Gates` from `LSTM.trace` (fields (T, H, B) or (T, H)); any
                 model's trace works, trained or not. `batch` picks the sequence.
                 None when `checkpoints` are given.
    x            the input sequence (T, I) or (T, B, I), drawn above the heatmaps (optional).
    t, unit      the defaults (t defaults to step 10, or the last step if shorter).
    checkpoints  optional list of traces (e.g. one per training checkpoint, lessons 6-7):
                 adds a `checkpoint` slider that swaps the heatmaps' data in place
                 (`AxesImage.set_data`), with `checkpoint_labels` shown in the readout.
    c0           the initial cell state (H,) used for c_{t-1} at t = 0 (default zeros).

    `set_trace(trace, x=None)` swaps the data in place from your own control too.
    """

    def __init__(self, trace, x=None, *, t=None, unit=0, batch=0, checkpoints=None,
                 checkpoint_labels=None, c0=None, title=None, blit="auto"):
        self.batch = batch
        if checkpoints is not None:
            checkpoints = list(checkpoints)
            if not checkpoints:
                raise ValueError("checkpoints must be a non-empty list of traces")
            self._checkpoints = [_trace_arrays(c, batch, f"checkpoints[{k}]")
                                 for k, c in enumerate(checkpoints)]
            if checkpoint_labels is None:
                checkpoint_labels = [f"checkpoint {k}" for k in range(len(checkpoints))]
            if len(checkpoint_labels) != len(checkpoints):
                raise ValueError(f"checkpoint_labels must have one label per checkpoint "
                                 f"({len(checkpoints)}); got {len(checkpoint_labels)}")
            self.checkpoint_labels = list(checkpoint_labels)
            if trace is not None:
                raise ValueError("give either trace or checkpoints (the figure starts at "
                                 "checkpoints[0]); got both")
            data = self._checkpoints[0]
        else:
            self._checkpoints = None
            self.checkpoint_labels = None
            data = _trace_arrays(trace, batch)
        self.T, self.H = data["f"].shape
        for k, cp in enumerate(self._checkpoints or []):
            if cp["f"].shape != (self.T, self.H):
                raise ValueError(f"checkpoints[{k}] must have (T, H) = {(self.T, self.H)} "
                                 f"like the others; got {cp['f'].shape}")
        self.x = _input_array(x, self.T, batch)
        self.c0 = np.zeros(self.H) if c0 is None else np.asarray(c0, float).reshape(-1)
        if self.c0.shape != (self.H,):
            raise ValueError(f"c0 must have H = {self.H} values; got shape {self.c0.shape}")
        t = min(10, self.T - 1) if t is None else t
        self._check_index("t", t, self.T)
        self._check_index("unit", unit, self.H)
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

    @staticmethod
    def _check_index(name, value, n):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer; got {value!r}")
        if not 0 <= value < n:
            raise ValueError(f"{name} must be in [0, {n - 1}]; got {value}")

    # -- building (once)

    def _build(self, title):
        T, H = self.T, self.H
        fig = new_figure(figsize=(13, 11))
        self.axes = {}
        self.images = {}
        self.cursors = []
        self.unit_boxes = []
        extent = (-0.5, T - 0.5, -0.5, H - 0.5)
        for k, (field, panel_title, kind) in enumerate(_PANELS):
            row, col = divmod(k, 3)
            left, bottom = 0.06 + 0.315 * col, 0.555 - 0.255 * row
            ax = fig.add_axes([left, bottom, 0.235, 0.175])
            cax = fig.add_axes([left + 0.24, bottom, 0.01, 0.175])
            a = self.data[field].T  # (H, T): units by time
            if kind == "gate":
                im = gate_image(ax, a, cax=cax)
            else:
                im = signed_image(ax, a, 1.0 if field in "gh" else self.c_limit, cax=cax)
            im.set_extent(extent)
            style_axes(ax, panel_title, "time step $t$", "unit" if col == 0 else None)
            self.axes[field], self.images[field] = ax, im
            self.cursors.append(add_cursor(ax, 0))
            box = ax.add_patch(plt.Rectangle((-0.5, -0.5), T, 1, fill=False, ec="white",
                                             lw=1.3, path_effects=[path_effects.withStroke(
                                                 linewidth=3, foreground="black")]))
            self.unit_boxes.append(box)

        # the input sequence, above the heatmaps
        ax_x = fig.add_axes([0.06, 0.80, 0.40, 0.14])
        self.axes["x"] = ax_x
        self.input_lines = []
        if self.x is not None and self.x.shape[1] <= 8:
            for j in range(self.x.shape[1]):
                (ln,) = ax_x.plot(np.arange(T), self.x[:, j], lw=1.8, label=f"$x_t[{j}]$")
                self.input_lines.append(ln)
            lim = signed_limit(self.x) * 1.1
            ax_x.set_ylim(-lim, lim)
            ax_x.legend(loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=FONT["legend"],
                        frameon=False)
        elif self.x is not None:
            im = ax_x.imshow(self.x.T, cmap=SIGNED_CMAP, aspect="auto", origin="lower",
                             vmin=-signed_limit(self.x), vmax=signed_limit(self.x),
                             interpolation="nearest", extent=(-0.5, T - 0.5, -0.5,
                                                              self.x.shape[1] - 0.5))
            self.images["x"] = im
        else:
            ax_x.text(0.5, 0.5, "(no input given)", transform=ax_x.transAxes, ha="center",
                      va="center", fontsize=FONT["label"], color="0.5")
        ax_x.set_xlim(-0.5, T - 0.5)
        style_axes(ax_x, title or "$x_t$ input sequence", None, "input")
        self.cursors.insert(0, add_cursor(ax_x, 0))

        # one unit's six values as lines
        ax_ug = fig.add_axes([0.06, 0.05, 0.38, 0.16])
        ax_us = fig.add_axes([0.55, 0.05, 0.38, 0.16])
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
        for ax, what in ((ax_ug, "gates $f_t, i_t, o_t$"), (ax_us, "$g_t, c_t, h_t$")):
            ax.set_xlim(-0.5, T - 0.5)
            style_axes(ax, f"the selected unit: {what}", "time step $t$", None)
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=FONT["legend"],
                      frameon=False)
            self.cursors.append(add_cursor(ax, 0))

        # the numbers at (t, unit), labels and values, in one fast monospace block
        rows = self._readout_rows(0, 0)
        self._label_width = max(len(label) for label, value in rows if value)
        self.readout = _text_panel(fig, [0.545, 0.70, 0.45, 0.29], FONT["readout"] - 1)
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
        if data["f"].shape != (self.T, self.H):
            raise ValueError(f"the new trace must have (T, H) = {(self.T, self.H)}; "
                             f"got {data['f'].shape}")
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
        checkpoint): heatmaps, lines and numbers change in place; one full redraw."""
        data = _trace_arrays(trace, self.batch)
        if x is not None:
            self.x = _input_array(x, self.T, self.batch)
            for j, ln in enumerate(self.input_lines):
                ln.set_ydata(self.x[:, j])
            if "x" in self.images:
                self.images["x"].set_data(self.x.T)
        self._swap(data)
        self._update_view(**{k: v for k, v in self.values.items() if k != "checkpoint"})
        self.refresh(full=True)

    # -- reading (what notebook cells print and tests assert)

    def values_at(self, t=None, unit=None):
        """{name: float} at step t for one unit (defaults: the current slider values):
        x_t (a list), f, i, g, o, c_prev, c, h, and the pre-activations if the trace has them."""
        t = self.values["t"] if t is None else t
        unit = self.values["unit"] if unit is None else unit
        self._check_index("t", t, self.T)
        self._check_index("unit", unit, self.H)
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
            ("c_t = f_t⊙c_{t-1} + i_t⊙g_t", ""),
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
