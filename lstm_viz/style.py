"""The series' conventions, shared by every figure of every lesson (use the constants, do not
restyle per lesson), and the small helpers that apply them."""

import os

import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np

from . import _checks

GATE_CMAP = "viridis"  # gates live in (0, 1): sequential and perceptually uniform
GATE_LIMITS = (0.0, 1.0)  # the same colours mean the same value in every panel of every lesson
SIGNED_CMAP = "RdBu_r"  # g_t, c_t, h_t: diverging, centred on 0 (red positive, blue negative)
FONT = {"title": 15, "label": 13, "tick": 12, "readout": 13, "legend": 11}  # points, projector
# The same roles x 1.6 or so, for the lesson figures' landscape projector layout (classroom
# mode): the smallest drawn, 18 pt (legends, colorbar ticks at tick - 1, the readout at
# readout - 1), is 20 px at 80 dpi, still 18 px under the template's zoom down to 0.9.
PROJECTOR_FONT = {"title": 22, "label": 20, "tick": 19, "readout": 19, "legend": 18}
LAYOUTS = ("notebook", "projector")  # what $LSTM_VIZ_LAYOUT may say; layout() reads it
LAYOUT_VARIABLE = "LSTM_VIZ_LAYOUT"
# Black with a white halo: visible on viridis' dark end, on RdBu's white centre and on lines.
CURSOR_STYLE = {
    "color": "black",
    "linestyle": "-",
    "linewidth": 2.0,
    "path_effects": [path_effects.withStroke(linewidth=4.5, foreground="white")],
}
DPI = 80  # figure pixels = inches * DPI; fewer pixels, cheaper moves under ipympl
# A figure's side in pixels, at most: the lessons' largest is 1040; Agg refuses 2**23, and
# a 10000 x 10000 canvas already holds 400 MB.
MAX_PIXELS = 10_000
MIN_DPI = 20  # below it the smallest fonts get under one pixel a letter, and FreeType fails


def layout(value=None):
    """The layout the lesson figures (`UnrolledFigure`, `RelativesFigure`) are drawn in:
    "notebook" (the default: JupyterLab, the static site, nbval's stored outputs; at most
    848 px wide) or "projector" (landscape with larger fonts: UnrolledFigure 1240 x 600 px
    with `PROJECTOR_FONT`, RelativesFigure 840 x 460 px).
    `value` None reads $LSTM_VIZ_LAYOUT when the figure is made (scripts/classroom.py sets it
    to "projector" for its kernels); unset or empty is "notebook". Anything else is refused."""
    if value is None:
        value = os.environ.get(LAYOUT_VARIABLE) or "notebook"
        where = f"${LAYOUT_VARIABLE}"
    else:
        where = "layout"
    if not isinstance(value, str) or value not in LAYOUTS:
        raise ValueError(f"{where} must be one of {', '.join(map(repr, LAYOUTS))}; "
                         f"got {value!r}")
    return value


def layout_font(value=None):
    """The font sizes (points) of a layout: `FONT` for "notebook", `PROJECTOR_FONT` for
    "projector" (`value` as `layout`)."""
    return PROJECTOR_FONT if layout(value) == "projector" else FONT


def new_figure(figsize=(10, 6), dpi=DPI):
    """A figure without a layout engine (a layout engine costs ~90 ms per redraw), made
    without showing it, so it works under `%matplotlib widget` (ipympl needs pyplot's figure
    manager) and under Agg. Place axes with `fig.add_axes([left, bottom, width, height])`."""
    dpi = _checks.number_in("dpi", dpi, MIN_DPI, MAX_PIXELS)
    if isinstance(figsize, (str, bytes)) or not hasattr(figsize, "__len__") or len(figsize) != 2:
        raise TypeError(f"figsize must be (width, height) in inches; got {figsize!r}")
    width, height = (_checks.positive_number(f"figsize[{k}]", v, MAX_PIXELS / dpi)
                     for k, v in enumerate(figsize))
    if min(width, height) * dpi < 1:
        raise ValueError(f"figsize * dpi must be at least one pixel a side; got "
                         f"{width:g} x {height:g} inches at {dpi:g} dpi")
    with plt.ioff():
        fig = plt.figure(figsize=(width, height), dpi=dpi, layout="none", facecolor="white")
    return fig


