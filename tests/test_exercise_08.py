"""Lesson 8's exercise, in a kernel: the stored state, the solution, right and wrong answers;
and the check itself against many ways of writing (and of getting wrong) Cho's GRU step."""

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise

from lstm_core import sigmoid
from lstm_exercises import lesson08

NOTEBOOK = "08_lstm_relatives.ipynb"


def solution(gru, x_t, h_prev):
    z = np.vstack([h_prev, x_t])
    r = sigmoid(gru.Wr @ z + gru.br)
    u = sigmoid(gru.Wz @ z + gru.bz)
    n = np.tanh(gru.Wn @ np.vstack([r * h_prev, x_t]) + gru.bn)
    return u * h_prev + (1 - u) * n


def split_columns(gru, x_t, h_prev):  # right: W_n split into its hidden and input columns
    H = h_prev.shape[0]
    a = lambda W, b: W[:, :H] @ h_prev + W[:, H:] @ x_t + b  # noqa: E731
    r, u = 1 / (1 + np.exp(-a(gru.Wr, gru.br))), 1 / (1 + np.exp(-a(gru.Wz, gru.bz)))
    n = np.tanh(gru.Wn[:, :H] @ (r * h_prev) + gru.Wn[:, H:] @ x_t + gru.bn)
    return n + u * (h_prev - n)  # (1 - u) n + u h, rearranged


def column_by_column(gru, x_t, h_prev):  # right: one sequence at a time, rows as in PyTorch
    out = np.empty_like(h_prev)
    for b in range(h_prev.shape[1]):
        out[:, b:b + 1] = solution(gru, x_t[:, b:b + 1], h_prev[:, b:b + 1])
    return out.tolist()  # a nested list is an answer too


def pytorch_form(gru, x_t, h_prev):
    H = h_prev.shape[0]
    z = np.vstack([h_prev, x_t])
    r, u = sigmoid(gru.Wr @ z + gru.br), sigmoid(gru.Wz @ z + gru.bz)
    n = np.tanh(gru.Wn[:, H:] @ x_t + gru.bn + r * (gru.Wn[:, :H] @ h_prev))
    return u * h_prev + (1 - u) * n


def swapped_update(gru, x_t, h_prev):
    z = np.vstack([h_prev, x_t])
    r, u = sigmoid(gru.Wr @ z + gru.br), sigmoid(gru.Wz @ z + gru.bz)
    n = np.tanh(gru.Wn @ np.vstack([r * h_prev, x_t]) + gru.bn)
    return (1 - u) * h_prev + u * n


def no_reset(gru, x_t, h_prev):
    z = np.vstack([h_prev, x_t])
    u = sigmoid(gru.Wz @ z + gru.bz)
    return u * h_prev + (1 - u) * np.tanh(gru.Wn @ z + gru.bn)


def candidate_only(gru, x_t, h_prev):
    z = np.vstack([h_prev, x_t])
    r = sigmoid(gru.Wr @ z + gru.br)
    return np.tanh(gru.Wn @ np.vstack([r * h_prev, x_t]) + gru.bn)


def swapped_columns(gru, x_t, h_prev):
    z = np.vstack([x_t, h_prev])
    r, u = sigmoid(gru.Wr @ z + gru.br), sigmoid(gru.Wz @ z + gru.bz)
    n = np.tanh(gru.Wn @ np.vstack([x_t, r * h_prev]) + gru.bn)
    return u * h_prev + (1 - u) * n


