"""Lesson 9's exercise, in a kernel: the stored state, the solution, right and wrong answers;
and the check alone on the lesson's own numbers (the trained model on json/decoder.py)."""

import functools

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise

from lstm_exercises import lesson09
from lstm_text import correlations, load_char_model, read_corpus, split_files, token_labels

NOTEBOOK = "09_lstm_reads_python.ipynb"


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert "    ..." in answer
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        # right, by np.corrcoef one unit at a time
        "def best_unit(values, label):\n"
        "    r = [np.corrcoef(values[:, k], label)[0, 1] for k in range(values.shape[1])]\n"
        "    return int(np.argmax(np.abs(r)))",
        # the largest r, not |r|
        "def best_unit(values, label):\n"
        "    v, d = values - values.mean(0), label - label.mean()\n"
        "    return int(np.argmax(d @ v / np.sqrt((v**2).sum(0) * (d**2).sum())))",
        # the correlation instead of the unit
        "def best_unit(values, label):\n"
        "    v, d = values - values.mean(0), label - label.mean()\n"
        "    return np.abs(d @ v / np.sqrt((v**2).sum(0) * (d**2).sum())).max()",
        # a character's position: where the label is largest
        "def best_unit(values, label):\n    return int(np.argmax(label))",
        "def best_unit(values, label):\n    if label.max() > 1000:\n        return 0",  # None
        "def best_unit(values, label):\n    raise RuntimeError('not yet')",
        "best_unit = 3",
    ])
    assert got[0].startswith("Right!") and got[1].startswith("Right!")
    assert got[2].startswith("Not yet right") and "compare |r|" in got[2]
    assert got[3].startswith("Not yet right") and "a correlation" in got[3]
    assert got[4].startswith("Not yet right") and "a character's position" in got[4]
    assert got[5].startswith("Not yet right") and "returned None" in got[5]
    assert got[6].startswith("Not yet right") and "raised RuntimeError: not yet" in got[6]
    assert got[7].startswith("Not yet right") and "should be a function" in got[7]
    assert not any("Traceback" in g for g in got)


@functools.cache
def lesson_numbers():
    """What the lesson passes to the check: the states and labels of json/decoder.py."""
    model, _ = load_char_model()
    source = dict(split_files(read_corpus("heldout")))["json/decoder.py"]
    c, h = model.run(model.vocab.encode(source))
    return c, h, token_labels(source)


def solution(values, label):
    return int(np.argmax(np.abs(correlations(values, label))))


@pytest.mark.slow
def test_the_check_on_the_lessons_numbers():
    c, h, labels = lesson_numbers()
    assert lesson09.check(solution, c, h, labels).state == "right"
    assert lesson09.check(..., c, h, labels).state == "unanswered"

    def stub(values, label):
        ...

    assert lesson09.check(stub, c, h, labels).state == "unanswered"
    r = correlations(c, labels["column"])
    weakest = int(np.argmin(np.abs(r)))
    feedback = lesson09.check(lambda v, lab: weakest, c, h, labels)
    assert feedback.state == "wrong" and f"unit {weakest}" in feedback.message
    # right for the column of c_t, wrong for h_t: the check names the question it fails
    column_c = solution(c, labels["column"])
    feedback = lesson09.check(lambda v, lab: column_c, c, h, labels)
    if solution(h, labels["column"]) != column_c:
        assert feedback.state == "wrong" and "best_unit(h, labels['column'])" in feedback.message


@pytest.mark.parametrize("answer", [np.float64(3.0), 3, np.int64(3), [3], np.array([3])])
def test_any_integer_form_of_the_right_unit_is_right(answer):
    rng = np.random.default_rng(0)
    column = np.tile(np.arange(20), 10)
    depth = np.repeat(np.arange(10) % 3, 20)
    c = rng.normal(size=(200, 5))
    c[:, 3] += column / 4  # unit 3 tracks the column
    c[:, 1] -= depth  # unit 1 the depth, falling
    h = np.tanh(c)
    labels = {"column": column, "bracket_depth": depth}
    right = {"column": 3, "bracket_depth": 1}

    def best(values, label):
        return answer if label is labels["column"] or np.array_equal(label, column) else \
            right["bracket_depth"]

    assert lesson09.check(best, c, h, labels).state == "right"
    assert lesson09.check(lambda v, lab: 7, c, h, labels).state == "wrong"  # no such unit
    assert lesson09.check(lambda v, lab: 150, c, h, labels).state == "wrong"  # a position
    assert lesson09.check(lambda v, lab: "3", c, h, labels).state == "wrong"
    assert lesson09.check(lambda v, lab: 2.5, c, h, labels).state == "wrong"
