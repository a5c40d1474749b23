"""Lesson 3's exercise, in a kernel: the stored state, the solution, right and wrong answers."""

from typing import NamedTuple

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise

from lstm_exercises import lesson03

NOTEBOOK = "03_unrolled_over_time.ipynb"


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert answer.count("= ...") == 2
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    f = "trace.f[:, :, 0]"
    where = f"np.unravel_index(np.argmin({f}), {f}.shape)"
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        f"t_closed, unit_closed = np.argwhere({f} == trace.f.min())[0]",  # another route
        f"t_closed, unit_closed = (float(k) for k in {where})",  # 50.0: still a whole number
        f"view_before = view.values\nt_closed, unit_closed = np.unravel_index(np.argmax({f}), "
        f"{f}.shape)",  # the most open gate
        "assert view.values == view_before  # the check did not move the figure\n"
        f"unit_closed, t_closed = {where}",  # swapped
        f"t_closed = np.argmin({f})\nunit_closed = 0",  # the flat index
        f"t_closed, unit_closed = {where}\nt_closed = t_closed + 1",  # one step off
        f"unit_closed = 0\nt_closed = int(np.argmin({f}[:, 0]))",  # unit 0's smallest only
        "t_closed, unit_closed = '50', 31",  # a string
        "t_closed, unit_closed = 50.5, 31",  # not a whole number
        "t_closed = 3\nunit_closed = ...",  # half answered
    ])
    assert all(g.startswith("Right!") for g in got[:3]), got[:3]
    assert "c_t = " in got[0] and "view.set(t=" in got[0]
    assert got[3].startswith("Not yet right") and "np.argmin, not np.argmax" in got[3]
    assert got[4].startswith("Not yet right") and "swap" in got[4]
    assert got[5].startswith("Not yet right") and "np.unravel_index" in got[5]
    assert got[6].startswith("Not yet right") and "one step away" in got[6]
    assert got[7].startswith("Not yet right") and "another unit" in got[7]
    assert got[8].startswith("Not yet right") and "the text '50'" in got[8]
    assert got[9].startswith("Not yet right") and "whole number" in got[9]
    assert got[10].startswith("Not answered yet")


class Trace(NamedTuple):  # the fields of lstm_core.Gates that the check reads, (T, H, B)
    f: np.ndarray
    i: np.ndarray
    g: np.ndarray
    c: np.ndarray


@pytest.fixture
def trace():
    """A 12-step, 5-unit trace whose smallest forget gate is at t = 7, unit 3."""
    rng = np.random.default_rng(3)
    f = rng.uniform(0.2, 0.9, size=(12, 5, 1))
    f[7, 3, 0] = 0.01
    f[2, 1, 0] = 0.99  # the most open
    return Trace(f, *(rng.uniform(-1, 1, size=(12, 5, 1)) for _ in range(3)))


def smallest_places(trace):
    """Every (t, unit) where f is smallest, by a plain loop (independent of the check)."""
    f = trace.f[:, :, 0]
    low = min(min(row) for row in f)
    return {(t, u) for t in range(f.shape[0]) for u in range(f.shape[1]) if f[t, u] == low}


@pytest.mark.parametrize("t, unit", [(t, u) for t in range(12) for u in range(5)])
def test_check_against_a_plain_loop(trace, t, unit):
    expected = "right" if (t, unit) in smallest_places(trace) else "wrong"
    assert lesson03.check(t, unit, trace).state == expected


def test_every_place_of_a_tied_minimum_is_right(trace):
    trace.f[1, 4, 0] = trace.f[7, 3, 0]
    assert smallest_places(trace) == {(7, 3), (1, 4)}
    assert lesson03.check(1, 4, trace) and lesson03.check(7, 3, trace)


def test_hints_for_plausible_mistakes(trace):
    hint = {
        "argmax": lesson03.check(2, 1, trace),
        "swapped, in range": lesson03.check(3, 7, trace),
        "flat index": lesson03.check(int(np.argmin(trace.f[:, :, 0])), 0, trace),
        "one step late": lesson03.check(8, 3, trace),
        "one step early": lesson03.check(6, 3, trace),
        "out of range": lesson03.check(12, 0, trace),
        "negative": lesson03.check(-1, 3, trace),
    }
    assert all(f.state == "wrong" for f in hint.values())
    assert "np.argmax" in hint["argmax"].message
    assert "swap" in hint["swapped, in range"].message
    assert "flattened" in hint["flat index"].message
    assert "one step away" in hint["one step late"].message
    assert "one step away" in hint["one step early"].message
    assert "out of range" in hint["out of range"].message
    assert "from 0 to 11" in hint["negative"].message


@pytest.mark.parametrize("t", [7, np.int64(7), 7.0, np.float32(7), np.array(7)])
def test_whole_numbers_of_any_type_are_accepted(trace, t):
    assert lesson03.check(t, 3, trace).state == "right"


@pytest.mark.parametrize("t", ["7", b"7", True, None, 7.5, float("nan"), float("inf"),
                               [7, 3], np.array([7]), {"t": 7}, 10**30])
def test_odd_answers_are_wrong_without_a_traceback(trace, t):
    assert lesson03.check(t, 3, trace).state == "wrong"


def test_the_trace_is_not_changed(trace):
    before = [a.copy() for a in trace]
    for t, u in [(7, 3), (2, 1), (0, 0)]:
        lesson03.check(t, u, trace)
    assert all(np.array_equal(a, b) for a, b in zip(trace, before, strict=True))
