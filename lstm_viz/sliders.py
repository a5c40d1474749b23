"""The slider machinery: a figure drawn once, ipywidgets controls, and an update function that
changes artists in place; each move redraws only the moving artists over a cached background.
`float_slider` makes the real-valued controls (see the package docstring for why)."""

import builtins
import html
import io
import math
import numbers
from contextlib import contextmanager
from itertools import pairwise

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from traitlets import TraitError

from . import _checks
from .fast_drawing import _faster_frames
from .style import MAX_PIXELS, MIN_DPI

TEXT_CLASS = "lstm-figure-text"  # CSS class of SliderFigure's HTML text (classroom/ hides it)
# At most this many options on one float_slider (2000 steps): a slider's track is a few
# hundred pixels wide, so more could not be told apart by dragging, and the page gets every
# option's label.
MAX_OPTIONS = 2001
MAX_DECIMALS = 15  # a float64 carries 15 to 17 significant digits


def _decimals(x, scale=None, name="step"):
    """How many decimals write `x` to within a billionth of `scale` (default |x|):
    0.5 -> 1, 0.25 -> 2, 2 -> 0, 1e-12 -> 12; min=0.05 on a 0.1 grid -> 2."""
    scale = abs(x) if scale is None else scale
    for d in range(MAX_DECIMALS + 1):
        if abs(round(x, d) - x) <= 1e-9 * scale:
            return d
    raise ValueError(f"{name} must be written with at most {MAX_DECIMALS} decimals (a "
                     f"float_slider's labels); got {x!r}")


def float_slider(value, min, max, step, description="", decimals=None):  # noqa: A002
    """A slider over the real values min, min + step, ..., max, for a SliderFigure.

    It is a `SelectionSlider` whose options are the values rounded to `decimals` (default: the
    decimals of `step` and of `min`) and labelled with them, so `.value` is a float such as 0.3
    (not 0.30000000000000004) and the page exchanges an option index with the kernel. A
    `FloatSlider` would echo every value the kernel sets, snapped onto the page's own grid,
    back to the kernel, where a late echo undoes `view.reset()` (see the package docstring).
    `value` must be on the grid; at most `MAX_OPTIONS` options (2000 steps)."""
    if not isinstance(description, str):
        raise TypeError(f"description must be a str; got {type(description).__name__}")
    options, chosen = _float_options(value, min, max, step, decimals,
                                     description.strip() or "value")
    return widgets.SelectionSlider(options=options, value=chosen, description=description,
                                   continuous_update=True)


