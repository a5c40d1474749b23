"""A small, readable Long Short-Term Memory network in numpy.

The notation of every lesson (lesson 1 states it, this file follows it):

    z_t = [h_{t-1}; x_t]                      the column the weights act on, (H + I, B)
    f_t = sigma(W_f z_t + b_f)                forget gate      (H, B)
    i_t = sigma(W_i z_t + b_i)                input gate       (H, B)
    g_t = tanh(W_c z_t + b_c)                 candidate cell   (H, B)
    o_t = sigma(W_o z_t + b_o)                output gate      (H, B)
    c_t = f_t * c_{t-1} + i_t * g_t           cell state       (* is the elementwise product)
    h_t = o_t * tanh(c_t)                     hidden state

The problem statement this module starts from calls the candidate's weights `Wc` and `bc`;
the equations and PyTorch's documentation call the candidate g_t. Shapes: T time steps,
B sequences in a batch, I input features, H hidden units. States are columns: (H, B).

References:
- Hochreiter & Schmidhuber (1997), Long Short-Term Memory.
- Gers, Schmidhuber & Cummins (2000), Learning to Forget: Continual Prediction with LSTM.
- Olah (2015), Understanding LSTM Networks (the [h_{t-1}; x_t] notation).
- torch.nn.LSTM documentation (gate order i, f, g, o; two biases).
"""

from typing import NamedTuple

import numpy as np

__all__ = ["LSTM", "Gates", "sigmoid"]


def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)), written so that it never overflows.

    exp(-x) overflows for x below about -710; tanh saturates instead, and
    sigma(x) = (1 + tanh(x / 2)) / 2 is the same function. It is exact to about 1e-16
    in absolute terms; for x below about -20 the tiny result loses relative precision.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Gates(NamedTuple):
    """What one step computes, by name. From `LSTM.step` every field is (H, B);
    from `LSTM.trace` every field gains a leading time axis: (T, H, B)."""

    f: np.ndarray  # forget gate, in (0, 1)
    i: np.ndarray  # input gate, in (0, 1)
    g: np.ndarray  # candidate cell state, in (-1, 1)
    o: np.ndarray  # output gate, in (0, 1)
    c: np.ndarray  # cell state
    h: np.ndarray  # hidden state, in (-1, 1)
    f_pre: np.ndarray  # W_f z_t + b_f, the forget gate before the sigmoid
    i_pre: np.ndarray  # W_i z_t + b_i
    g_pre: np.ndarray  # W_c z_t + b_c
    o_pre: np.ndarray  # W_o z_t + b_o


