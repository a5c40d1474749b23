"""Lesson 6's exercise: the first checkpoint at which the memory unit's forget gate holds.

The answer is a function, `first_step_above(threshold)`, so the check can ask it several
thresholds: a learner who reads 600 off the printed lines and returns it for every threshold
is told which threshold it fails.
"""

import dis

import numpy as np

from lstm_exercises import Wrong, number, right, unanswered, wrong

THRESHOLDS = (0.9, 0.5, 0.99, 0.995)  # 0.9 is the exercise's question; each is reached
NOT_ANSWERED = ("in the cell above, write the body of first_step_above in place of the ... "
                "(it should return a step), run that cell, then run this check again")


def _stub(threshold):
    ...


def _instructions(function):
    return [(i.opname, i.argval) for i in dis.get_instructions(function)]


def _is_stub(function):
    """A function whose body is only `...` (or pass), after an optional docstring."""
    try:
        return _instructions(function) == _instructions(_stub)
    except TypeError:  # not Python code (a builtin, a numpy function): not a stub
        return False


def _mean_forget(checkpoint_traces, memory_unit):
    """The memory unit's forget gate averaged over the steps, per checkpoint: (C,)."""
    f = np.stack([np.asarray(tr.f, dtype=float) for tr in checkpoint_traces])  # (C, T, H, 1)
    return f[:, :, memory_unit, 0].mean(axis=1)


def _ask(first_step_above, threshold):
    """The learner's answer for one threshold; a Wrong for anything but a number."""
    try:
        answer = first_step_above(threshold)
    except Exception as e:  # the learner's code: report it, do not show our traceback
        raise Wrong(f"first_step_above({threshold}) raised {type(e).__name__}: {e}. Run "
                    f"first_step_above({threshold}) in a cell of its own to see where") from None
    if answer is None:
        return None
    return number(f"first_step_above({threshold})", answer)


def check(first_step_above, checkpoint_steps, checkpoint_traces, memory_unit, checkpoint_mse):
    """Right when first_step_above(threshold) is, for every threshold in THRESHOLDS, the
    first step of checkpoint_steps whose mean f_t (memory unit, over the steps) exceeds it."""
    if first_step_above is ...:
        return unanswered(NOT_ANSWERED)
    if not callable(first_step_above):
        return wrong("first_step_above should be a function of the threshold "
                     "(def first_step_above(threshold): ...); got "
                     f"{type(first_step_above).__name__} {first_step_above!r}")
    steps = [int(s) for s in checkpoint_steps]
    means = _mean_forget(checkpoint_traces, memory_unit)  # (C,)
    if not all((means > t).any() for t in THRESHOLDS):
        raise ValueError(f"no checkpoint's mean f_t exceeds every threshold {THRESHOLDS}: "
                         "the check's thresholds do not fit this training run")
    try:
        for n, threshold in enumerate(THRESHOLDS):
            got = _ask(first_step_above, threshold)
            if got is None:
                if n == 0 and _is_stub(first_step_above):
                    return unanswered(NOT_ANSWERED)
                return wrong(f"first_step_above({threshold}) returned None: some checkpoint's "
                             f"memory-unit forget gate is above {threshold} (average "
                             "tr.f[:, memory_unit, 0], the memory unit's row, over the steps); "
                             "return that checkpoint's step")
            k_right = int(np.argmax(means > threshold))  # the first index above
            called = f"first_step_above({threshold}) returned {got:g}"
            if got not in steps:
                if got == k_right and got != steps[k_right]:
                    return wrong(f"{called}: the checkpoint's index. Give its training step, "
                                 f"checkpoint_steps[{k_right}]")
                return wrong(f"{called}, which is not a checkpoint's step: give one of "
                             f"checkpoint_steps ({steps[0]}, {steps[1]}, ..., {steps[-1]})")
            k = steps.index(got)
            if means[k] <= threshold:
                return wrong(f"{called}, but there the memory unit's forget gate averages "
                             f"{means[k]:.4f}, not above {threshold} (average "
                             "tr.f[:, memory_unit, 0], the memory unit's row, over the steps)")
            if k > k_right:
                return wrong(f"{called}: there the mean f_t is {means[k]:.4f}, above "
                             f"{threshold}, but an earlier checkpoint's is too: return the first")
    except Wrong as e:
        return wrong(str(e))
    k = int(np.argmax(means > THRESHOLDS[0]))
    others = "; ".join(f"above {t}: step {steps[int(np.argmax(means > t))]}"
                       for t in THRESHOLDS[1:])
    found = (f"the memory unit's forget gate first holds (mean f_t above {THRESHOLDS[0]}) at "
             f"step {steps[k]}, where it averages {means[k]:.3f}")
    if k > 0:  # what changed since the checkpoint before
        found += (f" (at step {steps[k - 1]}: {means[k - 1]:.3f}); over those "
                  f"{steps[k] - steps[k - 1]} steps the test error falls from "
                  f"{float(checkpoint_mse[k - 1]):.4f} to {float(checkpoint_mse[k]):.4f}")
    return right(f"{found}. The other thresholds are right too ({others}).")
