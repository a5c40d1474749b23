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
- two layouts of the lesson figures (`UnrolledFigure`, `RelativesFigure`): "notebook"
  (portrait, at most 848 px wide: JupyterLab, the static site, nbval) and "projector"
  (landscape, `PROJECTOR_FONT`: classroom mode). `layout()` says which, from
  $LSTM_VIZ_LAYOUT (`LAYOUT_VARIABLE`), which scripts/classroom.py sets for its kernels.

The lesson figures built here: `valve_figure` (lesson 1, one gate as a valve) and
`UnrolledFigure` (lesson 3: six gate heatmaps over time from an `lstm_core.Gates` trace; lessons
6 and 7 reuse it with a trained model and a checkpoint slider, see `UnrolledFigure`).

Every function checks its arguments before it draws or changes anything: a bad one is a
TypeError or ValueError that names the argument, what it must be and what came.

The package, one concern a module (import the names from `lstm_viz` itself):
- `style`: the conventions above and the helpers that apply them (`new_figure`,
  `style_axes`, `add_cursor`, `gate_image`, `signed_image`, `signed_limit`, `layout`,
  `layout_font`);
- `sliders`: the slider machinery (`SliderFigure`, `float_slider`, `TEXT_CLASS`);
- `fast_drawing`: what keeps a move cheap (`GlyphText`, `add_readout`, and the faster PNG
  frames under ipympl, which fall back to plain ipympl where matplotlib's internals differ);
- `figures`: the lesson figures (`valve_figure`, `UnrolledFigure`);
- `_checks`: how every function refuses a bad argument.

Importing this package changes no global state (no rcParams, no backend, no seeding).
"""

from .fast_drawing import PNG_COMPRESS_LEVEL, GlyphText, add_readout
from .figures import FIELDS, MAX_VALVE_STEPS, UnrolledFigure, valve_figure
from .relatives import RelativesFigure as RelativesFigure  # lesson 8's figure
from .sliders import MAX_OPTIONS, TEXT_CLASS, SliderFigure, float_slider
from .style import (
    CURSOR_STYLE,
    DPI,
    FONT,
    GATE_CMAP,
    GATE_LIMITS,
    LAYOUT_VARIABLE,
    LAYOUTS,
    PROJECTOR_FONT,
    SIGNED_CMAP,
    add_cursor,
    gate_image,
    layout,
    layout_font,
    new_figure,
    signed_image,
    signed_limit,
    style_axes,
)
from .text import CellTextFigure, SelectFigure  # noqa: F401 (lesson 9; one line, so not in __all__)

__all__ = [
    "CURSOR_STYLE",
    "DPI",
    "FIELDS",
    "FONT",
    "GATE_CMAP",
    "GATE_LIMITS",
    "LAYOUTS",
    "LAYOUT_VARIABLE",
    "MAX_OPTIONS",
    "MAX_VALVE_STEPS",
    "PNG_COMPRESS_LEVEL",
    "PROJECTOR_FONT",
    "SIGNED_CMAP",
    "TEXT_CLASS",
    "GlyphText",
    "SliderFigure",
    "UnrolledFigure",
    "add_cursor",
    "add_readout",
    "float_slider",
    "gate_image",
    "layout",
    "layout_font",
    "new_figure",
    "signed_image",
    "signed_limit",
    "style_axes",
    "valve_figure",
]