def _float_options(value, min, max, step, decimals, name):  # noqa: A002
    """float_slider's ([(label, value), ...], the option for `value`), or the error a bad
    argument gets, before any widget exists. `name` names `value` in the messages."""
    value = _checks.real_number(name, value)
    lo, hi, step = (_checks.real_number(n, v) for n, v in (("min", min), ("max", max),
                                                            ("step", step)))
    if not lo < hi:
        raise ValueError(f"min must be below max; got min={lo}, max={hi}")
    if not math.isfinite(hi - lo):
        raise ValueError(f"max - min must be a finite number; got min={lo}, max={hi}")
    if step <= 0:
        raise ValueError(f"step must be positive; got {step}")
    n = (hi - lo) / step  # Python floats: an overflow is inf, never a warning
    if not n <= MAX_OPTIONS - 1:
        raise ValueError(f"a float_slider has at most {MAX_OPTIONS} options ({MAX_OPTIONS - 1} "
                         f"steps); got (max - min) / step = {n:.4g} steps (min={lo}, "
                         f"max={hi}, step={step})")
    if n < 0.5:  # the grid would be min alone
        raise ValueError(f"step must be at most max - min = {hi - lo}; got {step}")
    if abs(n - round(n)) > 1e-9 * builtins.max(1.0, n):
        raise ValueError(f"(max - min) must be a whole number of steps; got min={lo}, "
                         f"max={hi}, step={step} ({n:g} steps)")
    spacing = math.ulp(builtins.max(abs(lo), abs(hi)))  # float64's resolution at this size
    if step < 1000 * spacing:
        raise ValueError(f"step must be at least 1000 times the float resolution at "
                         f"{builtins.max(abs(lo), abs(hi)):g} ({spacing:g}); got {step}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [min, max] = [{lo}, {hi}]; got {value}")
    needed = builtins.max(_decimals(step), _decimals(lo, scale=step, name="min"))
    if decimals is None:
        decimals = needed
    decimals = _checks.integer("decimals", decimals, 0, MAX_DECIMALS)
    if decimals < needed:
        raise ValueError(f"decimals must be at least {needed} to write min={lo} and "
                         f"step={step}; got {decimals}")
    grid = [round(lo + k * step, decimals) + 0.0 for k in range(round(n) + 1)]  # + 0.0: no -0.0
    k = builtins.min(builtins.max(round((value - lo) / step), 0), len(grid) - 1)
    if abs(grid[k] - value) > builtins.max(1e-6 * step, 4 * spacing):
        raise ValueError(f"{name} must be on the grid {lo}, {grid[1]}, ..., {hi} "
                         f"(step {step}); got {value}")
    return [(f"{g:.{decimals}f}", g) for g in grid], grid[k]


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
    `fast_frames` says whether the canvas's frames are encoded faster (ipympl on a matplotlib
    whose internals `_faster_frames` knows); False means plain ipympl, or no web canvas.
    """

    def __init__(self, fig, controls, update, artists, *, blit="auto", full_redraw=(),
                 text=None):
        if not isinstance(fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
        if not isinstance(controls, dict) or not controls:
            raise TypeError("controls must be a non-empty dict {name: ipywidgets widget}; "
                            f"got {type(controls).__name__}")
        for name, w in controls.items():
            if not isinstance(name, str):  # update(**values) takes names only
                raise TypeError(f"control names must be str; got {name!r}")
            if not isinstance(w, widgets.ValueWidget):
                raise TypeError(f"control {name!r} must be an ipywidgets value widget "
                                f"(IntSlider, Dropdown, ...); got {type(w).__name__}")
        if not callable(update):
            raise TypeError(f"update must be callable; got {type(update).__name__}")
        if text is not None and not callable(text):
            raise TypeError(f"text must be callable or None; got {type(text).__name__}")
        check_blit(blit)
        artists = _sequence("artists", artists)
        for k, a in enumerate(artists):
            if not isinstance(a, Artist) or a.figure is None:
                raise TypeError(f"artists[{k}] must be a matplotlib artist in the figure "
                                f"(a Line2D, Text, ... added to an axes); got {type(a).__name__}")
        full_redraw = _sequence("full_redraw", full_redraw)
        unknown = [n for n in full_redraw if n not in controls]
        if unknown:
            raise ValueError(f"full_redraw names unknown controls {unknown}; "
                             f"controls are {list(controls)}")
        self.figure = fig
        self.controls = dict(controls)
        self.defaults = {name: w.value for name, w in controls.items()}
        self.artists = artists
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
        was_animated = [a.get_animated() for a in self.artists]
        for a in self.artists:
            a.set_animated(True)
        self._cid = fig.canvas.mpl_connect("draw_event", self._on_draw)
        self.fast_frames = _faster_frames(fig.canvas)  # ipympl only
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        try:
            self._run_update()
        except BaseException:  # update or text refused the defaults: leave no hooks behind
            self._detach()
            for a, animated in zip(self.artists, was_animated, strict=True):
                a.set_animated(animated)
            raise

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
        """The value control `name` will take for `value`, or the error; changes nothing."""
        w = self.controls[name]
        if hasattr(w, "options") and not hasattr(w, "min"):  # Dropdown, SelectionSlider, ...
            return _option(name, value, [o[1] if isinstance(o, tuple) else o for o in w.options])
        if hasattr(w, "min") and hasattr(w, "max"):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number; got {value!r} "
                                f"of type {type(value).__name__}")
            if isinstance(w, (widgets.IntSlider, widgets.BoundedIntText)) and (
                    not isinstance(value, numbers.Integral)):
                raise TypeError(f"{name} must be an integer; got {value!r}")
            if not (w.min <= value <= w.max):  # NaN too: ipywidgets would clamp it silently
                raise ValueError(f"{name} must be in [{w.min}, {w.max}]; got {value}")
            return value
        # Checkbox, Text, ...: what the widget's own trait accepts (an Any trait takes all)
        validate = getattr(w.traits()["value"], "validate", None)
        try:
            if validate is not None:
                validate(w, value)
        except TraitError:
            raise TypeError(f"{name} must be a value a {type(w).__name__} takes, like its "
                            f"default {self.defaults[name]!r}; got {value!r}") from None
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
            text = self._text(**values)
            if not isinstance(text, str):
                raise TypeError(f"text(**values) must return a str; got {type(text).__name__}")
            self.text_widget.value = (
                '<pre style="font-family: monospace; line-height: 1.3; margin: 0">'
                f"{html.escape(text)}</pre>")
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
        if dpi is not None:
            largest = MAX_PIXELS / max(self.figure.get_size_inches())
            dpi = _checks.number_in("dpi", dpi, MIN_DPI, largest)
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
        self._detach()
        plt.close(self.figure)

    def _detach(self):
        """Unhook this view from its controls and its canvas."""
        for w in self.controls.values():
            w.unobserve(self._on_change, names="value")
        self.canvas.mpl_disconnect(self._cid)

    def _ipython_display_(self):  # a cell ending with the figure object shows it live
        self.show()

    def __repr__(self):
        values = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{type(self).__name__}({values})"


def check_blit(blit):
    """SliderFigure's `blit`: "auto", True or False (not 1, not "yes")."""
    if not (blit is True or blit is False or (isinstance(blit, str) and blit == "auto")):
        raise ValueError(f"blit must be 'auto', True or False; got {blit!r}")


def _sequence(name, value):
    """A list from a list or tuple (a str would be a sequence of letters)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple; got {type(value).__name__}")
    return list(value)


def _option(name, value, allowed):
    """The option among `allowed` that `value` means: an equal option (True is not 1, an
    array is no option), or for a real number the nearest float option within round-off of
    their spacing (0.1 + 0.2 for a float_slider's 0.3)."""
    for a in allowed:
        if isinstance(value, bool) == isinstance(a, bool) and _same(value, a):
            return a
    floats = [a for a in allowed if isinstance(a, numbers.Real)
              and not isinstance(a, (bool, numbers.Integral))]  # an int option wants an int
    reals = sorted(float(a) for a in floats)
    if reals and isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            v = float(value)
        except OverflowError:  # an int beyond float's range is near no option
            v = math.inf
        gap = min((b - a for a, b in pairwise(reals) if b > a), default=1.0)
        nearest = min(reals, key=lambda a: abs(a - v))
        if abs(nearest - v) <= 1e-6 * gap:
            return next(a for a in floats if float(a) == nearest)
    shown = allowed if len(allowed) <= 12 else [*allowed[:3], "...", *allowed[-2:]]
    raise ValueError(f"{name} must be one of {shown} ({len(allowed)} options); got {value!r}")


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):  # [1.0] == 1 is no match
        return a is b
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # objects whose == is not a truth value
        return a is b
