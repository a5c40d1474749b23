"""Lesson 8's exercise: one step of Cho's GRU, where the reset gate acts before the product.

The answer is a function, `gru_step_cho(gru, x_t, h_prev)`, so the check can run it on GRUs of
its own (one sequence and a batch) and compare with `lstm_core.GRU(reset_after=False)`. The
usual wrong answers each get their own hint: PyTorch's form (the reset gate after the product),
the update gate's two shares swapped, the reset gate left out, the columns [x; h] instead of
[h; x], the candidate n_t returned instead of h_t.
"""

import dis

import numpy as np

from lstm_core import GRU
from lstm_exercises import Wrong, right, unanswered, wrong

NOT_ANSWERED = ("in the cell above, write the body of gru_step_cho in place of the ... (it "
                "should return h_t, an (H, B) array), run that cell, then run this check again")
TOLERANCE = 1e-9  # the same equations in another order agree to round-off, about 1e-16
CASES = ((3, 2, 1, 11), (4, 3, 5, 12))  # H, I, B and the seed of each GRU the check builds


def _stub(gru, x_t, h_prev):
    ...


def _instructions(function):
    return [(i.opname, i.argval) for i in dis.get_instructions(function)]


def _is_stub(function):
    """A function whose body is only `...` (or pass), after an optional docstring."""
    try:
        return _instructions(function) == _instructions(_stub)
    except TypeError:  # not Python code (a builtin, a numpy function): not a stub
        return False


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _case(H, I, B, seed):
    """A GRU in Cho's form with non-zero biases, an input column x_t (I, B), a state (H, B).
    GRU(...) draws its initial weights from numpy's global generator: restored after."""
    state = np.random.get_state()
    try:
        gru = GRU(I, H, reset_after=False)
    finally:
        np.random.set_state(state)
    rng = np.random.default_rng(seed)
    for name in ("Wr", "Wz", "Wn"):
        setattr(gru, name, rng.normal(0.0, 1.0, (H, H + I)))
    for name in ("br", "bz", "bn"):
        setattr(gru, name, rng.normal(0.0, 0.5, (H, 1)))
    return gru, rng.normal(0.0, 1.0, (I, B)), rng.normal(0.0, 0.8, (H, B))


def _variants(gru, x_t, h_prev):
    """h_t by the right equations and by each usual mistake, (H, B) each."""
    H = gru.hidden_size
    z = np.vstack([h_prev, x_t])  # [h_{t-1}; x_t]
    r, u = _sigmoid(gru.Wr @ z + gru.br), _sigmoid(gru.Wz @ z + gru.bz)
    Wnh, Wnx = gru.Wn[:, :H], gru.Wn[:, H:]
    n = np.tanh(Wnh @ (r * h_prev) + Wnx @ x_t + gru.bn)  # Cho: r scales h_{t-1} first
    n_after = np.tanh(r * (Wnh @ h_prev) + Wnx @ x_t + gru.bn)  # PyTorch: r scales W_nh h
    n_no_reset = np.tanh(Wnh @ h_prev + Wnx @ x_t + gru.bn)
    zx = np.vstack([x_t, h_prev])  # the columns in the wrong order, [x_t; h_{t-1}]: same shape
    r2, u2 = _sigmoid(gru.Wr @ zx + gru.br), _sigmoid(gru.Wz @ zx + gru.bz)
    n2 = np.tanh(gru.Wn @ np.vstack([x_t, r2 * h_prev]) + gru.bn)
    return {
        "right": u * h_prev + (1 - u) * n,
        "pytorch": u * h_prev + (1 - u) * n_after,
        "update swapped": (1 - u) * h_prev + u * n,
        "no reset": u * h_prev + (1 - u) * n_no_reset,
        "candidate": n,
        "columns": u2 * h_prev + (1 - u2) * n2,
    }


