"""How lstm_viz refuses a bad argument: before anything is drawn or changed, with a message
that names the argument, what it must be, and what came.

A bad value must never reach numpy or matplotlib, whose warnings and errors name neither
the argument nor the figure (and some, like an overflow, only show on some machines).
"""

import math
import numbers

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cbook import is_math_text
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.mathtext import MathTextParser

_MATHTEXT = MathTextParser("path")  # one parser: it caches what it parsed (a title per figure)
# Values drawn or printed are at most this large: matplotlib's axis and colour arithmetic
# (limits times 1.1, vmax - vmin) overflows near 1e308, and no lesson comes near 1e100.
MAX_MAGNITUDE = 1e100


def real_number(name, value):
    """`value` as a float, or a TypeError / ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite number; got {value!r} "
                        f"of type {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        raise ValueError(f"{name} must be a finite number; got an integer of "
                         f"{len(str(abs(value)))} digits") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {number}")
    return number


def positive_number(name, value, largest):
    """A finite number in (0, largest]."""
    number = real_number(name, value)
    if not 0 < number <= largest:
        raise ValueError(f"{name} must be positive and at most {largest:g}; got {number:g}")
    return number


def number_in(name, value, low, high):
    """A finite number in [low, high]."""
    number = real_number(name, value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}]; got {number:g}")
    return number


def integer(name, value, low, high):
    """`value` as an int in [low, high] (bools are refused: True is not an index)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r} of type {type(value).__name__}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}]; got {value}")
    return value


def real_array(name, value, largest=MAX_MAGNITUDE):
    """`value` as a float array of finite numbers of magnitude at most `largest`."""
    if hasattr(value, "detach"):  # a torch tensor, perhaps requiring grad: numpy cannot read it
        value = value.detach().cpu()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):  # ragged lists, unsupported tensor dtypes
        raise TypeError(f"{name} must be an array of real numbers; got a "
                        f"{type(value).__name__} that is not one") from None
    if array.dtype.kind not in "biuf":  # bool, int, unsigned, float
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    # Checked before the cast to float64, which would overflow a longdouble beyond 1.8e308;
    # and against at most the dtype's own largest, since comparing a float32 array with 1e100
    # casts 1e100 to float32 (an overflow warning).
    if array.dtype.kind == "f":
        largest = min(largest, float(np.finfo(array.dtype).max))
    bad = ~(np.abs(array) <= largest)  # NaN compares False: bad too
    if bad.any():
        where = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(f"{name} must hold finite numbers of magnitude at most {largest:g}; "
                         f"got {array[where]} at index {where}")
    return array.astype(float)


def axes(name, value, optional=False):
    if optional and value is None:
        return None
    if not isinstance(value, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes{' or None' if optional else ''}; "
                        f"got {type(value).__name__}")
    return value


def drawable_text(name, value, monospace=False, optional=False):
    """A str that matplotlib can draw (in the default font, or the monospace one) without a
    warning or an error at draw time: every character in the font, any $...$ valid mathtext."""
    if optional and value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str{' or None' if optional else ''}; "
                        f"got {type(value).__name__}")
    font = "monospace" if monospace else "default"
    missing = missing_glyphs(value, FontProperties(family=["monospace"] if monospace else None))
    if missing:
        raise ValueError(f"{name} must use characters the {font} font has; "
                         f"{value!r} has {missing}")
    if is_math_text(value):
        try:
            _MATHTEXT.parse(value)
        except ValueError as err:
            first = str(err).strip().splitlines()[-1]
            raise ValueError(f"{name} must be valid mathtext between its $ signs; "
                             f"got {value!r} ({first})") from None
    return value


def missing_glyphs(text, prop):
    """The characters of `text` (but newlines) that the font of `prop` cannot draw."""
    font = get_font(findfont(prop))
    return sorted(c for c in set(text) - {"\n"} if font.get_char_index(ord(c)) == 0)