class LSTM:
    """One LSTM layer. Weights act on the column [h_{t-1}; x_t]: hidden state first.

    `Wf, Wi, Wc, Wo` are (H, H + I) and `bf, bi, bc, bo` are (H, 1); assign them
    directly and every method uses what you assigned.
    """

    def __init__(self, input_size, hidden_size):
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)

        # Initialize weights and biases (the problem statement's choice: standard normal)
        self.Wf = np.random.randn(hidden_size, input_size + hidden_size)
        self.Wi = np.random.randn(hidden_size, input_size + hidden_size)
        self.Wc = np.random.randn(hidden_size, input_size + hidden_size)
        self.Wo = np.random.randn(hidden_size, input_size + hidden_size)

        self.bf = np.zeros((hidden_size, 1))
        self.bi = np.zeros((hidden_size, 1))
        self.bc = np.zeros((hidden_size, 1))
        self.bo = np.zeros((hidden_size, 1))

        self._workspace = {}  # dtype -> reusable buffer for the input projection of `forward`

    def __repr__(self):
        return f"LSTM(input_size={self.input_size}, hidden_size={self.hidden_size})"

    # ---- the readable path: the equations, one line each ---------------------------

    def step(self, x_t, h_prev, c_prev):
        """One time step. x_t is (I,) for one sequence or (B, I) for a batch (a row of
        `forward`'s x); h_prev and c_prev are (H, 1) or (H, B). Returns `Gates` of (H, B)."""
        x, h_prev, c_prev, _ = self._check_inputs(_check_step_input(x_t, self.input_size),
                                                  h_prev, c_prev)
        return self._step(x[0].T, h_prev, c_prev, self._params(x.dtype))

    def _step(self, x_t, h_prev, c_prev, params):
        Wf, Wi, Wc, Wo, bf, bi, bc, bo = params
        z = np.vstack([h_prev, x_t])  # (H + I, B)
        f_pre = Wf @ z + bf  # (H, B)
        i_pre = Wi @ z + bi
        g_pre = Wc @ z + bc
        o_pre = Wo @ z + bo
        f, i, g, o = sigmoid(f_pre), sigmoid(i_pre), np.tanh(g_pre), sigmoid(o_pre)
        c = f * c_prev + i * g  # (H, B)
        h = o * np.tanh(c)  # (H, B)
        return Gates(f, i, g, o, c, h, f_pre, i_pre, g_pre, o_pre)

    def trace(self, x, initial_hidden_state=None, initial_cell_state=None):
        """Run a sequence with the readable `step` and keep every gate of every step.

        x is (T, I), or (T, B, I) for a batch. Returns `Gates` whose fields are
        (T, H, B), indexed by time: `trace.f[t]` is f_t. Missing states are zeros.
        An empty sequence (T = 0) gives fields of shape (0, H, B).
        """
        x, h, c, _ = self._check_inputs(x, initial_hidden_state, initial_cell_state)
        params = self._params(x.dtype)
        steps = []
        for x_t in x:  # x_t: (B, I)
            gates = self._step(x_t.T, h, c, params)
            h, c = gates.h, gates.c
            steps.append(gates)
        if not steps:  # an empty sequence: empty arrays with the right shape
            return Gates(*(np.empty((0, *h.shape), x.dtype) for _ in Gates._fields))
        _check_overflow(h, c)
        return Gates(*(np.stack(field) for field in zip(*steps, strict=True)))  # each (T, H, B)

    # ---- the fast path: the same numbers, fewer and bigger operations ---------------

    def forward(self, x, initial_hidden_state=None, initial_cell_state=None):
        """Process a sequence: x is (T, I), or (T, B, I) for a batch; states are (H, 1)
        or (H, B) and default to zeros. Returns (outputs, final_h, final_c) with
        outputs (T, H, B), the hidden state of every step.

        An empty sequence (T = 0) returns empty outputs and the initial states.
        """
        x, h0, c0, _ = self._check_inputs(x, initial_hidden_state, initial_cell_state)
        T, B, I = x.shape
        H = self.hidden_size
        W, b = self._stacked(x.dtype)  # (4H, H + I), (4H,), rows f, i, o, g
        W_h = np.ascontiguousarray(W[:, :H])  # (4H, H)
        W_x = np.ascontiguousarray(W[:, H:])  # (4H, I)

        # One (stacked) matrix product for the input part of all T steps at once;
        # only the recurrent product W_h h_{t-1} has to wait for the previous step.
        P = self._buffer(x.dtype, T * 4 * H * B).reshape(T, 4 * H, B)
        np.matmul(W_x, x.transpose(0, 2, 1), out=P)  # P[t] = W_x x_t, (4H, B)
        P += b[:, None]  # the biases, once for all steps

        outputs = np.empty((T, H, B), x.dtype)
        h, c = h0, c0.copy()  # (H, B)
        a = np.empty((4 * H, B), x.dtype)  # the four gates of one step, reused
        f, i, o, g = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        sig = a[:3 * H]
        # At teaching sizes each call's overhead is most of a step's time: hence np.dot
        # (cheaper than matmul on tiny arrays), the output array passed positionally
        # (cheaper than out=), and a 0-d array 0.5 (cheaper than the Python float).
        # Columns (4H, B), as in the equations, also suit BLAS: W_h h ran 2x faster
        # here than the same product in rows, h^T W_h^T, at batch 64.
        half = np.array(0.5, x.dtype)
        for t in range(T):
            np.dot(W_h, h, a)  # a = W_h h_{t-1}, written into a
            a += P[t]  # + W_x x_t + b
            # sigma(x) = (1 + tanh(x/2)) / 2 and the sigmoid rows of W are halved
            # (see _stacked), so a single tanh serves all four gates.
            np.tanh(a, a)
            sig *= half
            sig += half
            c *= f  # c_t = f_t * c_{t-1} + i_t * g_t, in place
            i *= g
            c += i
            h = outputs[t]
            np.tanh(c, h)  # h_t = o_t * tanh(c_t), written straight into outputs
            h *= o
        _check_overflow(h, c)
        return outputs, h.copy(), c

    def _stacked(self, dtype):
        """One big matrix for all the gates is faster than four smaller ones.
        Rows f, i, o, g (the three sigmoids together); sigmoid rows are halved."""
        Wf, Wi, Wc, Wo, bf, bi, bc, bo = self._params(dtype)
        W = np.vstack([0.5 * Wf, 0.5 * Wi, 0.5 * Wo, Wc])  # (4H, H + I)
        b = np.vstack([0.5 * bf, 0.5 * bi, 0.5 * bo, bc])[:, 0]  # (4H,)
        return W, b

    def _buffer(self, dtype, size):
        # A fresh 100 MB array per call costs page faults and made timings bimodal.
        buf = self._workspace.get(dtype)
        if buf is None or buf.size < size:
            buf = self._workspace[dtype] = np.empty(size, dtype)
        return buf[:size]

    # ---- PyTorch interop, without importing torch ---------------------------------

    @classmethod
    def from_torch(cls, source):
        """Build an LSTM from a single-layer `torch.nn.LSTM` or its `state_dict()`
        (any mapping of names to arrays or tensors, such as a loaded `.npz`).

        PyTorch stacks the gates as i, f, g, o in `weight_ih_l0` (4H, I) and
        `weight_hh_l0` (4H, H) and adds two biases, `bias_ih_l0 + bias_hh_l0`.
        A model made with bias=False has no bias keys: the biases stay zero.
        """
        if hasattr(source, "state_dict") and callable(source.state_dict):
            for attr, ok, what in [("num_layers", 1, "one layer"),
                                   ("bidirectional", False, "one direction"),
                                   ("proj_size", 0, "no projection (proj_size=0)")]:
                value = getattr(source, attr, ok)
                if value != ok:
                    raise ValueError(f"lstm_core.LSTM can represent {what}; "
                                     f"the module has {attr}={value!r}")
            source = source.state_dict()
        if not hasattr(source, "keys"):
            raise TypeError("from_torch expects a torch.nn.LSTM or a mapping of its "
                            f"state_dict names to arrays; got {type(source).__name__}")
        sd = {k: _to_numpy(source[k]) for k in source.keys()}
        _check_torch_keys(sd)
        w_ih, w_hh = sd["weight_ih_l0"], sd["weight_hh_l0"]
        if w_ih.ndim != 2 or w_hh.ndim != 2:
            raise ValueError("weight_ih_l0 and weight_hh_l0 must be 2-D; got shapes "
                             f"{w_ih.shape} and {w_hh.shape}")
        H4, I = w_ih.shape
        H = H4 // 4
        if H4 % 4 or H == 0 or w_hh.shape != (4 * H, H):
            raise ValueError(f"expected weight_ih_l0 (4H, I) and weight_hh_l0 (4H, H); "
                             f"got {w_ih.shape} and {w_hh.shape}")
        b = np.zeros(4 * H)
        for key in ("bias_ih_l0", "bias_hh_l0"):
            if key in sd:
                if sd[key].shape != (4 * H,):
                    raise ValueError(f"expected {key} of shape ({4 * H},); got {sd[key].shape}")
                b = b + sd[key]
        lstm = cls(I, H)
        W = np.hstack([w_hh, w_ih]).astype(np.float64)  # (4H, H + I): acts on [h; x]
        _check_finite("state_dict weights", W)
        _check_finite("state_dict biases", b)
        lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo = np.split(W, 4)  # PyTorch order i, f, g, o
        lstm.bi, lstm.bf, lstm.bc, lstm.bo = (v[:, None] for v in np.split(b, 4))
        return lstm

    def to_torch(self):
        """The weights in `torch.nn.LSTM`'s state_dict layout, as float64 numpy arrays.
        Load them with `module.load_state_dict({k: torch.from_numpy(v) for ...})`."""
        Wf, Wi, Wc, Wo, bf, bi, bc, bo = self._params(np.float64)
        H = self.hidden_size
        W = np.vstack([Wi, Wf, Wc, Wo])  # (4H, H + I) in PyTorch's order i, f, g, o
        b = np.vstack([bi, bf, bc, bo])[:, 0]
        return {"weight_ih_l0": W[:, H:].copy(), "weight_hh_l0": W[:, :H].copy(),
                "bias_ih_l0": b, "bias_hh_l0": np.zeros_like(b)}

    # ---- checks: each bad input gets an error naming what was expected ---------------

    def _params(self, dtype):
        """The eight weights, checked (they may have been assigned by hand), as `dtype`."""
        H, I = self.hidden_size, self.input_size
        out = []
        for name in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"):
            shape = (H, H + I) if name[0] == "W" else (H, 1)
            value = _as_numeric(f"LSTM.{name}", getattr(self, name), dtype)
            if value.shape != shape:
                raise ValueError(f"LSTM.{name} must have shape {shape} (hidden, "
                                 f"{'hidden + input' if name[0] == 'W' else '1'}); "
                                 f"got {value.shape}")
            _check_finite(f"LSTM.{name}", value)
            out.append(value)
        return out

    def _check_inputs(self, x, h0, c0):
        """x -> (T, B, I) and states -> (H, B), all of one float dtype."""
        x, (h0, c0) = _check_sequence(x, {"initial_hidden_state": h0, "initial_cell_state": c0},
                                      self.input_size, self.hidden_size)
        return x, h0, c0, x.shape[1]


