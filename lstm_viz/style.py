"""The series' conventions, shared by every figure of every lesson (use the constants, do not
restyle per lesson), and the small helpers that apply them."""

import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np

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


def _colorbar(ax, im, cax, label):
    fig = ax.figure
    cb = fig.colorbar(im, cax=cax) if cax is not None else fig.colorbar(im, ax=ax)
    cb.ax.tick_params(labelsize=FONT["tick"] - 1)
    if label:
        cb.set_label(label, fontsize=FONT["tick"])
    return cb
