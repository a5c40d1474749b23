"""Lesson 5's exercise, in a kernel: the stored state, the solution, right and wrong answers."""

import ast
import math

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise

from lstm_core import LSTM
from lstm_exercises import lesson05

NOTEBOOK = "05_why_gradients_survive.ipynb"
H = 4  # the lesson's hidden units


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert answer.count("= ...") == 1
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        "T_lost = 158",
        "T_lost = np.ceil(np.log(np.finfo(np.float32).eps / 2) / np.log(0.9))",  # a float 158.0
        "T_lost = 157",  # one step short: 0.9^157 still changes the sum
        "T_lost = 175",  # the old premise: the first T below 1e-8
        "T_lost = int(np.ceil(np.log(np.finfo(np.float32).eps) / np.log(0.9)))",  # eps, not eps / 2
        "T_lost = 829",  # underflow below float32's normal range: range, not precision
        "T_lost = 157.9",  # not a whole number of steps
        "T_lost = '158'",
        "T_lost = ...",
        # the check puts the LSTM's forget weights back (the same arrays, the same values)
        "saved = lstm.Wf, lstm.bf, lstm.Wf.copy(), lstm.bf.copy(); T_lost = 158",
        "assert lstm.Wf is saved[0] and lstm.bf is saved[1]\n"
        "assert (lstm.Wf == saved[2]).all() and (lstm.bf == saved[3]).all()\n"
        "assert view.values == {'T': 100, 'forget_bias': 3.0, 'weight_scale': 1.0}\n"
        "T_lost = 158",
    ])
    assert all(g.startswith("Right!") for g in got[:3]), got[:3]
    assert "1 + 0.9^158 is 1.00000000" in got[0] and "1.18e-38" in got[0]
    assert got[3].startswith("Not yet right") and "one more step" in got[3]
    assert got[4].startswith("Not yet right") and "10^-8 is not float32's limit" in got[4]
    assert got[5].startswith("Not yet right") and "at most half that gap" in got[5]
    assert got[6].startswith("Not yet right") and "limit of its range" in got[6]
    assert got[7].startswith("Not yet right") and "whole number" in got[7]
    assert got[8].startswith("Not yet right") and "without quotes" in got[8]
    assert got[9].startswith("Not answered yet")
    assert got[10].startswith("Right!") and got[11].startswith("Right!")
    assert not any("Traceback" in g or "Error" in g for g in got)


def _lesson():
    """An LSTM like the lesson's and the lesson's own `cell_path_jacobians`, from its source."""
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    namespace = {"np": np, "H": H}
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.startswith("%"):
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) and node.name == "cell_path_jacobians":
                exec(compile(ast.Module([node], []), NOTEBOOK, "exec"), namespace)
    np.random.seed(5)
    return LSTM(input_size=2, hidden_size=H), namespace["cell_path_jacobians"]


# The first T with 0.9^T <= 2^-24, by exact rational arithmetic: 9^T <= 10^T / 2^24
FIRST = next(T for T in range(1, 1000) if 9**T * 2**24 <= 10**T)


def test_the_independent_answer():
    assert FIRST == math.ceil(24 * math.log(2) / -math.log(0.9)) == 158


@pytest.mark.parametrize("T", [FIRST, float(FIRST), np.int64(FIRST), np.float32(FIRST),
                               FIRST - 1, FIRST + 1, 1, 152, 175, 829, 987, 2000, 2001, 10**9])
def test_check_against_the_formula(T):
    """Right exactly at the first T with 0.9^T <= 2^-24; the lesson's LSTM is left as it was."""
    lstm, cell_path_jacobians = _lesson()
    Wf, bf, Wf0, bf0 = lstm.Wf, lstm.bf, lstm.Wf.copy(), lstm.bf.copy()
    state = lesson05.check(T, lstm, cell_path_jacobians).state
    assert state == ("right" if T == FIRST else "wrong")
    assert lstm.Wf is Wf and lstm.bf is bf and (Wf == Wf0).all() and (bf == bf0).all()


@pytest.mark.parametrize("answer", ["158", 157.5, float("nan"), float("inf"), [158, 159], True,
                                    None, 0, -158, np.array([])])
def test_a_strange_answer_is_not_yet_right_without_a_traceback(answer):
    lstm, cell_path_jacobians = _lesson()
    assert lesson05.check(answer, lstm, cell_path_jacobians).state == "wrong"


def test_float32_facts_the_hints_state():
    """What the exercise and its hints say about float32, in float32 itself."""
    one, f32 = np.float32(1), np.finfo(np.float32)
    assert one + np.float32(0.9**FIRST) == one and one + np.float32(0.9 ** (FIRST - 1)) > one
    assert np.float32(0.9**FIRST) > 0 and 0.9**FIRST > f32.smallest_normal  # precision, not range
    assert one + np.float32(f32.eps / 2) == one and one + np.float32(f32.eps) > one


def test_the_numbers_of_the_solution_block():
    """The collapsed solution's sentence: T >= 157.9, 0.9^157 = 6.5e-8, 0.9^158 = 5.9e-8, and
    0.9^T leaves float32's normal range at T = 829."""
    assert f"{24 * math.log(2) / -math.log(0.9):.1f}" == "157.9"
    assert f"{0.9**157:.1e}" == "6.5e-08" and f"{0.9**158:.1e}" == "5.9e-08"
    tiny = np.finfo(np.float32).smallest_normal
    assert next(T for T in range(1, 2000) if 0.9**T < tiny) == 829