def _check_sequence(x, states, input_size, hidden_size):
    """x -> (T, B, I) and each state of `states` ({name: array or None}) -> (H, B), all of
    one float dtype; a None state becomes zeros. Shared with lstm_train's plain RNN."""
    I, H = input_size, hidden_size
    x = _as_numeric("x", x, None)
    given = {name: _as_numeric(name, s, None) for name, s in states.items() if s is not None}
    dtype = _float_dtype(x.dtype, *(s.dtype for s in given.values()))
    if x.ndim == 2:
        x = x[:, None, :]  # one sequence: a batch of 1
    elif x.ndim != 3:
        raise ValueError(f"x must be (T, input_size={I}) or (T, batch, input_size={I}); "
                         f"got {x.ndim}-D with shape {x.shape}")
    if x.shape[2] != I:
        raise ValueError(f"x must have input_size={I} features in its last axis; "
                         f"got shape {x.shape}")
    x = np.ascontiguousarray(x, dtype)
    _check_finite("x", x)
    B = x.shape[1]
    out = []
    for name in states:
        s = given.get(name)
        if s is None:
            out.append(np.zeros((H, B), dtype))
            continue
        if s.shape != (H, B):
            raise ValueError(f"{name} must be a column of shape ({H}, {B}) "
                             f"(hidden_size, batch); got shape {s.shape}")
        s = s.astype(dtype)
        _check_finite(name, s)
        out.append(s)
    return x, out