HINTS = {
    "pytorch": "that is PyTorch's form, where the reset gate multiplies the product: "
               "r_t ⊙ (W_nh h_{t-1}). In Cho's form it multiplies h_{t-1} before the product: "
               "n_t = tanh(W_n [r_t ⊙ h_{t-1}; x_t] + b_n)",
    "update swapped": "the update gate's two shares are swapped. In this lesson (and PyTorch) "
                      "u_t keeps: h_t = u_t ⊙ h_{t-1} + (1 - u_t) ⊙ n_t",
    "no reset": "the reset gate is missing: n_t = tanh(W_n [r_t ⊙ h_{t-1}; x_t] + b_n) uses "
                "r_t ⊙ h_{t-1}, not h_{t-1}",
    "candidate": "you returned the candidate n_t; the step's output is the new state "
                 "h_t = u_t ⊙ h_{t-1} + (1 - u_t) ⊙ n_t",
    "columns": "the weights act on [h_{t-1}; x_t], hidden state first (W[:, :H] multiplies "
               "h_{t-1}); you stacked [x_t; h_{t-1}]",
}


def _ask(gru_step_cho, gru, x_t, h_prev):
    """The learner's h_t as a float array; a Wrong for anything that is not (H, B) numbers."""
    H, B = h_prev.shape
    try:
        answer = gru_step_cho(gru, x_t.copy(), h_prev.copy())
    except Exception as e:  # the learner's code: report it, do not show our traceback
        raise Wrong(f"gru_step_cho raised {type(e).__name__}: {e}. Call it in a cell of its "
                    f"own, with x_t of shape {x_t.shape} and h_prev of shape {h_prev.shape}, "
                    "to see where") from None
    if answer is None:
        return None
    if hasattr(answer, "h") and hasattr(answer, "r"):
        raise Wrong("gru_step_cho returned lstm_core's GRUGates; write the step yourself and "
                    "return h_t, the array")
    if isinstance(answer, tuple):
        raise Wrong(f"gru_step_cho returned a tuple of {len(answer)}; return h_t alone, an "
                    f"array of shape ({H}, {B})")
    try:
        arr = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"gru_step_cho should return an array of shape ({H}, {B}); got a "
                    f"{type(answer).__name__}") from None
    if arr.shape != (H, B):
        hint = (": keep the columns, h_prev is (H, B)" if arr.size == H * B else "")
        raise Wrong(f"gru_step_cho should return h_t of shape ({H}, {B}) (hidden, batch); got "
                    f"shape {arr.shape}{hint}")
    if not np.isfinite(arr).all():
        raise Wrong("gru_step_cho returned NaN or inf")
    return arr


def check(gru_step_cho):
    """Right when gru_step_cho(gru, x_t, h_prev) equals lstm_core.GRU(reset_after=False)'s
    step to 1e-9 on every case of CASES (one sequence and a batch)."""
    if gru_step_cho is ...:
        return unanswered(NOT_ANSWERED)
    if not callable(gru_step_cho):
        return wrong(f"gru_step_cho should be a function (def gru_step_cho(gru, x_t, h_prev): "
                     f"...); got {gru_step_cho!r:.40} of type {type(gru_step_cho).__name__}")
    if _is_stub(gru_step_cho):
        return unanswered(NOT_ANSWERED)
    gaps = []
    for H, I, B, seed in CASES:
        gru, x_t, h_prev = _case(H, I, B, seed)
        want = gru.step(x_t.T, h_prev).h  # lstm_core's step takes x_t as rows (B, I)
        variants = _variants(gru, x_t, h_prev)
        try:
            got = _ask(gru_step_cho, gru, x_t, h_prev)
        except Wrong as e:
            return wrong(str(e))
        if got is None:
            return unanswered(NOT_ANSWERED)
        if np.abs(got - want).max() > TOLERANCE:
            for name, hint in HINTS.items():
                if np.abs(got - variants[name]).max() <= TOLERANCE:
                    return wrong(hint)
            k = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
            return wrong(f"with H = {H}, I = {I}, B = {B}, h_t[{k[0]}, {k[1]}] is "
                         f"{got[k]:+.6f}, expected {want[k]:+.6f}. Follow the three lines: "
                         "r_t and u_t from W [h_{t-1}; x_t] + b, then n_t with r_t ⊙ h_{t-1}, "
                         "then h_t")
        gaps.append(np.abs(variants["pytorch"] - want).max())
    return right(f"your step equals lstm_core.GRU(reset_after=False) on {len(CASES)} GRUs "
                 f"(one sequence and a batch of {CASES[-1][2]}); PyTorch's form differs from it "
                 f"by up to {max(gaps):.3f} on the same weights: two different functions")
