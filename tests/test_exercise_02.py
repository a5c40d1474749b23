"""Lesson 2's exercise, in a kernel: the stored state, the solution, right and wrong answers."""

import copy

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise

from lstm_core import LSTM
from lstm_exercises import lesson02

NOTEBOOK = "02_one_step_by_hand.ipynb"


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert answer.count("= ...") == 1
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        "bf0 = 2.1144",  # the solution's value, rounded
        "bf0 = np.log(19) - lstm.Wf[0] @ z_t",  # a 1-element array
        "bf_before = lstm.bf.copy()\nbf0 = np.log(0.95 / 0.05)",  # forgot W_f[0] z_t
        "assert np.array_equal(lstm.bf, bf_before)  # the check changed nothing\n"
        "bf0 = np.log(0.95 / 0.05) - (lstm.Wf[0] @ z_t)[0] - lstm.bf[0, 0]",  # the change only
        "bf0 = np.log(0.05 / 0.95) - (lstm.Wf[0] @ z_t)[0]",  # sigma(a) = 0.05
        "bf0 = np.log(0.95 / 0.05) - lstm.Wf @ z_t",  # both units
        "bf0 = 2.1",  # close, not to three decimals
        "bf0 = -3",  # far off
        "bf0 = '2.1144'",  # a string
        "bf0 = float('nan')",
    ])
    assert all(g.startswith("Right!") for g in got[:3])
    assert got[3].startswith("Not yet right") and "subtract unit 0's weighted sum" in got[3]
    assert got[4].startswith("Not yet right") and "the new bias itself" in got[4]
    assert got[5].startswith("Not yet right") and "is its negative" in got[5]
    assert got[6].startswith("Not yet right") and "lstm.Wf[0]" in got[6]
    assert got[7].startswith("Not yet right") and "three decimals" in got[7]
    assert got[8].startswith("Not yet right") and "raise the bias" in got[8]
    assert got[9].startswith("Not yet right") and "without quotes" in got[9]
    assert got[10].startswith("Not yet right") and "finite" in got[10]


@pytest.fixture
def step():
    """Another layer than the lesson's (3 inputs, 4 units, nonzero forget biases)."""
    rng = np.random.default_rng(5)
    lstm = LSTM(input_size=3, hidden_size=4)
    lstm.Wf = rng.normal(size=(4, 7))
    lstm.bf = rng.normal(size=(4, 1))
    return lstm, rng.normal(size=3), rng.normal(size=(4, 1)), rng.normal(size=(4, 1))


def solution(lstm, x_t, h_prev):
    """The bias by the lesson's route: log(0.95 / 0.05) - W_f[0] [h; x]."""
    return np.log(0.95 / 0.05) - lstm.Wf[0] @ np.concatenate([h_prev[:, 0], x_t])


def gate_with(lstm, bias, x_t, h_prev, c_prev):
    """f_t[0] with b_f[0] = bias, by lstm_core on a copy (independent of the check)."""
    other = copy.deepcopy(lstm)
    other.bf[0, 0] = bias
    return other.step(x_t, h_prev, c_prev).f[0, 0]


@pytest.mark.parametrize("offset", [0.0, 1e-3, -1e-3, 0.003, -0.003, 0.006, -0.006, 0.02, 0.5,
                                    -4.0])
def test_check_against_lstm_core(step, offset):
    """Right exactly when lstm_core's f_t[0] is 0.95 to three decimals; the layer is unchanged."""
    lstm, x_t, h_prev, c_prev = step
    bf_before = lstm.bf.copy()
    bias = solution(lstm, x_t, h_prev) + offset
    f0 = gate_with(lstm, bias, x_t, h_prev, c_prev)
    expected = "right" if abs(f0 - 0.95) < 0.0005 else "wrong"
    assert lesson02.check(bias, lstm, x_t, h_prev, c_prev).state == expected
    assert np.array_equal(lstm.bf, bf_before)


def test_hints_for_plausible_mistakes(step):
    lstm, x_t, h_prev, c_prev = step
    right = solution(lstm, x_t, h_prev)
    hint = {
        "forgot W_f[0] z_t": lesson02.check(np.log(19), lstm, x_t, h_prev, c_prev),
        "gave the change": lesson02.check(right - lstm.bf[0, 0], lstm, x_t, h_prev, c_prev),
        "sigma(a) = 0.05": lesson02.check(right - 2 * np.log(19), lstm, x_t, h_prev, c_prev),
        "the gate's value": lesson02.check(0.95, lstm, x_t, h_prev, c_prev),
        "unit 1's row": lesson02.check(np.log(19) - lstm.Wf[1] @ np.concatenate(
            [h_prev[:, 0], x_t]), lstm, x_t, h_prev, c_prev),
    }
    assert all(f.state == "wrong" for f in hint.values())
    assert "subtract unit 0's weighted sum" in hint["forgot W_f[0] z_t"].message
    assert "the new bias itself" in hint["gave the change"].message
    assert "is its negative" in hint["sigma(a) = 0.05"].message
    assert "not its bias" in hint["the gate's value"].message
    assert "row 0" in hint["unit 1's row"].message


@pytest.mark.parametrize("answer", ["2.1", b"2", True, None, [1.0, 2.0], np.ones((4, 1)),
                                    float("inf"), float("nan"), {"b": 1}, 1e300, -1e300])
def test_odd_answers_are_wrong_without_a_traceback(step, answer):
    lstm, x_t, h_prev, c_prev = step
    assert lesson02.check(answer, lstm, x_t, h_prev, c_prev).state == "wrong"


def test_a_stub_is_not_answered(step):
    assert lesson02.check(..., *step).state == "unanswered"