def _check_step_input(x_t, input_size):
    """One row of a sequence, x_t (I,) or (B, I), as a sequence of length 1."""
    x_t = _as_numeric("x_t", x_t, None)
    if x_t.ndim not in (1, 2):
        raise ValueError(f"x_t must be (input_size={input_size},) or (batch, "
                         f"input_size={input_size}); got shape {x_t.shape}")
    return x_t[None]


def _check_size(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer; got {value!r} "
                        f"of type {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value}")
    return int(value)


def _as_numeric(name, value, dtype):
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as e:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array; could not convert it: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array (float, int or bool); "
                        f"got dtype {arr.dtype}")
    return arr if dtype is None else arr.astype(dtype, copy=False)


def _float_dtype(*dtypes):
    """float32 in gives float32 out; anything else computes in float64."""
    result = np.result_type(*dtypes)
    return np.dtype(np.float32) if result in (np.float16, np.float32) else np.dtype(np.float64)


def _check_finite(name, arr):
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite; found {arr[tuple(bad)]} at index "
                         f"{tuple(int(j) for j in bad)}")


def _check_overflow(h, c):
    # Finite inputs can still overflow W z (|x| near 1e308): inf - inf gives NaN, and a
    # NaN reaches the last h or c, so checking those two catches it without a silent answer.
    if not (np.isfinite(h).all() and np.isfinite(c).all()):
        raise ValueError("the LSTM produced NaN or infinite states: W z overflowed; "
                         "expected inputs, states and weights of moderate size")


def _to_numpy(value):
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    return _as_numeric("state_dict value", value, None)


def _check_torch_keys(sd):
    keys = set(sd)
    if any(k.endswith("_reverse") for k in keys):
        raise ValueError("lstm_core.LSTM can represent one direction; the state_dict has "
                         "'_reverse' keys (bidirectional=True)")
    if any(k.startswith("weight_hr") for k in keys):
        raise ValueError("lstm_core.LSTM cannot represent proj_size > 0; the state_dict has "
                         "weight_hr_l0")
    extra_layers = sorted(k for k in keys if not k.endswith("_l0"))
    if extra_layers:
        raise ValueError(f"lstm_core.LSTM can represent one layer (keys ending in _l0); "
                         f"got {extra_layers}")
    missing = [k for k in ("weight_ih_l0", "weight_hh_l0") if k not in keys]
    if missing:
        raise ValueError(f"state_dict is missing {missing}; it has {sorted(keys)}")
    if ("bias_ih_l0" in keys) != ("bias_hh_l0" in keys):
        raise ValueError("state_dict must have both bias_ih_l0 and bias_hh_l0 "
                         f"(or neither, for bias=False); it has {sorted(keys)}")
