"""Lesson 1's exercise: a gate that is a switch on its input."""

import math

from lstm_exercises import checked, number, right, wrong

OPEN, CLOSED = 0.95, 0.05  # at x = 1 the gate lets through at least 95%; at x = 0 at most 5%


def _sigmoid(a):
    return 0.5 * (1.0 + math.tanh(0.5 * a))


@checked("w_answer", "b_answer", what="in the cell above, replace each ... with a number "
         "(w_answer = 1, say), run it, then run this check again")
def check(w_answer, b_answer):
    """Right when sigma(w + b) >= 0.95 and sigma(b) <= 0.05."""
    w, b = number("w_answer", w_answer), number("b_answer", b_answer)
    opened, closed = _sigmoid(w * 1 + b), _sigmoid(w * 0 + b)
    numbers = f"at x = 1 the gate is {opened:.4f}, at x = 0 it is {closed:.4f}"
    if closed > CLOSED:
        return wrong(f"{numbers}: at x = 0 the gate is sigma(b) alone, so b must be at most "
                     f"-2.95 (sigma(-2.95) = {_sigmoid(-2.95):.4f})")
    if opened < OPEN:
        return wrong(f"{numbers}: at x = 1 the gate is sigma(w + b), so w + b must be at least "
                     f"2.95: raise w")
    return right(f"{numbers}: the gate is a switch on x")
