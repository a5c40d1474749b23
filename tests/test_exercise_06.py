"""Lesson 6's exercise, in a kernel: the stored state, the solution, right and wrong answers;
and the check against the formula, on made-up checkpoints whose answers are known."""

import ast
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, tagged, text_of

from lstm_exercises import lesson06

NOTEBOOK = "06_learning_to_remember.ipynb"
ARGS = "checkpoint_steps, checkpoint_traces, memory_unit, checkpoint_mse"


def test_stored_notebook_shows_not_answered_yet():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    (stub,) = ast.parse(nb.cells[tagged(nb, "exercise-answer")].source).body
    assert isinstance(stub, ast.FunctionDef) and stub.name == "first_step_above"
    docstring, body = stub.body  # a docstring, then ...
    assert isinstance(docstring.value.value, str) and body.value.value is ...
    assert text_of(nb.cells[tagged(nb, "exercise-check")].outputs).startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    means = "[tr.f[:, memory_unit, 0].mean() for tr in checkpoint_traces]"
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        # right, vectorised, returning a numpy integer
        "def first_step_above(threshold):\n"
        f"    return np.array(checkpoint_steps)[np.argmax(np.array({means}) > threshold)]",
        # the checkpoint's index, not its step
        "def first_step_above(threshold):\n"
        f"    return int(np.argmax(np.array({means}) > threshold))",
        # off by one: the checkpoint before
        "def first_step_above(threshold):\n"
        f"    k = int(np.argmax(np.array({means}) > threshold))\n"
        "    return checkpoint_steps[max(k - 1, 0)]",
        "def first_step_above(threshold):\n    return 600",  # read off the printed lines
        # the forget gate of every unit, not the memory unit's
        "def first_step_above(threshold):\n"
        "    for step, tr in zip(checkpoint_steps, checkpoint_traces):\n"
        "        if tr.f.mean() > threshold:\n"
        "            return step",
        "def first_step_above(threshold):\n    return '600'",  # a string
        "def first_step_above(threshold):\n    return 650",  # not a checkpoint
        "def first_step_above(threshold):\n    return checkpoint_traces[99]",  # raises
        "def first_step_above(threshold):\n    step = 600",  # forgot to return
        "first_step_above = 600",  # a number, not a function
        "first_step_above = ...",
    ])
    assert got[0].startswith("Right!") and "at step 600" in got[0], got[0]
    assert got[1].startswith("Right!"), got[1]
    assert got[2].startswith("Not yet right") and "the checkpoint's index" in got[2], got[2]
    assert got[3].startswith("Not yet right") and "not above 0.9" in got[3], got[3]
    assert got[4].startswith("Not yet right") and "first_step_above(0.5) returned 600" in got[4]
    assert "an earlier checkpoint's is too" in got[4], got[4]
    assert got[5].startswith("Not yet right") and "memory unit's row" in got[5], got[5]
    assert got[6].startswith("Not yet right") and "without quotes" in got[6], got[6]
    assert got[7].startswith("Not yet right") and "not a checkpoint's step" in got[7], got[7]
    assert got[8].startswith("Not yet right") and "raised IndexError" in got[8], got[8]
    assert got[9].startswith("Not yet right") and "returned None" in got[9], got[9]
    assert got[10].startswith("Not yet right") and "should be a function" in got[10], got[10]
    assert got[11].startswith("Not answered yet"), got[11]
    assert all("Traceback" not in g for g in got)


# Made-up checkpoints: the memory unit (unit 1) of checkpoint k has mean forget gate MEANS[k].
MEANS = [0.6, 0.45, 0.7, 0.93, 0.85, 0.991, 0.996, 0.997]
STEPS = [0, 50, 100, 150, 200, 250, 300, 350]


def fake_run(means=MEANS, steps=STEPS, T=5, H=3, unit=1, seed=0):
    rng = np.random.default_rng(seed)
    traces = []
    for m in means:
        f = rng.uniform(0.0, 1.0, (T, H, 1))
        f[:, unit, 0] = m + np.linspace(-1e-3, 1e-3, T)  # mean m, not constant
        traces.append(SimpleNamespace(f=f))
    return steps, traces, unit, [0.1 * (k + 1) for k in range(len(means))]


def expected(threshold, means=MEANS, steps=STEPS):
    """The formula: the first step whose mean is above the threshold."""
    return next(s for s, m in zip(steps, means, strict=True) if m > threshold)


def test_the_formula_gives_distinct_answers_for_the_checks_thresholds():
    assert [expected(t) for t in lesson06.THRESHOLDS] == [150, 0, 250, 300]


@pytest.mark.parametrize("answer, state", [
    (lambda t: expected(t), "right"),
    (lambda t: float(expected(t)), "right"),
    (lambda t: np.int64(expected(t)), "right"),
    (lambda t: np.array([expected(t)]), "right"),
    (lambda t: STEPS.index(expected(t)), "wrong"),  # the index
    (lambda t: 150, "wrong"),  # right for 0.9 only
    (lambda t: expected(t) + 50, "wrong"),  # one checkpoint late
    (lambda t: STEPS[STEPS.index(expected(t)) - 1], "wrong"),  # one checkpoint early
    (lambda t: None if t > 0.9 else expected(t), "wrong"),  # None after a first answer
    (lambda t: None, "unanswered"),  # compiles like the stub
    (lambda t: None if t else 0, "wrong"),  # returns None, but is not the stub
    (lambda t: float("nan"), "wrong"),
    (lambda t: "150", "wrong"),
    (lambda t: [150, 0], "wrong"),
    (lambda t: 1 / 0, "wrong"),
    (lambda: 150, "wrong"),  # takes no threshold
    (150, "wrong"),
    (..., "unanswered"),
])
def test_check_against_the_formula(answer, state):
    assert lesson06.check(answer, *fake_run()).state == state


def test_a_stub_function_is_not_answered_and_hints_name_the_threshold():
    def stub(threshold):
        """A docstring, then the stub."""
        ...

    assert lesson06.check(stub, *fake_run()).state == "unanswered"
    late = lesson06.check(lambda t: expected(t) + 50 if t == 0.99 else expected(t), *fake_run())
    assert "first_step_above(0.99) returned 300" in late.message
    early = lesson06.check(lambda t: 100, *fake_run())
    assert "first_step_above(0.9) returned 100" in early.message
    assert "not above 0.9" in early.message


def test_the_check_changes_nothing():
    steps, traces, unit, mse = fake_run()
    before = [tr.f.copy() for tr in traces]
    lesson06.check(lambda t: expected(t), steps, traces, unit, mse)
    assert all(np.array_equal(a.f, b) for a, b in zip(traces, before, strict=True))


def test_thresholds_that_a_run_never_reaches_are_our_error():
    with pytest.raises(ValueError, match="thresholds do not fit"):
        lesson06.check(lambda t: 0, *fake_run(means=[0.5, 0.6, 0.7], steps=[0, 1, 2]))
