"""Lesson 4's exercise: the forget bias that keeps 90% of the memory after a delay of 200."""

import math

import numpy as np

from lstm_exercises import checked, number, right, wrong

DELAY = 200  # steps between write and read
KEEP = 0.9  # the fraction of c_0 the cell should still hold at the read step
TOLERANCE = 5e-4  # on that fraction: 0.9 to three decimals (b_f to about 0.005)


def _sigmoid(a):
    return 0.5 * (1.0 + math.tanh(0.5 * a))


def _run(b, memory_lstm, make_task):
    """The lesson's own unit with forget bias b on the lesson's task: (c_0, c_200, f).
    memory_lstm draws throwaway initial weights from numpy's global generator: restored."""
    state = np.random.get_state()
    try:
        tr = memory_lstm(b).trace(make_task(0.8, DELAY))
    finally:
        np.random.set_state(state)
    return tr.c[0, 0, 0], tr.c[DELAY, 0, 0], tr.f[1, 0, 0]


def _fmt(value, decimals=4):
    """A number as a learner reads it: fixed decimals, no "-0.0000", no 300-digit floats."""
    if abs(value) >= 1e4:
        return f"{value:.3g}"
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and text.lstrip("-0.") == "" else text


def _steps_to_keep(f):
    """After how many steps a forget gate f keeps 90%: log 0.9 / log f."""
    if not 0.0 < f < 1.0:
        return None
    return math.log(KEEP) / math.log(f)


@checked("bf_90", what="in the cell above, replace the ... with a number or an expression "
         "(bf_90 = 5.0, say), run it, then run this check again")
def check(bf_90, memory_lstm, make_task):
    """Right when the lesson's unit, built by `memory_lstm(bf_90)`, still holds 0.9 c_0
    (to within 0.0005) at the read step of `make_task(0.8, 200)`."""
    b = number("bf_90", bf_90)
    try:
        c0, c_read, f = _run(b, memory_lstm, make_task)
    except ValueError:  # lstm_core refuses a bias whose products could overflow
        return wrong(f"b_f = {_fmt(b)} is far too large for the LSTM to compute with; the "
                     f"bias is a moderate number (sigma(5) is already 0.9933)")
    kept = c_read / c0
    numbers = (f"with b_f = {_fmt(b)} the forget gate is f = sigma(b_f) = {_fmt(f, 6)}, and "
               f"after {DELAY} steps the cell holds {_fmt(kept)} of c_0")
    if abs(kept - KEEP) <= TOLERANCE:
        return right(f"{numbers} (f^{DELAY} = {f**DELAY:.4f}): 90% kept")
    if 0.0 < b < 1.0:
        return wrong(f"{numbers}. b_f is the bias inside sigma, and {b:g} looks like the gate "
                     f"value f itself: turn f into a bias with b_f = log(f / (1 - f))")
    if b > 0 and abs(_sigmoid(b * math.log(10)) ** DELAY - KEEP) <= TOLERANCE:
        return wrong(f"{numbers}. Your b_f times ln 10 would be right: sigma undoes the "
                     f"natural logarithm, np.log, not np.log10")
    if b < 0:
        direction = "raise b_f: a negative bias makes the forget gate sigma(b_f) < 0.5"
    elif kept < KEEP:
        direction = "raise b_f: a forget gate closer to 1"
    else:
        direction = "lower b_f: a forget gate a little further from 1"
    n = _steps_to_keep(f)
    if n is not None and n >= 0.5 and abs(n - DELAY) > 0.5:
        steps = f"{round(n)}" if abs(n - round(n)) < 0.05 else f"about {n:.0f}"
        direction += (f". This forget gate keeps 90% after {steps} step"
                      f"{'' if steps == '1' else 's'}, not after {DELAY}: "
                      f"you need f with f^{DELAY} = 0.9")
    return wrong(f"{numbers}, not 0.9: {direction}")
