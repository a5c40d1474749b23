"""Lesson 2's exercise: the forget bias of unit 0 that opens its gate to 0.95 for one step."""

import math

import numpy as np

from lstm_exercises import Wrong, checked, number, right, wrong

TARGET = 0.95
DECIMALS = 3  # f_t[0] must be 0.95 to three decimals: |f_t[0] - 0.95| < 0.0005
TOLERANCE = 0.5 * 10 ** -DECIMALS


def _sigmoid(a):
    return 0.5 * (1.0 + math.tanh(0.5 * a))


def _one_bias(value):
    """The answer as one number; an array with one entry per unit gets its own hint."""
    if np.ndim(value) > 0 and np.size(value) > 1 and not isinstance(value, (str, bytes)):
        raise Wrong(f"bf0 should be one number, the bias of unit 0 alone; got {np.size(value)} "
                    f"numbers (shape {np.shape(value)}): take unit 0's row of the weights, "
                    "lstm.Wf[0]")
    return number("bf0", value)


@checked("bf0", what="in the cell above, replace ... with a number or an expression for the new "
         "bias (bf0 = 1.5, say), run it, then run this check again")
def check(bf0, lstm, x_t, h_prev, c_prev):
    """Right when sigma(W_f[0] z_t + bf0) is 0.95 to three decimals, z_t = [h_prev; x_t].

    The lesson's `lstm` is read, never changed; c_prev is not needed by the forget gate
    (it is taken so that the check cell names the whole step it is about)."""
    b = _one_bias(bf0)
    z = np.concatenate([np.ravel(h_prev), np.ravel(x_t)])  # (H + I,) = [h_{t-1}; x_t]
    weighted = float(np.asarray(lstm.Wf, dtype=float)[0] @ z)  # W_f[0] z_t, without the bias
    old_bias = float(np.asarray(lstm.bf, dtype=float)[0, 0])
    a_needed = math.log(TARGET / (1 - TARGET))  # sigma(a) = 0.95
    f0 = _sigmoid(weighted + b)
    plus = f"{'-' if b < 0 else '+'} {abs(b):.4f}"
    values = (f"b_f[0] = {b:.4f}, f_t[0] = sigma({weighted:.4f} {plus}) = "
              f"sigma({weighted + b:.4f}) = {f0:.4f}")
    numbers = f"with {values}"
    if abs(f0 - TARGET) < TOLERANCE:
        return right(f"With {values}, which is 0.95 to three decimals: the bias adds to "
                     f"W_f[0] z_t = {weighted:.4f} what sigma needs, "
                     f"log(0.95 / 0.05) = {a_needed:.4f}")
    if abs(b - a_needed) < 0.01:
        return wrong(f"{numbers}. log(0.95 / 0.05) = {a_needed:.4f} is the whole pre-activation "
                     "a = W_f[0] z_t + b_f[0] that sigma needs; the bias is only part of it: "
                     "subtract unit 0's weighted sum W_f[0] z_t")
    if old_bias != 0 and abs(_sigmoid(weighted + old_bias + b) - TARGET) < TOLERANCE:
        return wrong(f"{numbers}. Your number is what to add to the old bias "
                     f"b_f[0] = {old_bias:.4f}; the check wants the new bias itself "
                     f"(old bias + change)")
    if abs(f0 - (1 - TARGET)) < TOLERANCE:
        return wrong(f"{numbers}: the gate is 0.05, not 0.95. sigma(a) = 0.95 needs "
                     f"a = +log(0.95 / 0.05) = {a_needed:.4f}; log(0.05 / 0.95) is its negative")
    if b == TARGET:
        return wrong(f"{numbers}. 0.95 is the gate's value sigma(a), not its bias: the bias "
                     "is a number inside sigma, b_f[0] = a - W_f[0] z_t")
    others = np.asarray(lstm.Wf, dtype=float)[1:] @ z  # the other units' weighted sums
    if any(abs(_sigmoid(w + b) - TARGET) < TOLERANCE for w in others):
        return wrong(f"{numbers}: that bias would suit another unit's weights; unit 0's "
                     "weighted sum uses row 0, lstm.Wf[0]")
    if abs(f0 - TARGET) < 0.01:
        return wrong(f"{numbers}: close, but not 0.95 to three decimals; keep more decimals, "
                     "or write bf0 as an expression of lstm.Wf and z_t")
    direction = "lower" if f0 > TARGET else "raise"
    return wrong(f"{numbers}: {direction} the bias. sigma(a) = 0.95 needs "
                 f"a = W_f[0] z_t + b_f[0] = log(0.95 / 0.05)")
