"""The lessons' exercises, checked: each check says one of three things.

    Not answered yet: ...     the answer is still the stub `...` (or a function returning None)
    Not yet right: ...        with a hint that helps, for any plausible wrong answer
    Right! ...                for every correct answer, not only the solution's

A lesson imports its own module, `from lstm_exercises import lesson01 as exercise`, and
its check cell ends with `exercise.check(...)`: Jupyter shows the feedback as the cell's
output. A check never raises for a plausible answer (a string, NaN, a wrong shape): a
wrong type is one more "Not yet right", with what was expected and what came.
The solutions are not here: each lesson keeps its own in a collapsed block under the exercise.
"""

import math

import numpy as np

__all__ = ["Feedback", "unanswered", "wrong", "right", "number", "array"]


class Feedback:
    """What a check found: `state` is "unanswered", "wrong" or "right"."""

    def __init__(self, state, message):
        self.state = state
        self.message = message

    def __bool__(self):
        return self.state == "right"

    def __repr__(self):  # the cell's output
        return self.message


def unanswered(what):
    return Feedback("unanswered", f"Not answered yet: {what}")


def wrong(hint):
    return Feedback("wrong", f"Not yet right: {hint}")


def right(why):
    return Feedback("right", f"Right! {why}")


class Wrong(Exception):
    """Raised inside a check by `number` and `array`, caught by `checked`."""


def _describe(value):
    if isinstance(value, (str, bytes)):
        return f"the text {value!r} (write the number without quotes)"
    if isinstance(value, (bool, np.bool_)):
        return f"{value!r}, a truth value"
    if value is None:
        return "None (a function that returns nothing, or a missing value)"
    shape = getattr(value, "shape", None)
    return f"a {type(value).__name__}" + (f" of shape {shape}" if shape is not None else "")


def number(name, value):
    """A real, finite number (a Python or numpy number, or a 1-element array) as a float."""
    if value is None or isinstance(value, (bool, np.bool_, str, bytes)):
        raise Wrong(f"{name} should be a number; got {_describe(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"{name} should be a number; got {_describe(value)}") from None
    if arr.size != 1:
        raise Wrong(f"{name} should be one number; got {_describe(value)}")
    x = float(arr.reshape(()))
    if not math.isfinite(x):
        raise Wrong(f"{name} should be a finite number; got {x}")
    return x


def array(name, value, shape):
    """A finite float array of exactly `shape`."""
    try:
        if value is None or isinstance(value, (str, bytes)):
            raise TypeError
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"{name} should be an array of shape {shape}; got {_describe(value)}") from None
    if arr.shape != shape:
        raise Wrong(f"{name} should have shape {shape}; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise Wrong(f"{name} should hold finite numbers; it has NaN or inf")
    return arr


def checked(*answers, what):
    """Decorator: a check that says "not answered yet" while any answer is `...`, and turns
    a `Wrong` raised inside into the "Not yet right" feedback."""

    def decorate(check):
        def run(*args, **kwargs):
            if any(a is ... for a in args[:len(answers)]):
                return unanswered(what)
            try:
                return check(*args, **kwargs)
            except Wrong as e:
                return wrong(str(e))

        run.__name__, run.__doc__ = check.__name__, check.__doc__
        return run

    return decorate
