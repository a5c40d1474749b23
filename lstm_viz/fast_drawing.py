"""The fast drawing: what makes one slider move cheap enough (well under 50 ms) in a kernel.

- `GlyphText` / `add_readout`: monospace numbers drawn as one image from a glyph atlas,
  ~20x faster than `ax.text` for a readout that changes on every move.
- `_faster_frames`: ipympl's frames encoded at zlib level 1 instead of 6. It replaces
  matplotlib's private `FigureCanvasWebAggCore.get_diff_image` on one canvas, so it checks
  first that the canvas's internals are the ones its copy was written for (matplotlib 3.8
  to 3.11 have the same); anywhere else the canvas stays plain ipympl, silently.
"""

import inspect
import io
import sys

import matplotlib.colors as mcolors
import matplotlib.transforms as mtransforms
import numpy as np
from matplotlib.artist import Artist, allow_rasterization
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from . import _checks
from .style import FONT

# points: a projector needs ~15; the glyph atlas grows with the square; under 4 points a
# letter is under a pixel at the smallest dpi (style.MIN_DPI), which FreeType refuses
MIN_FONTSIZE, MAX_FONTSIZE = 4, 200
MAX_TEXT = 10_000  # characters in one GlyphText: a readout has a few hundred


def add_readout(ax, x=0.0, y=1.0, fontsize=None, color="black"):
    """A monospace text whose top left is at (x, y) in axes coordinates, made for numbers that
    change on every move: it draws ~20x faster than `ax.text` (see `GlyphText`).
    Use `.set_text(...)` and `.get_text()` as with a matplotlib Text."""
    _checks.axes("ax", ax)
    artist = GlyphText(x, y, fontsize=FONT["readout"] if fontsize is None else fontsize,
                       color=color, transform=ax.transAxes)
    ax.add_artist(artist)
    return artist


def _text_panel(fig, rect, fontsize):
    """A readout in an invisible axes at `rect`, anchored at its top left. (In an axes, not
    on the figure: savefig leaves out figure-level animated artists, axes-level ones it keeps.)"""
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    return add_readout(ax, 0.0, 1.0, fontsize=fontsize)


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
        xy = tuple(_checks.real_number(name, v) for name, v in (("x", x), ("y", y)))
        if max(abs(v) for v in xy) > _checks.MAX_MAGNITUDE:
            raise ValueError(f"x and y must be at most {_checks.MAX_MAGNITUDE:g} in magnitude; "
                             f"got ({x}, {y})")
        fontsize = _checks.number_in("fontsize", fontsize, MIN_FONTSIZE, MAX_FONTSIZE)
        try:
            rgb = mcolors.to_rgb(color)
        except ValueError:
            raise ValueError(f"color must be a matplotlib colour ('black', '#1b9e77', an RGB "
                             f"tuple in [0, 1], ...); got {color!r}") from None
        if transform is not None and not isinstance(transform, mtransforms.Transform):
            raise TypeError(f"transform must be a matplotlib Transform or None; "
                            f"got {type(transform).__name__}")
        self._xy = xy
        self._text = ""
        self._prop = FontProperties(family="monospace", size=fontsize)
        self._rgb = np.array(rgb) * 255
        self._drawable = set()  # characters known to be in the font
        self._atlases = {}  # dpi -> (metrics, {char: alpha (cell_h, cell_w)})
        self._image_cache = (None, None, None)  # (text, dpi) -> (rgba, top, left)
        if transform is not None:
            self.set_transform(transform)
        self.set_text(text)

    def set_text(self, text):
        """Like `Text.set_text`: any object, shown as `str(text)`. A character the monospace
        font does not have is refused (matplotlib would warn on every draw)."""
        text = str(text)
        if len(text) > MAX_TEXT:
            raise ValueError(f"text must have at most {MAX_TEXT} characters; got {len(text)}")
        new = set(text) - self._drawable
        missing = _checks.missing_glyphs("".join(new), self._prop) if new else []
        if missing:
            raise ValueError(f"text must use characters the monospace font has; "
                             f"got {missing} in {text[:60]!r}")
        self._drawable |= new
        self._text = text
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
        dpi = renderer.dpi if renderer is not None else self.figure.dpi  # 3.8 has no root=
        rgba, left, bottom = self._placement(dpi)
        return mtransforms.Bbox.from_bounds(left, bottom, rgba.shape[1], rgba.shape[0])


# ---- ipympl's frames, encoded faster -------------------------------------------------------

PNG_COMPRESS_LEVEL = 1  # zlib level of the frames sent to the browser (PIL's default is 6)

# What matplotlib's own get_diff_image reads and writes (the same in 3.8 to 3.11): the names
# in its code, its parameters, and the canvas attributes with their types. If any of these
# differs, matplotlib changed its internals and the copy below no longer stands in for it.
_DIFF_IMAGE_NAMES = frozenset({
    "_png_is_old", "get_renderer", "np", "asarray", "buffer_rgba", "view", "uint32", "squeeze",
    "_force_full", "shape", "_last_buff", "any", "set_image_mode", "where", "copy", "uint8",
    "reshape", "BytesIO", "Image", "fromarray", "save", "getvalue",
})
_DIFF_IMAGE_STATE = {"_png_is_old": bool, "_force_full": bool, "_last_buff": np.ndarray}


def _faster_frames(canvas):
    """Make a web canvas (ipympl) encode its frames with zlib level 1 instead of 6, and say
    whether it did (`SliderFigure.fast_frames`).

    Encoding the frame is the largest cost of a move: ipympl sends a full-size PNG of the
    changed pixels after every blit, and at level 6 that takes longer than drawing the moving
    artists. Level 1 halves it; the frame grows from ~4 KB to ~17 KB. This is matplotlib's own
    `FigureCanvasWebAggCore.get_diff_image` with that one argument changed, set on this canvas
    only (no class or global is touched). A canvas without that protocol, or whose internals
    differ from what the copy was written for (`_knows_diff_image`), is left as it is."""
    if not _knows_diff_image(canvas):
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

    get_diff_image.lstm_viz_copy = True  # a second SliderFigure on this canvas: already done
    canvas.get_diff_image = get_diff_image
    return True


def _knows_diff_image(canvas):
    """True when `canvas` makes its frames with exactly the get_diff_image copied above."""
    core = sys.modules.get("matplotlib.backends.backend_webagg_core")  # loaded by ipympl
    if core is None or not isinstance(canvas, core.FigureCanvasWebAggCore):
        return False  # Agg, or any canvas that is not a web canvas
    own = vars(canvas).get("get_diff_image")
    if own is not None:  # replaced on this canvas already: by this module, or by someone else
        return getattr(own, "lstm_viz_copy", False)
    original = getattr(core.FigureCanvasWebAggCore, "get_diff_image", None)
    if getattr(type(canvas), "get_diff_image", None) is not original:
        return False  # a subclass (ipympl, one day?) makes its frames its own way
    code = getattr(original, "__code__", None)
    if code is None or frozenset(code.co_names) != _DIFF_IMAGE_NAMES:
        return False
    try:
        parameters = list(inspect.signature(original).parameters)
    except (TypeError, ValueError):
        return False
    if parameters != ["self"]:
        return False
    if not (callable(getattr(canvas, "get_renderer", None))
            and callable(getattr(canvas, "set_image_mode", None))):
        return False
    missing = object()
    return all(isinstance(getattr(canvas, name, missing), kind)
               for name, kind in _DIFF_IMAGE_STATE.items())
