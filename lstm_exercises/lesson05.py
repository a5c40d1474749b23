"""Lesson 5's exercise: when float32 drops the gradient that comes back along the cell path.

Float32 has two limits, and only one of them matters here. Its range reaches 1.18e-38 (the
smallest normal number) and 1.4e-45 (the smallest subnormal): 0.9^T stays a float32 number
for about 980 steps. Its precision is 24 significant bits: 1 + x rounds back to 1 once x is
at most 2^-24 (half of np.finfo(np.float32).eps, the gap between 1 and the next float32).
The check finds, in float32 itself, the first T at which 1 + (the cell path's gain) == 1.
"""

import math

import numpy as np

from lstm_exercises import checked, number, right, wrong

F = 0.9  # every forget gate
STEPS = 2000  # the gains the check builds (0.9^2000 = 1e-92: long past any limit)
F32 = np.finfo(np.float32)
ONE = np.float32(1)
HALF_GAP = float(F32.eps) / 2  # 2^-24: 1 + x == 1 in float32 once x <= this


def _gains(lstm, cell_path_jacobians):
    """The lesson's LSTM with every forget gate sigma(log 9) = 0.9, over STEPS steps of zero
    input; its cell-path gains by the lesson's own `cell_path_jacobians`, (STEPS,).
    The LSTM's Wf and bf are replaced for the run and put back (the same objects)."""
    saved = lstm.Wf, lstm.bf
    try:
        lstm.Wf = np.zeros_like(saved[0])  # the forget gate ignores the input: sigma(b_f)
        lstm.bf = np.full_like(saved[1], math.log(F / (1 - F)))
        f = lstm.trace(np.zeros((STEPS, lstm.input_size))).f[:, :, 0]  # (STEPS, H)
    finally:
        lstm.Wf, lstm.bf = saved
    return np.linalg.norm(cell_path_jacobians(f), 2, axis=(1, 2))  # gains[t - 1]: t steps


def _lost(g):
    """Float32 drops g when it is added to 1."""
    return bool(ONE + np.float32(g) == ONE)


def _sum(g):
    return f"{ONE + np.float32(g):.8f}"


@checked("T_lost", what="in the cell above, replace the ... with a whole number or an "
         "expression (T_lost = 100, say), run it, then run this check again")
def check(T_lost, lstm, cell_path_jacobians):
    """Right when T_lost is the first T at which float32 computes 1 + 0.9^T as exactly 1,
    0.9^T being the cell path's gain of the lesson's LSTM with every forget gate 0.9."""
    T = number("T_lost", T_lost)
    if T != math.floor(T):
        return wrong(f"T_lost is a number of steps, a whole number; got {T:g}. The first T "
                     f"past a boundary is the next whole number above it (math.ceil)")
    T = int(T)
    if T < 1:
        return wrong(f"T_lost counts steps from 1; got {T}")
    gains = _gains(lstm, cell_path_jacobians)
    first = int(np.argmax([_lost(g) for g in gains])) + 1
    g_last = gains[first - 2]
    if T == first:
        g = gains[T - 1]
        return right(f"0.9^{T - 1} = {g_last:.3g}: in float32 1 + that is {_sum(g_last)}; "
                     f"0.9^{T} = {g:.3g} is below 2^-24 = {HALF_GAP:.3g}: 1 + 0.9^{T} is "
                     f"{_sum(g)}, the term is gone. It is not too small for float32 itself: "
                     f"np.float32(0.9**{T}) = {np.float32(g):.3g}, and the smallest normal "
                     f"float32 is {F32.smallest_normal:.3g}")
    if T < first:
        g = gains[T - 1]
        hint = (f"at T = {T}, 0.9^T = {g:.3g} is still above 2^-24 = {HALF_GAP:.3g}, so "
                f"float32 keeps it: 1 + 0.9^{T} is {_sum(g)}, not 1")
        if T == first - 1:
            hint += ": one more step"
        elif g <= F32.eps:
            hint += (f". np.finfo(np.float32).eps = 2^-23 = {F32.eps:.3g} is the gap between 1 "
                     f"and the next float32; 1 + x rounds down to 1 only when x is at most half "
                     f"that gap")
        return wrong(hint)
    if T > STEPS:
        return wrong(f"far too late: by T = {STEPS} the gain is 0.9^{STEPS} = {gains[-1]:.3g}; "
                     f"added to 1 it was lost hundreds of steps before")
    g, g_before = gains[T - 1], gains[T - 2]
    hint = (f"0.9^{T - 1} = {g_before:.3g} is already at most 2^-24 = {HALF_GAP:.3g}: in "
            f"float32 1 + 0.9^{T - 1} is already {_sum(g_before)}. Look for the first T")
    if g < 1e-8 <= g_before:
        hint += (": 10^-8 is not float32's limit; 1 + x rounds to 1 once x <= 2^-24 "
                 "(np.finfo(np.float32).eps / 2)")
    elif g < F32.smallest_normal <= g_before:
        hint += (f": {F32.smallest_normal:.3g}, float32's smallest normal number, is a limit "
                 f"of its range; the term is lost in a sum with 1 long before, by precision")
    elif np.float32(g) == 0 and np.float32(g_before) != 0:
        hint += (": at this T 0.9^T itself rounds to 0 in float32 (its smallest subnormal is "
                 f"{F32.smallest_subnormal:.3g}); added to 1 the term was lost long before")
    return wrong(hint)