def style_axes(ax, title, xlabel=None, ylabel=None, font=None):
    """Title with the symbol, named axes, projector-sized fonts (title None: no title);
    `font` a dict like `FONT` (the default), e.g. `PROJECTOR_FONT`."""
    _checks.axes("ax", ax)
    font = _font(font)
    _checks.drawable_text("title", title, optional=True)
    _checks.drawable_text("xlabel", xlabel, optional=True)
    _checks.drawable_text("ylabel", ylabel, optional=True)
    ax.set_title(title, fontsize=font["title"])
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=font["label"])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=font["label"])
    ax.tick_params(labelsize=font["tick"])
    return ax


def _font(font):
    """FONT, or a dict with FONT's keys and sizes in points."""
    if font is None:
        return FONT
    if not isinstance(font, dict) or set(font) != set(FONT):
        raise TypeError(f"font must be a dict with the keys {sorted(FONT)}, like FONT; "
                        f"got {font!r}")
    for key, size in font.items():
        _checks.positive_number(f"font[{key!r}]", size, 1000)
    return font


def add_cursor(ax, t=0):
    """The vertical line that marks step t, in the one style used on every panel."""
    _checks.axes("ax", ax)
    if abs(_checks.real_number("t", t)) > _checks.MAX_MAGNITUDE:
        raise ValueError(f"t must be at most {_checks.MAX_MAGNITUDE:g} in magnitude; got {t}")
    return ax.axvline(t, **CURSOR_STYLE)


def signed_limit(values, floor=1e-6):
    """The symmetric colour limit for signed values: max |value| (at least `floor`)."""
    values = _checks.real_array("values", values)
    floor = _checks.positive_number("floor", floor, _checks.MAX_MAGNITUDE)
    return max(float(np.max(np.abs(values))) if values.size else 0.0, floor)


def gate_image(ax, data, cax=None, label=None, font=None):
    """A units-by-time heatmap of a gate, viridis with limits 0 and 1, and its colorbar
    (`font` as in `style_axes`)."""
    data = _image_data(ax, data, cax, label)
    font = _font(font)
    im = ax.imshow(data, cmap=GATE_CMAP, vmin=GATE_LIMITS[0], vmax=GATE_LIMITS[1],
                   aspect="auto", interpolation="nearest", origin="lower")
    _colorbar(ax, im, cax, label, font)
    return im


def signed_image(ax, data, limit=None, cax=None, label=None, font=None):
    """A units-by-time heatmap of a signed quantity, diverging map, limits -limit..limit
    (default: the data's max |value|; `font` as in `style_axes`)."""
    data = _image_data(ax, data, cax, label)
    font = _font(font)
    limit = (signed_limit(data) if limit is None
             else _checks.positive_number("limit", limit, _checks.MAX_MAGNITUDE))
    im = ax.imshow(data, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit,
                   aspect="auto", interpolation="nearest", origin="lower")
    _colorbar(ax, im, cax, label, font)
    return im


def _image_data(ax, data, cax, label):
    """The checks shared by the heatmaps: a non-empty 2-D array of finite numbers."""
    _checks.axes("ax", ax)
    _checks.axes("cax", cax, optional=True)
    _checks.drawable_text("label", label, optional=True)
    data = _checks.real_array("data", data)
    if data.ndim != 2 or 0 in data.shape:
        raise ValueError(f"data must be a non-empty 2-D array (rows, columns); "
                         f"got shape {data.shape}")
    return data


def _colorbar(ax, im, cax, label, font):
    fig = ax.figure
    cb = fig.colorbar(im, cax=cax) if cax is not None else fig.colorbar(im, ax=ax)
    cb.ax.tick_params(labelsize=font["tick"] - 1)
    if label:
        cb.set_label(label, fontsize=font["tick"])
    return cb
