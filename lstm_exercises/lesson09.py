"""Lesson 9's exercise: find the unit that tracks the position in the line (the column).

The answer is a function, `best_unit(values, label)`, so the check can ask it more than one
question: the column on c_t (the exercise's question), then on h_t, then the bracket depth.
Right is any unit whose |r| is the largest (ties, to rounding, are all right), whatever way
the learner computes Pearson's r (np.corrcoef, by hand, ...).
"""

import dis

import numpy as np

from lstm_exercises import Wrong, number, right, unanswered, wrong
from lstm_text import correlations

NOT_ANSWERED = ("in the cell above, write the body of best_unit in place of the ... (it "
                "should return a unit's index), run that cell, then run this check again")
QUESTIONS = (("c", "column"), ("h", "column"), ("c", "bracket_depth"))
TIE = 1e-9  # |r| this close to the largest counts as the largest


def _stub(values, label):
    ...


def _instructions(function):
    return [(i.opname, i.argval) for i in dis.get_instructions(function)]


def _is_stub(function):
    """A function whose body is only `...` (or pass), after an optional docstring."""
    try:
        return _instructions(function) == _instructions(_stub)
    except TypeError:  # not Python code (a builtin): not a stub
        return False


def _ask(best_unit, values, label, call):
    try:
        answer = best_unit(values, label)
    except Exception as e:  # the learner's code: report it, not our traceback
        raise Wrong(f"{call} raised {type(e).__name__}: {e}. Run it in a cell of its own to "
                    "see where") from None
    if answer is None:
        return None
    return number(call, answer)


def check(best_unit, c, h, labels):
    """Right when best_unit(values, label) returns, for each question in QUESTIONS, a unit
    whose |Pearson r| with the label is the largest of all units (values (N, H), label (N,))."""
    if best_unit is ...:
        return unanswered(NOT_ANSWERED)
    if not callable(best_unit):
        return wrong("best_unit should be a function (def best_unit(values, label): ...); got "
                     f"{type(best_unit).__name__} {best_unit!r:.60}")
    states = {"c": np.asarray(c, dtype=float), "h": np.asarray(h, dtype=float)}
    N, H = states["c"].shape
    found = []
    try:
        for n, (state, name) in enumerate(QUESTIONS):
            values, label = states[state], np.asarray(labels[name])
            call = f"best_unit({state}, labels[{name!r}])"
            got = _ask(best_unit, values.copy(), label.copy(), call)
            if got is None:
                if n == 0 and _is_stub(best_unit):
                    return unanswered(NOT_ANSWERED)
                return wrong(f"{call} returned None: return the index of the unit (a column of "
                             f"values, 0 to {H - 1}) whose values correlate most with the label")
            r = correlations(values, label)  # (H,)
            k = int(np.argmax(np.abs(r)))
            best = f"unit {k} has r = {r[k]:+.3f}"
            if got != int(got):
                if -1 <= got <= 1 and np.isclose(np.abs(r), abs(got), atol=1e-6).any():
                    return wrong(f"{call} returned {got:.4f}, a correlation: return the unit "
                                 "whose correlation it is (np.argmax gives the index)")
                return wrong(f"{call} returned {got:g}, not a unit's index (an integer from 0 "
                             f"to {H - 1})")
            got = int(got)
            if not 0 <= got < H:
                where = (f"a character's position (0 to {N - 1}): the units are the columns "
                         "of values, (N, H), so correlate each column with the label"
                         if 0 <= got < N else f"not a unit: there are {H}, 0 to {H - 1}")
                return wrong(f"{call} returned {got}, {where}")
            if abs(r[got]) < abs(r[k]) - TIE:
                hint = f"{call} returned unit {got}, whose r is {r[got]:+.3f}; {best}"
                if got == int(np.argmax(r)) and r[k] < 0:
                    hint += (": the largest r, but not the strongest. A cell can track a label "
                             "by falling as the label rises: compare |r|")
                elif got == int(np.argmax(np.abs(values).mean(axis=0))) or \
                        got == int(np.argmax(values.std(axis=0))):
                    hint += (": a large unit is not a tracking one. Correlate each unit's values "
                             "with the label (Pearson's r, np.corrcoef) and take the largest |r|")
                else:
                    hint += ": return the unit with the largest |r|"
                return wrong(hint)
            found.append((state, name, got, r[got]))
    except Wrong as e:
        return wrong(str(e))
    (_, _, unit, r_col), (_, _, unit_h, r_h), (_, _, unit_d, r_d) = found
    return right(f"unit {unit}'s c_t tracks the column with r = {r_col:+.3f} (h_t: unit "
                 f"{unit_h}, r = {r_h:+.3f}; the bracket depth: unit {unit_d}, r = {r_d:+.3f}). "
                 f"Its value {'falls' if r_col < 0 else 'rises'} as a line goes on; whether it "
                 "tracks something else too, the other labels' correlations tell.")