def stub(gru, x_t, h_prev):
    """One step of Cho's GRU."""
    ...


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert "def gru_step_cho(gru, x_t, h_prev):" in answer and answer.rstrip().endswith("...")
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        # right, another way: W_n split into its hidden and input columns
        "def gru_step_cho(gru, x_t, h_prev):\n"
        "    H = h_prev.shape[0]\n"
        "    z = np.vstack([h_prev, x_t])\n"
        "    r, u = sigmoid(gru.Wr @ z + gru.br), sigmoid(gru.Wz @ z + gru.bz)\n"
        "    n = np.tanh(gru.Wn[:, :H] @ (r * h_prev) + gru.Wn[:, H:] @ x_t + gru.bn)\n"
        "    return (1 - u) * n + u * h_prev\n",
        # PyTorch's form
        "def gru_step_cho(gru, x_t, h_prev):\n"
        "    H = h_prev.shape[0]\n"
        "    z = np.vstack([h_prev, x_t])\n"
        "    r, u = sigmoid(gru.Wr @ z + gru.br), sigmoid(gru.Wz @ z + gru.bz)\n"
        "    n = np.tanh(gru.Wn[:, H:] @ x_t + gru.bn + r * (gru.Wn[:, :H] @ h_prev))\n"
        "    return u * h_prev + (1 - u) * n\n",
        # lstm_core's own step, which takes rows: the GRUGates are not an answer
        "def gru_step_cho(gru, x_t, h_prev):\n"
        "    return gru.step(x_t.T, h_prev)\n",
        "def gru_step_cho(gru, x_t, h_prev):\n    return gru.Wq\n",  # raises
        "def gru_step_cho(gru, x_t, h_prev):\n    ...\n",  # the stub again
        # the check left the lesson as it was: numpy's global generator, as if it never ran
        "state = np.random.get_state()[1].copy()\n" + solution_code(nb),
        "assert (np.random.get_state()[1] == state).all()\n" + solution_code(nb),
    ])
    assert got[0].startswith("Right!") and got[1].startswith("Right!")
    assert got[2].startswith("Not yet right") and "PyTorch's form" in got[2]
    assert got[3].startswith("Not yet right") and "GRUGates" in got[3]
    assert got[4].startswith("Not yet right") and "raised AttributeError" in got[4]
    assert got[5].startswith("Not answered yet")
    assert got[6].startswith("Right!") and got[7].startswith("Right!")
    assert not any("Traceback" in g for g in got)


@pytest.mark.parametrize("answer", [solution, split_columns, column_by_column])
def test_every_right_answer_is_right(answer):
    feedback = lesson08.check(answer)
    assert feedback.state == "right", feedback.message
    assert "PyTorch's form differs from it by up to" in feedback.message


@pytest.mark.parametrize("answer, hint", [
    (pytorch_form, "that is PyTorch's form"),
    (swapped_update, "the update gate's two shares are swapped"),
    (no_reset, "the reset gate is missing"),
    (candidate_only, "you returned the candidate n_t"),
    (swapped_columns, "hidden state first"),
    (lambda g, x, h: solution(g, x, h) + 1e-6, "expected"),  # off by a little: the numbers
    (lambda g, x, h: solution(g, x, h)[:, 0], "got shape (3,)"),
    (lambda g, x, h: solution(g, x, h).T, "of shape (3, 1)"),
    (lambda g, x, h: (solution(g, x, h), None), "returned a tuple of 2"),
    (lambda g, x, h: g.step(x.T, h), "GRUGates"),
    (lambda g, x, h: np.full(h.shape, np.nan), "NaN or inf"),
    (lambda g, x, h: "h_t", "should return an array of shape (3, 1); got a str"),
    (lambda g, x, h: g.Wq, "raised AttributeError"),
    (lambda g, x, h: solution(g, x, h) if h.shape[1] == 1 else h, "B = 5"),  # batch ignored
])
def test_a_wrong_answer_gets_its_hint_and_no_traceback(answer, hint):
    feedback = lesson08.check(answer)
    assert feedback.state == "wrong", feedback.message
    assert hint in feedback.message, feedback.message


@pytest.mark.parametrize("answer, state", [(..., "unanswered"), (stub, "unanswered"),
                                           (lambda g, x, h: None, "unanswered"),
                                           (5, "wrong"), ("def", "wrong"), (None, "wrong")])
def test_not_an_answer_yet(answer, state):
    assert lesson08.check(answer).state == state


def test_the_check_leaves_its_inputs_and_numpys_global_generator_alone():
    np.random.seed(4)
    before = np.random.get_state()[1].copy()

    def mutating(gru, x_t, h_prev):
        out = solution(gru, x_t, h_prev)
        x_t[...] = 0.0  # the learner's function may change its inputs: they are copies
        return out

    assert lesson08.check(mutating).state == "right"
    assert lesson08.check(solution).state == "right"
    assert (np.random.get_state()[1] == before).all()
