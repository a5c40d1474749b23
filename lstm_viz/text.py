"""Lesson 9's figures: text whose characters are coloured by one unit's value (Karpathy,
Johnson & Fei-Fei 2015) and LSTMVis's select view (a unit and a threshold: where it fires).

Both draw a window of the text as one image, a cell per character, composed in numpy from a
glyph atlas (each character rendered once by matplotlib): a move re-composes the window in
about a millisecond and blits it, where drawing 1000 characters with `ax.text` would take
tens of milliseconds. They draw the values they are given; they compute no LSTM.

    view = CellTextFigure(text, c, units=[17, 3], unit=17, t=200, labels=labels)
    view.set(unit=3, t=512); view.readout.get_text()

    view = SelectFigure(text, c, units=[17], threshold=0.5, labels={"in_string": ...})
    view.set(threshold=0.8); view.firing()   # the characters where the unit is above it
"""

import math
import numbers

import ipywidgets as widgets
import matplotlib as mpl
import matplotlib.colors as mcolors
import matplotlib.transforms as mtransforms
import numpy as np
from matplotlib.artist import Artist, allow_rasterization
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from .fast_drawing import add_readout
from .sliders import SliderFigure, float_slider
from .style import DPI, FONT, GATE_CMAP, SIGNED_CMAP, add_cursor, new_figure, signed_limit

__all__ = ["TextGrid", "CellTextFigure", "SelectFigure"]

FIRING_COLOR = mpl.colormaps[GATE_CMAP](1.0)[:3]  # viridis' yellow: "on", as an open gate
GUTTER = 5  # cells for the line numbers, left of the text


