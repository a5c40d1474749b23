"""Lesson 4's exercise, in a kernel: the stored state, the solution, right and wrong answers."""

import ast
import math

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise

from lstm_core import LSTM
from lstm_exercises import lesson04

NOTEBOOK = "04_memory_by_design.ipynb"


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert answer.count("= ...") == 1
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        "bf_90 = 7.55",  # right, rounded to two decimals
        "bf_90 = -np.log(1 / 0.9 ** (1 / 200) - 1)",  # right, another way to write the logit
        "bf_90 = 7.5",  # too little memory left
        "bf_90 = 0.9 ** (1 / 200)",  # the gate value, not the bias
        "bf_90 = np.log10(0.9 ** (1 / 200) / (1 - 0.9 ** (1 / 200)))",  # log10
        "bf_90 = np.log(0.9 / 0.1)",  # 90% per step, not after 200 steps
        "bf_90 = 40",  # keeps everything
        "bf_90 = '7.548'",  # a string
        "bf_90 = 1e308",  # beyond what the LSTM computes with
        "bf_90 = ...",
        # the check left the lesson as it was: numpy's global generator, as if it never ran
        "state = np.random.get_state()[1].copy(); bf_90 = 7.548",
        "assert (np.random.get_state()[1] == state).all(); bf_90 = 7.548",
    ])
    assert all(g.startswith("Right!") for g in got[:3])
    assert got[3].startswith("Not yet right") and "0.8953" in got[3] and "raise b_f" in got[3]
    assert got[4].startswith("Not yet right") and "looks like the gate value f" in got[4]
    assert got[5].startswith("Not yet right") and "np.log10" in got[5]
    assert got[6].startswith("Not yet right") and "keeps 90% after 1 step, not after 200" in got[6]
    assert got[7].startswith("Not yet right") and "lower b_f" in got[7]
    assert got[8].startswith("Not yet right") and "without quotes" in got[8]
    assert got[9].startswith("Not yet right") and "far too large" in got[9]
    assert got[10].startswith("Not answered yet")
    assert got[11].startswith("Right!") and got[12].startswith("Right!")
    assert not any("Traceback" in g or "Error" in g for g in got)


def _lesson_functions():
    """The lesson's own `make_task` and `memory_lstm`, taken from the notebook's source."""
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    namespace = {"np": np, "LSTM": LSTM,
                 "distractors": np.random.default_rng(1).uniform(-1, 1, size=201)}
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.startswith("%"):
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) and node.name in ("make_task", "memory_lstm"):
                exec(compile(ast.Module([node], []), NOTEBOOK, "exec"), namespace)
    return namespace["memory_lstm"], namespace["make_task"]


def _kept(b):
    """The fraction of c_0 left after 200 steps, by the formula: sigma(b)^200 (the input gate's
    leak of 2e-9 per step is far below the tolerance)."""
    return (1 / (1 + math.exp(-b))) ** 200


@pytest.mark.parametrize("b", [7.5484, 7.548, 7.545, 7.55, 7.553, 7.54, 7.5, 7.6, 2.197, 0.5,
                               -7.548, 3.278, 40.0, 0.0])
def test_check_against_the_formula(b):
    """Right exactly when sigma(b)^200 is within 0.0005 of 0.9, whatever way b was written."""
    memory_lstm, make_task = _lesson_functions()
    want = "right" if abs(_kept(b) - 0.9) <= 5e-4 else "wrong"
    assert lesson04.check(b, memory_lstm, make_task).state == want
    assert lesson04.check(np.float32(b), memory_lstm, make_task).state == (
        "right" if abs(_kept(float(np.float32(b))) - 0.9) <= 5e-4 else "wrong")


@pytest.mark.parametrize("answer", ["7.5", float("nan"), float("inf"), [7.5, 7.6], True, None,
                                    1e308, -1e308, np.array([[7.5]]), np.array([])])
def test_a_strange_answer_is_not_yet_right_without_a_traceback(answer):
    memory_lstm, make_task = _lesson_functions()
    assert lesson04.check(answer, memory_lstm, make_task).state == "wrong"


def test_the_check_leaves_numpys_global_generator_alone():
    memory_lstm, make_task = _lesson_functions()
    np.random.seed(4)
    before = np.random.get_state()[1].copy()
    lesson04.check(7.548, memory_lstm, make_task)
    assert (np.random.get_state()[1] == before).all()
    assert lesson04.check(..., memory_lstm, make_task).state == "unanswered"


@pytest.mark.parametrize("b, state", [(7.544, "right"), (7.543, "wrong"), (7.553, "right"),
                                      (7.554, "wrong"), (7.55, "right")])
def test_the_range_the_solution_block_states(b, state):
    """The collapsed solution: f = 0.999473, b_f = 7.548, and any b_f from about 7.544 to
    7.553 (7.55 among them) is right."""
    f = 0.9 ** (1 / 200)
    assert f"{f:.6f}" == "0.999473" and f"{math.log(f / (1 - f)):.3f}" == "7.548"
    memory_lstm, make_task = _lesson_functions()
    assert lesson04.check(b, memory_lstm, make_task).state == state
