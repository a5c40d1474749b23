"""Lesson 3's exercise: the step and the unit where the forget gate is most closed."""

import math
import numbers

import numpy as np

from lstm_exercises import Wrong, checked, right, wrong


def _index(name, value, what):
    """A whole number (int, numpy integer, or a float such as 50.0), as an int."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)) or np.ndim(value):
        shown = (f"the text {value!r} (write the number without quotes)"
                 if isinstance(value, (str, bytes)) else repr(value))
        raise Wrong(f"{name} should be one whole number, {what}; got {shown}")
    if not isinstance(value, numbers.Real):
        raise Wrong(f"{name} should be one whole number, {what}; got a {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x) or x != int(x):
        raise Wrong(f"{name} should be a whole number, {what}; got {value!r}")
    return int(x)


def _gates(trace):
    """f, i, g, c of one sequence as (T, H) arrays (the first of a batch)."""
    fields = [np.asarray(getattr(trace, k), dtype=float) for k in "figc"]
    return [a[:, :, 0] if a.ndim == 3 else a for a in fields]


@checked("t_closed", "unit_closed", what="in the cell above, replace each ... with a whole "
         "number (t_closed = 0, say), run it, then run this check again")
def check(t_closed, unit_closed, trace):
    """Right when trace.f[t_closed, unit_closed] is the smallest forget gate of the trace
    (any such place, if several share the minimum). The trace is read, never changed."""
    f, i, g, c = _gates(trace)
    T, H = f.shape
    t = _index("t_closed", t_closed, f"a step from 0 to {T - 1}")
    unit = _index("unit_closed", unit_closed, f"a unit from 0 to {H - 1}")
    smallest = f.min()
    flat = int(np.argmin(f))  # np.argmin without np.unravel_index gives this
    if not (0 <= t < T and 0 <= unit < H):
        if flat in (t, unit):
            return wrong(f"{flat} is the position of the smallest f_t in the flattened "
                         f"(T, H) = ({T}, {H}) array: np.unravel_index({flat}, "
                         "trace.f[:, :, 0].shape) turns it into (t, unit)")
        if 0 <= unit < T and 0 <= t < H:
            return wrong(f"t_closed = {t}, unit_closed = {unit} is out of range: steps go from "
                         f"0 to {T - 1} and units from 0 to {H - 1}. Did you swap them? The "
                         "array trace.f[:, :, 0] is indexed [t, unit]")
        return wrong(f"t_closed = {t}, unit_closed = {unit} is out of range: steps go from 0 "
                     f"to {T - 1}, units from 0 to {H - 1} (numpy counts from 0)")
    here = f[t, unit]
    at = f"at t = {t}, unit {unit}, f_t = {here:.4f}"
    if here == smallest:
        c_prev = c[t - 1, unit] if t > 0 else 0.0
        return right(f"The smallest forget gate in the trace is f_t = {here:.4f}, at t = {t}, "
                     f"unit {unit}. "
                     f"There the old memory c_(t-1) = {c_prev:+.4f} is almost wiped: "
                     f"c_t = {c[t, unit]:+.4f} ≈ i_t⊙g_t = {i[t, unit] * g[t, unit]:+.4f}. "
                     f"To see it: view.set(t={t}, unit={unit})")
    hint = f"{at}, but somewhere the forget gate is as low as {smallest:.4f}"
    if here == f.max():
        return wrong(f"{at}: that is the most open forget gate in the trace, the largest f_t; "
                     "the most closed is the smallest: np.argmin, not np.argmax")
    if 0 <= unit < T and 0 <= t < H and f[unit, t] == smallest:
        return wrong(f"{hint}: you have t and unit the other way round. The array "
                     "trace.f[:, :, 0] is indexed [t, unit]")
    if any(0 <= s < T and f[s, unit] == smallest for s in (t - 1, t + 1)):
        return wrong(f"{hint}, one step away: steps count from 0, as numpy's indices do")
    if here == f[:, unit].min():
        return wrong(f"{hint}: that is the smallest f_t of unit {unit}, but another unit's "
                     "forget gate closes further; search all units and all steps at once")
    if here == f[t].min():
        return wrong(f"{hint}: that is the smallest f_t at step {t}, but the gate closes further "
                     "at another step; search all steps and all units at once")
    return wrong(f"{hint}: np.argmin on trace.f[:, :, 0] finds where, and np.unravel_index "
                 "turns its answer into (t, unit)")