class TextGrid:
    """A text laid out in lines of character cells, drawn as an RGB image (uint8).

    `image(first_line, lines, colors)` is the window of `lines` lines from `first_line`:
    character k's cell has the background colors[k] (an (N, 3) array in [0, 1]) and its
    glyph in black, or white where the background is dark; line numbers in grey in a gutter.
    Lines longer than `cols` are cut. The newline that ends a line is a blank cell of its
    own, coloured like the others (it is a character the model reads). `scale` 2 draws the
    same layout with twice the pixels (a HiDPI canvas), the glyphs rendered at that size."""

    def __init__(self, text, cols=80, fontsize=11, dpi=DPI):
        if not isinstance(text, str) or not text:
            raise TypeError("text must be a non-empty str")
        self.text, self.cols, self.fontsize, self.dpi = text, int(cols), fontsize, dpi
        codes = np.frombuffer(text.encode("utf-32-le"), np.uint32)
        newlines = np.flatnonzero(codes == 10)
        self.line_starts = np.r_[0, newlines + 1]  # every line's first character
        if self.line_starts[-1] == len(text):  # a final newline starts no line
            self.line_starts = self.line_starts[:-1]
        self.n_lines = len(self.line_starts)
        self.line_of = np.searchsorted(self.line_starts, np.arange(len(text)), "right") - 1
        self.col_of = np.arange(len(text)) - self.line_starts[self.line_of]
        self.chars = sorted(set(text) - {"\n"} | set("0123456789"))
        lookup = np.full(max(map(ord, self.chars)) + 1, -1)
        lookup[[ord(ch) for ch in self.chars]] = np.arange(len(self.chars))
        self.glyph_of = np.where(codes == 10, -1, lookup[np.minimum(codes, len(lookup) - 1)])
        self._digits = lookup[[ord(d) for d in "0123456789"]]
        self._atlases = {}
        atlas = self.atlas(1)
        self.cell_h, self.cell_w = atlas.shape[1:]
        self.width = (GUTTER + self.cols) * self.cell_w  # pixels
        self._gutter_cache = {}

    def atlas(self, scale):
        """(glyphs + 1, cell_h, cell_w) alpha in [0, 1]; the last entry is blank (index -1)."""
        if scale not in self._atlases:
            self._atlases[scale] = _glyph_atlas(self.chars, self.fontsize, self.dpi, scale)
        return self._atlases[scale]

    def line_range(self, first_line, lines):
        """The indices of the characters shown from `first_line`, for `lines` lines."""
        a = self.line_starts[first_line]
        end = first_line + lines
        b = self.line_starts[end] if end < self.n_lines else len(self.text)
        return a, b

    def window_around(self, t, lines):
        """The first line of a window of `lines` lines that shows character t near its middle."""
        line = int(self.line_of[t])
        return int(np.clip(line - lines // 2, 0, max(self.n_lines - lines, 0)))

    def image(self, first_line, lines, colors, scale=1):
        """The window as an (lines * cell_h, width, 3) uint8 image (times `scale`)."""
        atlas = self.atlas(scale)
        C = GUTTER + self.cols
        a, b = self.line_range(first_line, lines)
        k = np.arange(a, b)
        k = k[self.col_of[k] < self.cols]
        rows, cols = self.line_of[k] - first_line, self.col_of[k] + GUTTER
        bg = np.ones((lines, C, 3), np.float32)  # white where there is no character
        bg[rows, cols] = colors[k]
        glyph = np.full((lines, C), -1)
        glyph[rows, cols] = self.glyph_of[k]
        glyph[:, :GUTTER - 1] = self._gutter(first_line, lines)
        ink = np.where(bg @ np.array([0.299, 0.587, 0.114], np.float32) < 0.45, 1.0, 0.0)
        ink = np.repeat(ink[:, :, None], 3, axis=2).astype(np.float32)  # white on dark cells
        ink[:, :GUTTER - 1] = 0.45  # grey line numbers
        alpha = atlas[glyph][:, :, :, :, None]  # (lines, C, h, w, 1)
        out = bg[:, :, None, None] + (ink - bg)[:, :, None, None] * alpha  # (lines, C, h, w, 3)
        h, w = atlas.shape[1:]
        out = out.transpose(0, 2, 1, 3, 4).reshape(lines * h, C * w, 3)
        return (out * 255 + 0.5).astype(np.uint8)

    def _gutter(self, first_line, lines):
        if (first_line, lines) not in self._gutter_cache:
            rows = np.full((lines, GUTTER - 1), -1)
            for r in range(min(lines, self.n_lines - first_line)):
                number = str(first_line + r + 1)[-(GUTTER - 1):].rjust(GUTTER - 1)
                rows[r] = [self._digits[int(d)] if d != " " else -1 for d in number]
            self._gutter_cache[(first_line, lines)] = rows
        return self._gutter_cache[(first_line, lines)]


def _glyph_atlas(chars, fontsize, dpi, scale=1):
    """Each character rendered once in a monospace font: alpha (n + 1, h, w) in [0, 1], the
    last one blank; a cell is as wide as the font's advance at `dpi` (rounded up) and 1.35
    font sizes high, times `scale` (the glyphs rendered at dpi * scale)."""
    prop = FontProperties(family="monospace", size=fontsize)
    renderer = FigureCanvasAgg(Figure(dpi=dpi)).get_renderer()
    width, _, _ = renderer.get_text_width_height_descent("0" * 100, prop, False)
    cw = int(math.ceil(width / 100)) * scale
    ch = int(math.ceil(1.35 * fontsize * dpi / 72)) * scale
    _, _, descent = renderer.get_text_width_height_descent("lp", prop, False)
    sheet = Figure(figsize=(cw * len(chars) / (dpi * scale), ch / (dpi * scale)),
                   dpi=dpi * scale)
    sheet.patch.set_alpha(0)
    FigureCanvasAgg(sheet)
    size_px = fontsize * dpi * scale / 72
    base = int(round((ch - size_px) / 2 + descent * scale))  # the baseline, from the bottom
    for k, char in enumerate(chars):
        sheet.text(k * cw, base, char, fontproperties=prop, va="baseline", ha="left",
                   transform=mtransforms.IdentityTransform())
    sheet.canvas.draw()
    alpha = np.asarray(sheet.canvas.buffer_rgba())[:ch, :cw * len(chars), 3]
    alpha = alpha.astype(np.float32).reshape(ch, len(chars), cw).transpose(1, 0, 2) / 255
    return np.concatenate([alpha, np.zeros((1, ch, cw), np.float32)])


class _PixelImage(Artist):
    """An RGB image drawn pixel for pixel at the top left of an axes (no resampling, so the
    glyphs stay sharp, and ~50x cheaper than AxesImage's path). `render(scale)` gives the
    pixels; on a canvas of twice the figure's dpi (HiDPI) it is asked for scale 2."""

    def __init__(self, ax, render):
        super().__init__()
        self.ax, self.render = ax, render
        self.set_figure(ax.figure)

    @allow_rasterization
    def draw(self, renderer):
        if not self.get_visible():
            return
        scale = max(1, int(round(renderer.dpi / DPI)))  # the grid's cells are for DPI
        rgb = self.render(scale)
        rgba = np.empty((*rgb.shape[:2], 4), np.uint8)
        rgba[:, :, :3], rgba[:, :, 3] = rgb, 255
        box = self.ax.bbox
        gc = renderer.new_gc()
        renderer.draw_image(gc, int(round(box.x0)), int(round(box.y1)) - rgba.shape[0],
                            rgba[::-1])  # draw_image wants the bottom row first
        gc.restore()
        self.stale = False

    def get_array(self):
        return self.render(1)


def _check_values(text, values):
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[0] != len(text):
        raise ValueError(f"values must be (len(text), H) = ({len(text)}, H): one row per "
                         f"character; got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite")
    return values


def _unit_options(units, H):
    """Dropdown options [(label, unit), ...] from unit indices or (label, unit) pairs."""
    options = []
    for u in units:
        label, unit = (u if isinstance(u, tuple) else (f"unit {u}", u))
        if isinstance(unit, bool) or not isinstance(unit, numbers.Integral) or not 0 <= unit < H:
            raise ValueError(f"units must be unit indices in [0, {H}); got {unit!r}")
        options.append((str(label), int(unit)))
    if not options:
        raise ValueError("units must name at least one unit")
    return options


def _check_labels(labels, N):
    labels = dict(labels or {})
    for name, v in labels.items():
        if np.shape(v) != (N,):
            raise ValueError(f"labels[{name!r}] must have one value per character ({N},); got "
                             f"shape {np.shape(v)}")
    return {name: np.asarray(v) for name, v in labels.items()}


def _show_char(ch):
    return {"\n": "\\n", " ": "space", "'": "'"}.get(ch, ch)


class _TextFigure(SliderFigure):
    """The parts both figures share: the text window, the cursor box at character t, the
    strip of the unit's values over the whole text with a cursor, and a readout."""

    def _build(self, text, values, units, unit, t, lines, cols, name, labels, fontsize,
               title, height, controls, full_redraw, blit):
        self.text = text
        self.states = _check_values(text, values)
        self.N, self.H = self.states.shape
        self.name = name
        self.labels = _check_labels(labels, self.N)
        options = _unit_options(units, self.H)
        if unit is None:
            unit = options[0][1]
        if unit not in [u for _, u in options]:
            raise ValueError(f"unit {unit!r} is not among the dropdown's units "
                             f"{[u for _, u in options]}")
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or not 0 <= t < self.N:
            raise ValueError(f"t must be a character position in [0, {self.N}); got {t!r}")
        self.grid = TextGrid(text, cols=cols, fontsize=fontsize)
        self.lines = min(int(lines), self.grid.n_lines)
        g = self.grid
        W_px, top, img_h = 840, 40, self.lines * g.cell_h  # the figure is 10.5 in at DPI 80
        H_px = top + img_h + height
        fig = new_figure(figsize=(W_px / DPI, H_px / DPI))
        self.title = fig.text(0.01, 1 - 8 / H_px, "", fontsize=FONT["title"], va="top")
        self._title_fmt = title
        left = 10
        self.ax_text = fig.add_axes([left / W_px, (H_px - top - img_h) / H_px,
                                     g.width / W_px, img_h / H_px])
        self.ax_text.set_axis_off()
        self.ax_text.set(xlim=(0, g.width), ylim=(img_h, 0))  # pixels, from the top left
        self._window = (0, np.ones((self.N, 3)))  # (first line, colours) the image shows
        self.image = _PixelImage(self.ax_text, lambda scale: g.image(
            self._window[0], self.lines, self._window[1], scale))
        self.ax_text.add_artist(self.image)
        self.box = Rectangle((0, 0), g.cell_w, g.cell_h, fill=False, lw=2, ec="black")
        self.ax_text.add_patch(self.box)
        self._layout = (W_px, H_px, top, img_h, left)
        self._make_panels(fig)
        controls = {"unit": widgets.Dropdown(options=options, value=unit, description="unit"),
                    "t": widgets.IntSlider(t, 0, self.N - 1, description="position t"),
                    **controls}
        moving = [self.image, self.box, self.cursor, self.readout, *self._moving()]
        super().__init__(fig, controls, self._update, moving,
                         full_redraw=("unit", *full_redraw), text=self._text, blit=blit)

    def _strip(self, fig, rect, xlabel):
        ax = fig.add_axes(rect)
        ax.set_xlim(0, self.N - 1)
        ax.set_xlabel(xlabel, fontsize=FONT["label"])
        ax.tick_params(labelsize=FONT["tick"])
        (self.line,) = ax.plot(np.arange(self.N), self.states[:, 0], color="0.2", lw=0.8)
        ax.axhline(0, color="0.6", lw=0.8)
        self.cursor = add_cursor(ax, 0)
        return ax

    def _unit_changed(self, unit):
        """Static artists that depend on the unit (a full redraw follows)."""
        v = self.states[:, unit]
        self.line.set_ydata(v)
        lim = signed_limit(v)
        self.ax_strip.set_ylim(-1.08 * lim, 1.08 * lim)
        self.title.set_text(self._title_fmt.format(unit=unit, name=self.name))
        return lim

    def _place(self, t):
        g = self.grid
        first = g.window_around(t, self.lines)
        row, col = g.line_of[t] - first, g.col_of[t]
        self.box.set_xy(((GUTTER + min(col, g.cols - 1)) * g.cell_w, row * g.cell_h))
        self.cursor.set_xdata([t, t])
        return first

    def labels_at(self, t):
        return ", ".join(f"{k} {int(v[t])}" for k, v in self.labels.items())

    def value_at(self, t=None, unit=None):
        values = self.states
        return float(values[self.controls["t"].value if t is None else t,
                            self.controls["unit"].value if unit is None else unit])

    def _where(self, t):
        g = self.grid
        return (f"t = {t}: line {g.line_of[t] + 1}, column {g.col_of[t]}, "
                f"character {_show_char(self.text[t])!r}")


class CellTextFigure(_TextFigure):
    """The text coloured by one unit's value at each character (the paper's figures): red
    above 0, blue below (the series' signed map, symmetric limits for the unit over the
    whole text), a box on character t, the unit's values over the whole text below, and
    the numbers at t. Controls: unit (dropdown over `units`), position t (slider).

    text    the text the model read; values (len(text), H): e.g. c_t or h_t of each step.
    units   the dropdown's units: indices, or (label, unit) pairs ("unit 17 (column)", 17).
    labels  optional {name: (len(text),) array}: printed at t in the readout.
    """

    def __init__(self, text, values, units, unit=None, t=0, *, lines=14, cols=80,
                 name="c_t", labels=None, fontsize=11,
                 title="${name}$ of unit {unit}, one colour per character", blit="auto"):
        self._build(text, values, units, unit, t, lines, cols, name, labels, fontsize,
                    title, 220, {}, (), blit)

    def _make_panels(self, fig):
        W_px, H_px, top, img_h, left = self._layout
        g = self.grid
        x0 = (left + g.width + 22) / W_px
        self.cax = fig.add_axes([x0, (H_px - top - img_h) / H_px, 14 / W_px, img_h / H_px])
        self.cmap = mpl.colormaps[SIGNED_CMAP]
        self.norm = mcolors.Normalize(-1, 1)
        self.colorbar = fig.colorbar(mpl.cm.ScalarMappable(self.norm, self.cmap), cax=self.cax)
        self.colorbar.ax.tick_params(labelsize=FONT["tick"] - 1)
        self.ax_strip = self._strip(fig, [left / W_px + 0.06, 100 / H_px, 0.82, 80 / H_px],
                                    "character position t")
        self.ax_strip.set_ylabel("value", fontsize=FONT["label"] - 1)
        ax_read = fig.add_axes([left / W_px, 4 / H_px, 0.95, 40 / H_px])
        ax_read.set_axis_off()
        self.readout = add_readout(ax_read, 0.0, 1.0)
        self._colors_for = None

    def _moving(self):
        return []

    def _update(self, unit, t):
        full = False
        if self._colors_for != unit:
            lim = self._unit_changed(unit)
            self.norm.vmin, self.norm.vmax = -lim, lim
            self.colorbar.update_normal(self.colorbar.mappable)
            self.colorbar.set_label(f"${self.name}$, unit {unit}", fontsize=FONT["tick"])
            self._colors = self.cmap(self.norm(self.states[:, unit]))[:, :3]
            self._colors_for, full = unit, True
        first = self._place(t)
        self._window = (first, self._colors)
        self.readout.set_text(self._readout_text(unit, t))
        return full

    def _readout_text(self, unit, t):
        labels = self.labels_at(t)
        return (f"{self._where(t)}   ${self.name}$[{unit}] = {self.value_at(t, unit):+.3f}"
                .replace("$", "") + (f"\nlabels at t: {labels}" if labels else ""))

    def _text(self, unit, t):
        return self._readout_text(unit, t)


class SelectFigure(_TextFigure):
    """LSTMVis's select view: pick a unit and a threshold; the characters where the unit's
    value is above it (or below it: the `side` control) are highlighted (viridis' yellow) in
    the text, shaded under the values over the whole text, and counted against each label: of
    the characters where it fires, the share that carry the label, and of those that carry
    it, the share it fires on. Controls: unit, side, threshold, position t.

    labels  {name: (len(text),) array of 0 and 1}: the binary labels to count against.
    threshold_grid  (low, high, step) of the threshold slider (a `float_slider`).
    side    "above" or "below": where the unit fires, by default.
    """

    def __init__(self, text, values, units, unit=None, threshold=0.5, t=0, *, side="above",
                 labels=None, threshold_grid=(-1.0, 1.0, 0.05), lines=10, cols=80,
                 name="c_t", fontsize=11, title="where ${name}$ of unit {unit} fires",
                 blit="auto"):
        low, high, step = threshold_grid
        if side not in ("above", "below"):
            raise ValueError(f"side must be 'above' or 'below'; got {side!r}")
        controls = {"side": widgets.Dropdown(options=["above", "below"], value=side,
                                             description="fires"),
                    "threshold": float_slider(threshold, low, high, step,
                                              description="threshold")}
        self._build(text, values, units, unit, t, lines, cols, name, labels, fontsize,
                    title, 262, controls, (), blit)

    def _make_panels(self, fig):
        W_px, H_px, top, img_h, left = self._layout
        self.ax_strip = self._strip(fig, [left / W_px + 0.06, 146 / H_px, 0.9, 80 / H_px],
                                    "character position t")
        self.ax_strip.set_ylabel("value", fontsize=FONT["label"] - 1)
        (self.threshold_line,) = self.ax_strip.plot([0, self.N - 1], [0, 0], color="#b2182b",
                                                    lw=1.5, ls="--")
        self.on_strip = self.ax_strip.imshow(np.zeros((1, self.N, 4)), aspect="auto",
                                             interpolation="nearest", zorder=0,
                                             extent=(-0.5, self.N - 0.5, -1, 1))
        ax_read = fig.add_axes([left / W_px, 4 / H_px, 0.95, 88 / H_px])
        ax_read.set_axis_off()
        self.readout = add_readout(ax_read, 0.0, 1.0)
        self._unit_shown = None

    def _moving(self):
        return [self.threshold_line, self.on_strip]

    def firing(self, unit=None, threshold=None, side=None):
        """(N,) bool: where the unit's value is above (or below) the threshold; the defaults
        are the controls' values."""
        unit = self.controls["unit"].value if unit is None else unit
        threshold = self.controls["threshold"].value if threshold is None else threshold
        side = self.controls["side"].value if side is None else side
        v = self.states[:, unit]
        return v > threshold if side == "above" else v < threshold

    def counts(self, unit=None, threshold=None, side=None):
        """{label: (share of the firing characters with the label, share of the labelled
        characters that fire)}, and how many characters fire."""
        on = self.firing(unit, threshold, side)
        out = {}
        for name, v in self.labels.items():
            lab = v > 0
            out[name] = (float((on & lab).sum() / on.sum()) if on.any() else math.nan,
                         float((on & lab).sum() / lab.sum()) if lab.any() else math.nan)
        return out, int(on.sum())

    def _update(self, unit, t, side, threshold):
        full = False
        if self._unit_shown != unit:
            lim = self._unit_changed(unit)
            self.on_strip.set_extent((-0.5, self.N - 0.5, -1.08 * lim, 1.08 * lim))
            self._unit_shown, full = unit, True
        on = self.firing(unit, threshold, side)
        colors = np.where(on[:, None], np.array(FIRING_COLOR), 1.0)
        rgba = np.zeros((1, self.N, 4))
        rgba[0, on] = (*FIRING_COLOR, 0.6)
        self.on_strip.set_data(rgba)
        self.threshold_line.set_ydata([threshold, threshold])
        first = self._place(t)
        self._window = (first, colors)
        self.readout.set_text(self._readout_text(unit, t, side, threshold))
        return full

    def _readout_text(self, unit, t, side, threshold):
        shares, n_on = self.counts(unit, threshold, side)
        rows = [f"unit {unit} {side} {threshold:+.2f}: fires on {n_on} of {self.N} characters "
                f"({100 * n_on / self.N:.1f}%)"]
        for name, (precision, recall) in shares.items():
            if n_on:
                rows.append(f"  {name}: {100 * precision:5.1f}% of them; it fires on "
                            f"{100 * recall:5.1f}% of the {int((self.labels[name] > 0).sum())} "
                            f"{name} characters")
        fires = self.firing(unit, threshold, side)[t]
        rows.append(f"{self._where(t)}: {self.name}[{unit}] = {self.value_at(t, unit):+.3f}, "
                    f"{'fires' if fires else 'off'}")
        return "\n".join(rows)

    def _text(self, unit, t, side, threshold):
        return self._readout_text(unit, t, side, threshold)
