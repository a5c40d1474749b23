"""Lesson 1's exercise, in a kernel: the stored state, the solution, right and wrong answers."""

import nbformat
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise

from lstm_exercises import lesson01

NOTEBOOK = "01_gates_are_valves.ipynb"


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert answer.count("= ...") == 2
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        "w_answer, b_answer = 8, -4",  # right, and off the slider's grid
        "w_answer, b_answer = 6, -2",  # leaks at x = 0
        "w_answer, b_answer = 2, -3",  # too weak at x = 1
        "w_answer, b_answer = '6', -3",  # a string
        "w_answer, b_answer = 6, ...",  # half answered
    ])
    assert got[0].startswith("Right!") and got[1].startswith("Right!")
    assert got[2].startswith("Not yet right") and "b must be at most -2.95" in got[2]
    assert got[3].startswith("Not yet right") and "w + b must be at least" in got[3]
    assert got[4].startswith("Not yet right") and "without quotes" in got[4]
    assert got[5].startswith("Not answered yet")


@pytest.mark.parametrize("w, b, state", [
    (6, -3, "right"), (8, -4, "right"), (5.9, -2.95, "right"),  # on the boundary b = -2.95
    (100, -50, "right"), (6, -2, "wrong"), (2, -3, "wrong"), (-6, 3, "wrong"),
    (float("nan"), -3, "wrong"), (float("inf"), -3, "wrong"), ([6, 7], -3, "wrong"),
    (True, -3, "wrong"), (None, -3, "wrong"), (..., -3, "unanswered"),
])
def test_check_against_the_formula(w, b, state):
    """Every (w, b) with sigma(w + b) >= 0.95 and sigma(b) <= 0.05 is right, whatever the
    slider's grid; anything else is wrong, with no traceback."""
    assert lesson01.check(w, b).state == state
