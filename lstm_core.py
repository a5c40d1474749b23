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

import re
from typing import NamedTuple

import numpy as np

__all__ = ["LSTM", "Gates", "sigmoid", "PeepholeLSTM", "GRU", "GRUGates", "LSTMStack"]


def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)), written so that it never overflows.

    exp(-x) overflows for x below about -710; tanh saturates instead, and
    sigma(x) = (1 + tanh(x / 2)) / 2 is the same function. It is exact to about 1e-16
    in absolute terms; for x below about -20 the tiny result loses relative precision.
    """
    x = _as_numeric("sigmoid's x", x, None)
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

        # np.empty only reserves the memory: a clear error for sizes that cannot fit
        _empty((4, hidden_size, hidden_size + input_size), np.float64, "the four weights",
               "choose a smaller hidden_size or input_size")
        # Initialize weights and biases (the problem statement's choice: standard normal)
        self.Wf = np.random.randn(hidden_size, input_size + hidden_size)
        self.Wi = np.random.randn(hidden_size, input_size + hidden_size)
        self.Wc = np.random.randn(hidden_size, input_size + hidden_size)
        self.Wo = np.random.randn(hidden_size, input_size + hidden_size)

        self.bf = np.zeros((hidden_size, 1))
        self.bi = np.zeros((hidden_size, 1))
        self.bc = np.zeros((hidden_size, 1))
        self.bo = np.zeros((hidden_size, 1))

    def __repr__(self):
        return f"LSTM(input_size={self.input_size}, hidden_size={self.hidden_size})"

    # ---- the readable path: the equations, one line each ---------------------------

    def step(self, x_t, h_prev, c_prev):
        """One time step. x_t is (I,) for one sequence or (B, I) for a batch (a row of
        `forward`'s x); h_prev and c_prev are (H, 1) or (H, B). Returns `Gates` of (H, B)."""
        x, h_prev, c_prev, _ = self._check_inputs(_check_step_input(x_t, self.input_size),
                                                  h_prev, c_prev)
        params = self._checked_params(x, h_prev, c_prev)
        return self._step(x[0].T, h_prev, c_prev, params)

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
        params = self._checked_params(x, h, c)
        steps = []
        for x_t in x:  # x_t: (B, I)
            gates = self._step(x_t.T, h, c, params)
            h, c = gates.h, gates.c
            steps.append(gates)
        if not steps:  # an empty sequence: empty arrays with the right shape
            return Gates(*(np.empty((0, *h.shape), x.dtype) for _ in Gates._fields))
        return Gates(*(np.stack(field) for field in zip(*steps, strict=True)))  # each (T, H, B)

    # ---- the fast path: the same numbers, fewer and bigger operations ---------------

    def forward(self, x, initial_hidden_state=None, initial_cell_state=None):
        """Process a sequence: x is (T, I), or (T, B, I) for a batch; states are (H, 1)
        or (H, B) and default to zeros. Returns (outputs, final_h, final_c) with
        outputs (T, H, B), the hidden state of every step.

        An empty sequence (T = 0) returns empty outputs and the initial states.
        `forward` and `trace` compute the same numbers up to round-off; inputs whose
        products W z could overflow are refused by both (see `_check_products`).
        """
        x, h0, c0, _ = self._check_inputs(x, initial_hidden_state, initial_cell_state)
        T, B, I = x.shape
        H = self.hidden_size
        params = self._checked_params(x, h0, c0)
        W, b = _stacked(params)  # (4H, H + I), (4H,), rows f, i, o, g
        W_h = np.ascontiguousarray(W[:, :H])  # (4H, H)
        W_x = np.ascontiguousarray(W[:, H:])  # (4H, I)

        # One (stacked) matrix product for the input part of many steps at once; only
        # the recurrent product W_h h_{t-1} has to wait for the previous step. The steps
        # go in chunks of at most PROJECTION_CHUNK numbers, so that memory stays bounded
        # for any T, and each call has its own buffer, so that threads never share one.
        chunk = max(1, PROJECTION_CHUNK // max(1, 4 * H * B))  # steps per chunk
        buffer = np.empty(min(T, chunk) * 4 * H * B, x.dtype)

        outputs = _empty((T, H, B), x.dtype, "the outputs", "use a shorter sequence or a "
                         "smaller batch")
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
            if t % chunk == 0:  # the input projection of the next chunk of steps
                x_chunk = x[t:t + chunk].transpose(0, 2, 1)  # (steps, I, B)
                P = buffer[:len(x_chunk) * 4 * H * B].reshape(len(x_chunk), 4 * H, B)
                np.matmul(W_x, x_chunk, out=P)  # P[s] = W_x x_{t+s}, (4H, B)
                P += b[:, None]  # the biases, once for the chunk
            np.dot(W_h, h, a)  # a = W_h h_{t-1}, written into a
            a += P[t % chunk]  # + W_x x_t + b
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
        return outputs, h.copy(), c

    # ---- PyTorch interop, without importing torch ---------------------------------

    @classmethod
    def from_torch(cls, source, prefix=""):
        """Build an LSTM from a single-layer `torch.nn.LSTM` or `torch.nn.LSTMCell`, or
        from its `state_dict()` (any mapping of names to arrays or tensors, such as a
        loaded `.npz`). For a whole model's state dict, `prefix` picks the LSTM's part:
        `from_torch(model.state_dict(), prefix="lstm.")` (or pass `model.lstm`).

        PyTorch stacks the gates as i, f, g, o in `weight_ih_l0` (4H, I) and
        `weight_hh_l0` (4H, H) and adds two biases, `bias_ih_l0 + bias_hh_l0`
        (an LSTMCell names them without `_l0`: one step of a one-layer LSTM).
        A model made with bias=False has no bias keys: the biases stay zero.
        """
        if hasattr(source, "state_dict") and callable(source.state_dict):
            mode = getattr(source, "mode", "LSTM")  # torch's RNN, GRU and LSTM all have one
            if mode != "LSTM":
                raise ValueError(f"from_torch expects a torch.nn.LSTM; got a {mode} "
                                 f"({type(source).__name__})")
            for attr, ok, what in [("num_layers", 1, "one layer (LSTMStack reads more)"),
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
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str such as 'lstm.'; got {type(prefix).__name__}")
        keys = {str(k): k for k in source.keys()}  # printable name -> the source's key
        names = _torch_names(list(keys), prefix)  # our name (ending in _l0) -> printable name
        sd = {name: _torch_array(key, source[keys[key]]) for name, key in names.items()}
        w_ih, w_hh = sd["weight_ih_l0"], sd["weight_hh_l0"]
        if w_ih.ndim != 2 or w_hh.ndim != 2:
            raise ValueError("weight_ih_l0 and weight_hh_l0 must be 2-D; got shapes "
                             f"{w_ih.shape} and {w_hh.shape}")
        H4, I = w_ih.shape
        H = H4 // 4
        if H4 % 4 or H == 0 or I == 0 or w_hh.shape != (4 * H, H):
            raise ValueError(f"expected weight_ih_l0 (4H, I) and weight_hh_l0 (4H, H) with "
                             f"H, I >= 1; got {w_ih.shape} and {w_hh.shape}")
        b = np.zeros(4 * H)
        for key in ("bias_ih_l0", "bias_hh_l0"):
            if key in sd:
                if sd[key].shape != (4 * H,):
                    raise ValueError(f"expected {key} of shape ({4 * H},); got {sd[key].shape}")
                b = b + sd[key]
        W = np.hstack([w_hh, w_ih])  # (4H, H + I): acts on [h; x]
        _check_finite("state_dict weights", W)
        _check_finite("state_dict biases (bias_ih + bias_hh)", b)
        lstm = cls(I, H)
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
            value = _as_parameter(f"LSTM.{name}", getattr(self, name), dtype)
            if value.shape != shape:
                raise ValueError(f"LSTM.{name} must have shape {shape} (hidden, "
                                 f"{'hidden + input' if name[0] == 'W' else '1'}); "
                                 f"got {value.shape}")
            out.append(value)
        return out

    def _checked_params(self, x, h0, c0):
        """The weights as x's dtype; inputs whose products could overflow are refused."""
        params = self._params(x.dtype)
        _check_products(params, x, h0)
        return params

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
    if hasattr(value, "detach") and callable(value.detach):  # a torch tensor
        value = _torch_to_numpy(name, value)
    if isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        # np.asarray would silently use the values behind the mask
        raise TypeError(f"{name} must be a plain numeric array; got a masked array with "
                        f"{int(np.ma.count_masked(value))} masked entries (fill them first)")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as e:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array; could not convert it: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array (float, int or bool); "
                        f"got dtype {arr.dtype}")
    return arr if dtype is None else arr.astype(dtype, copy=False)


def _as_parameter(name, value, dtype):
    """A weight as `dtype`, finite; a finite float64 weight beyond float32's range
    is named as such (the cast alone would turn it into inf, with a numpy warning)."""
    arr = _as_numeric(name, value, None)
    if arr.dtype == dtype:
        _check_finite(name, arr)
        return arr
    with np.errstate(over="ignore"):  # the check below says what overflowed
        cast = arr.astype(dtype)
    if not np.isfinite(cast).all():
        _check_finite(name, arr)  # inf or NaN already, or:
        bad = tuple(int(j) for j in np.argwhere(~np.isfinite(cast))[0])
        raise ValueError(f"{name} does not fit {np.dtype(dtype)} (largest magnitude "
                         f"{np.finfo(dtype).max:.3g}): it has {arr[bad]:.3g} at index {bad}; "
                         f"pass float64 inputs, or scale the weights down")
    return cast


def _torch_to_numpy(name, tensor):
    """A torch tensor as numpy, without importing torch: detached (requires_grad is
    fine), on the CPU, and bfloat16 / float8 (which numpy lacks) widened to float64."""
    try:
        t = tensor.detach().cpu()
        if t.is_floating_point() and str(t.dtype) not in ("torch.float16", "torch.float32",
                                                           "torch.float64"):
            t = t.double()
        return t.numpy()
    except (RuntimeError, TypeError, AttributeError) as e:
        raise TypeError(f"{name} must be a real numeric array or tensor; could not convert "
                        f"the {type(tensor).__name__} of dtype {getattr(tensor, 'dtype', '?')}: "
                        f"{e}") from None


def _float_dtype(*dtypes):
    """float32 in gives float32 out; anything else computes in float64."""
    result = np.result_type(*dtypes)
    return np.dtype(np.float32) if result in (np.float16, np.float32) else np.dtype(np.float64)


def _check_finite(name, arr):
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite; found {arr[tuple(bad)]} at index "
                         f"{tuple(int(j) for j in bad)}")


PROJECTION_CHUNK = 2**18  # numbers of W_x x_t that `forward` computes at once (2 MB in float64)


def _stacked(params):
    """One big matrix for all the gates is faster than four smaller ones.
    Rows f, i, o, g (the three sigmoids together); sigmoid rows are halved."""
    Wf, Wi, Wc, Wo, bf, bi, bc, bo = params
    W = np.concatenate([0.5 * Wf, 0.5 * Wi, 0.5 * Wo, Wc])  # (4H, H + I)
    b = np.concatenate([0.5 * bf, 0.5 * bi, 0.5 * bo, bc])[:, 0]  # (4H,)
    return W, b


def _check_products(params, x, h0):
    """Refuse, before computing anything, inputs whose products W z could overflow.

    Row r of W z_t + b, summed in any order (BLAS kernels differ from CPU to CPU), has
    every partial sum below S_r = sum_j |W_rj| |z_j| + |b_r|, up to round-off. After the
    first step |h_t| < 1, so with m_h = max(1, max |h_0|) and m_x = max |x|, the bound
    S = max_r (sum_j |W_h,rj| m_h + sum_j |W_x,rj| m_x + |b_r|) holds at every step.
    If S is below a quarter of the dtype's largest number, no step can overflow on any
    machine; otherwise we raise rather than let an inf hide behind a saturated gate.
    `params` holds weights (H', H + I), hidden columns first, and their biases (H', 1),
    in the same order of rows.
    """
    H = h0.shape[0]
    m_h = max(1.0, float(np.abs(h0).max(initial=0.0)))
    m_x = float(np.abs(x).max(initial=0.0))
    with np.errstate(over="ignore", invalid="ignore"):  # an inf here just means too large
        W = np.abs(np.concatenate([p for p in params if p.shape[1] != 1]), dtype=np.float64)
        b = np.abs(np.concatenate([p for p in params if p.shape[1] == 1]), dtype=np.float64)
        S = (W[:, :H].sum(axis=1) * m_h + W[:, H:].sum(axis=1) * m_x + b[:, 0]).max()
    limit = float(np.finfo(x.dtype).max) / 4
    if not S < limit:  # also catches NaN, from 0 * inf
        raise ValueError(f"the products W z overflow {x.dtype}: sum |W| |z| reaches {S:.3g} "
                         f"(max |x| = {m_x:.3g}), beyond the {limit:.3g} this dtype can sum "
                         f"safely; expected inputs, states and weights of moderate size")


def _empty(shape, dtype, what, advice):
    """np.empty, with an error that says which array did not fit in memory."""
    try:
        return np.empty(shape, dtype)
    except MemoryError:
        n = float(np.prod(shape, dtype=np.float64))
        raise MemoryError(f"{what}, shape {shape}, need {n * np.dtype(dtype).itemsize / 1e9:.3g} "
                          f"GB of {np.dtype(dtype)}: more than this machine can give; "
                          f"{advice}") from None


_PARAMETER_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _torch_names(keys, prefix):
    """Map the four parameter names of a one-layer LSTM (ending in _l0) to the keys
    of a state dict, refusing anything else by name. An LSTMCell's keys have no _l0."""
    chosen = [k[len(prefix):] for k in keys if k.startswith(prefix)]
    if prefix and not chosen:
        raise ValueError(f"no state_dict key starts with prefix {prefix!r}; keys: {sorted(keys)}")
    if any(k.endswith("_reverse") for k in chosen):
        raise ValueError("lstm_core.LSTM can represent one direction; the state_dict has "
                         "'_reverse' keys (bidirectional=True)")
    if any(k.startswith("weight_hr") for k in chosen):
        raise ValueError("lstm_core.LSTM cannot represent proj_size > 0; the state_dict has "
                         "weight_hr_l0")
    cell = {k[:-3] for k in _PARAMETER_KEYS}  # torch.nn.LSTMCell: weight_ih, ...
    names = {(k + "_l0" if k in cell else k): prefix + k for k in chosen}
    unexpected = sorted(prefix + k for k in names if k not in _PARAMETER_KEYS)
    if unexpected:
        layers = [k for k in unexpected if re.fullmatch(r"(weight|bias)_(ih|hh)_l[1-9]\d*", k)]
        if layers:
            raise ValueError(f"one layer can be read (keys ending in _l0); got {layers}: "
                             f"for a stacked LSTM use LSTMStack.from_torch")
        owners = sorted({k[:-len("weight_ih_l0")] for k in keys if k.endswith("weight_ih_l0")
                         and k != prefix + "weight_ih_l0"})
        hint = (f"; pass the LSTM's part: from_torch(state_dict, prefix={owners[0]!r}) "
                f"or from_torch(model.{owners[0].rstrip('.')})" if owners else "")
        raise ValueError(f"unexpected state_dict keys {unexpected}: expected only "
                         f"{list(_PARAMETER_KEYS)} (or LSTMCell's {sorted(cell)}){hint}")
    missing = [k for k in ("weight_ih_l0", "weight_hh_l0") if k not in names]
    if missing:
        raise ValueError(f"state_dict is missing {missing}; it has {sorted(keys)}")
    if ("bias_ih_l0" in names) != ("bias_hh_l0" in names):
        raise ValueError("state_dict must have both bias_ih_l0 and bias_hh_l0 "
                         f"(or neither, for bias=False); it has {sorted(keys)}")
    return names


def _torch_array(key, value):
    """A state dict value as a float64 array."""
    arr = _as_numeric(f"state_dict[{key!r}]", value, None)
    return arr.astype(np.float64)


# ---- the LSTM's relatives: peepholes, a coupled gate, the GRU, stacked layers -----------

class PeepholeLSTM(LSTM):
    """An LSTM whose gates also look at the cell (Gers & Schmidhuber 2000):

        f_t = sigma(W_f z_t + p_f * c_{t-1} + b_f)     i_t = sigma(W_i z_t + p_i * c_{t-1} + b_i)
        o_t = sigma(W_o z_t + p_o * c_t + b_o)          (o_t sees the new cell c_t)

    `pf, pi, po` are (H, 1), one weight per unit (the peepholes are diagonal); they start
    at zero, so a new PeepholeLSTM computes what an LSTM with its other weights does.
    With coupled=True the input gate is i_t = 1 - f_t (the "CIFG" of Greff et al. 2015):
    what the cell forgets is what it writes; `Wi`, `bi` and `pi` are then None, and the
    trace's `i_pre` is NaN (i_t has no pre-activation of its own).
    `forward` is the readable path here (there is no fast path for the variants).
    """

    def __init__(self, input_size, hidden_size, coupled=False):
        super().__init__(input_size, hidden_size)
        if not isinstance(coupled, (bool, np.bool_)):
            raise TypeError(f"coupled must be True or False; got {coupled!r}")
        self.coupled = bool(coupled)
        self.pf = np.zeros((hidden_size, 1))
        self.pi = None if coupled else np.zeros((hidden_size, 1))
        self.po = np.zeros((hidden_size, 1))
        if coupled:
            self.Wi = self.bi = None

    def __repr__(self):
        return (f"PeepholeLSTM(input_size={self.input_size}, hidden_size={self.hidden_size}"
                f"{', coupled=True' if self.coupled else ''})")

    def _names(self):
        gates = ("f", "c", "o") if self.coupled else ("f", "i", "c", "o")
        peeps = ("pf", "po") if self.coupled else ("pf", "pi", "po")
        return [f"W{g}" for g in gates], [f"b{g}" for g in gates], list(peeps)

    def _params(self, dtype):
        """A dict of the weights used, checked, as `dtype`."""
        H, I = self.hidden_size, self.input_size
        W_names, b_names, p_names = self._names()
        out = {}
        for name in W_names + b_names + p_names:
            shape = (H, H + I) if name[0] == "W" else (H, 1)
            value = _as_parameter(f"PeepholeLSTM.{name}", getattr(self, name), dtype)
            if value.shape != shape:
                raise ValueError(f"PeepholeLSTM.{name} must have shape {shape}; "
                                 f"got {value.shape}")
            out[name] = value
        return out

    def _checked_params(self, x, h0, c0):
        # The peepholes add |p| |c| to a row's terms, and |c_t| <= |c_0| + t.
        params = self._params(x.dtype)
        W_names, b_names, _ = self._names()
        m_c = float(np.abs(c0).max(initial=0.0)) + x.shape[0]
        with np.errstate(over="ignore"):  # an inf bound is refused below
            terms = [np.abs(params[b]) + np.abs(params.get("p" + b[1], 0)) * m_c
                     for b in b_names]
        _check_products([params[w] for w in W_names] + terms, x, h0)
        return params

    def _step(self, x_t, h_prev, c_prev, params):
        P = params
        z = np.vstack([h_prev, x_t])  # (H + I, B)
        f_pre = P["Wf"] @ z + P["pf"] * c_prev + P["bf"]  # (H, B)
        f = sigmoid(f_pre)
        if self.coupled:
            i_pre, i = np.full_like(f, np.nan), 1.0 - f  # no pre-activation: i is 1 - f
        else:
            i_pre = P["Wi"] @ z + P["pi"] * c_prev + P["bi"]
            i = sigmoid(i_pre)
        g_pre = P["Wc"] @ z + P["bc"]
        g = np.tanh(g_pre)
        c = f * c_prev + i * g  # (H, B)
        o_pre = P["Wo"] @ z + P["po"] * c + P["bo"]  # the output gate sees c_t
        o = sigmoid(o_pre)
        h = o * np.tanh(c)
        return Gates(f, i, g, o, c, h, f_pre, i_pre, g_pre, o_pre)

    def forward(self, x, initial_hidden_state=None, initial_cell_state=None):
        """(outputs (T, H, B), h (H, B), c (H, B)), by the readable path."""
        x, h0, c0, _ = self._check_inputs(x, initial_hidden_state, initial_cell_state)
        trace = self.trace(x, h0, c0)
        if len(trace.h) == 0:
            return trace.h, h0, c0
        return trace.h, trace.h[-1].copy(), trace.c[-1].copy()

    @classmethod
    def from_torch(cls, source, prefix=""):
        raise TypeError("PyTorch has no peephole LSTM; build a PeepholeLSTM and assign "
                        "its weights, or use LSTM.from_torch")

    def to_torch(self):
        raise TypeError("PyTorch has no peephole LSTM: PeepholeLSTM has no to_torch")


class GRUGates(NamedTuple):
    """What one GRU step computes; from `GRU.trace` every field is (T, H, B)."""

    r: np.ndarray  # reset gate, in (0, 1)
    z: np.ndarray  # update gate, in (0, 1): how much of h_{t-1} to keep
    n: np.ndarray  # candidate state, in (-1, 1)
    h: np.ndarray  # hidden state
    r_pre: np.ndarray  # W_r z_t + b_r
    z_pre: np.ndarray  # W_z z_t + b_z
    n_pre: np.ndarray  # W_nx x_t + b_n + r_t * (W_nh h_{t-1} + b_hn)  (PyTorch's, below)


class GRU:
    """A Gated Recurrent Unit layer (Cho et al. 2014), in PyTorch's form:

        r_t = sigma(W_r z_t + b_r)                         reset gate       (H, B)
        z_t = sigma(W_z z_t + b_z)                         update gate      (H, B)
        n_t = tanh(W_nx x_t + b_n + r_t * (W_nh h_{t-1} + b_hn))   candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    (z_t without an index on the left is the column [h_{t-1}; x_t] of the LSTM; the update
    gate z_t is the GRU's.) `Wr, Wz, Wn` are (H, H + I) acting on [h_{t-1}; x_t], hidden
    columns first: Wn[:, :H] is W_nh and Wn[:, H:] is W_nx. `br, bz, bn, bhn` are (H, 1).
    With reset_after=False, the form of Cho et al. and d2l: n_t = tanh(Wn [r_t * h_{t-1}; x_t]
    + b_n), the reset applied before the product (bhn must then stay zero).
    The update gate does the LSTM's two jobs at once: z_t keeps, 1 - z_t writes.
    """

    def __init__(self, input_size, hidden_size, reset_after=True):
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        if not isinstance(reset_after, (bool, np.bool_)):
            raise TypeError(f"reset_after must be True or False; got {reset_after!r}")
        self.reset_after = bool(reset_after)
        _empty((3, hidden_size, hidden_size + input_size), np.float64, "the three weights",
               "choose a smaller hidden_size or input_size")
        # standard normal weights and zero biases, as the LSTM's
        self.Wr = np.random.randn(hidden_size, hidden_size + input_size)
        self.Wz = np.random.randn(hidden_size, hidden_size + input_size)
        self.Wn = np.random.randn(hidden_size, hidden_size + input_size)
        self.br = np.zeros((hidden_size, 1))
        self.bz = np.zeros((hidden_size, 1))
        self.bn = np.zeros((hidden_size, 1))
        self.bhn = np.zeros((hidden_size, 1))

    def __repr__(self):
        return (f"GRU(input_size={self.input_size}, hidden_size={self.hidden_size}"
                f"{'' if self.reset_after else ', reset_after=False'})")

    def step(self, x_t, h_prev):
        """One step: x_t (I,) or (B, I), h_prev (H, B). Returns `GRUGates` of (H, B)."""
        x, h_prev, params = self._prepare(_check_step_input(x_t, self.input_size), h_prev)
        return self._step(x[0].T, h_prev, params)

    def _step(self, x_t, h_prev, params):
        Wr, Wz, Wn, br, bz, bn, bhn = params
        H = self.hidden_size
        zc = np.vstack([h_prev, x_t])  # [h_{t-1}; x_t], (H + I, B)
        r_pre = Wr @ zc + br  # (H, B)
        z_pre = Wz @ zc + bz
        r, z = sigmoid(r_pre), sigmoid(z_pre)
        if self.reset_after:  # PyTorch: the reset gate scales W_nh h_{t-1} + b_hn
            n_pre = Wn[:, H:] @ x_t + bn + r * (Wn[:, :H] @ h_prev + bhn)
        else:  # Cho et al. (2014), d2l: the reset gate scales h_{t-1} before the product
            n_pre = Wn @ np.vstack([r * h_prev, x_t]) + bn
        n = np.tanh(n_pre)
        h = (1 - z) * n + z * h_prev  # (H, B)
        return GRUGates(r, z, n, h, r_pre, z_pre, n_pre)

    def trace(self, x, initial_hidden_state=None):
        """Every gate of every step: `GRUGates` whose fields are (T, H, B)."""
        x, h, params = self._prepare(x, initial_hidden_state)
        steps = []
        for x_t in x:  # x_t: (B, I)
            gates = self._step(x_t.T, h, params)
            h = gates.h
            steps.append(gates)
        if not steps:
            return GRUGates(*(np.empty((0, *h.shape), x.dtype) for _ in GRUGates._fields))
        return GRUGates(*(np.stack(field) for field in zip(*steps, strict=True)))

    def forward(self, x, initial_hidden_state=None):
        """x (T, I) or (T, B, I); h0 (H, B), zeros if missing. Returns (outputs (T, H, B),
        h (H, B)). The input projections of all steps in one product, as in LSTM.forward."""
        x, h, params = self._prepare(x, initial_hidden_state)
        Wr, Wz, Wn, br, bz, bn, bhn = params
        T, B, _ = x.shape
        H = self.hidden_size
        if not self.reset_after:  # the reset gate acts inside the product: step by step
            trace = self.trace(x, h)
            return trace.h, (trace.h[-1].copy() if T else h)
        W = np.concatenate([Wr, Wz, Wn])  # (3H, H + I), rows r, z, n
        b = np.concatenate([br, bz, bn])  # (3H, 1)
        W_h, W_x = np.ascontiguousarray(W[:, :H]), np.ascontiguousarray(W[:, H:])
        P = np.matmul(W_x, x.transpose(0, 2, 1)) + b  # (T, 3H, B): W_x x_t + b, all steps
        outputs = _empty((T, H, B), x.dtype, "the outputs", "use a shorter sequence or a "
                         "smaller batch")
        for t in range(T):
            a = W_h @ h  # (3H, B): W_hr h, W_hz h, W_hn h
            rz = sigmoid(P[t, :2 * H] + a[:2 * H])  # (2H, B)
            r, z = rz[:H], rz[H:]
            n = np.tanh(P[t, 2 * H:] + r * (a[2 * H:] + bhn))
            h = outputs[t] = n + z * (h - n)  # (1 - z) n + z h
        return outputs, h.copy()

    def _params(self, dtype):
        H, I = self.hidden_size, self.input_size
        out = []
        for name in ("Wr", "Wz", "Wn", "br", "bz", "bn", "bhn"):
            shape = (H, H + I) if name[0] == "W" else (H, 1)
            value = _as_parameter(f"GRU.{name}", getattr(self, name), dtype)
            if value.shape != shape:
                raise ValueError(f"GRU.{name} must have shape {shape}; got {value.shape}")
            out.append(value)
        if not self.reset_after and np.any(out[-1]):
            raise ValueError("GRU.bhn must stay zero with reset_after=False (the form of Cho "
                             "et al. has one bias for n_t, bn)")
        return out

    def _prepare(self, x, h0):
        """x -> (T, B, I), h0 -> (H, B), and the checked weights; overflow refused."""
        x, (h0,) = _check_sequence(x, {"initial_hidden_state": h0},
                                   self.input_size, self.hidden_size)
        params = Wr, Wz, Wn, br, bz, bn, bhn = self._params(x.dtype)
        _check_products([Wr, Wz, Wn, br, bz, np.abs(bn) + np.abs(bhn)], x, h0)
        return x, h0, params

    @classmethod
    def from_torch(cls, source, prefix=""):
        """Build a GRU from a one-layer `torch.nn.GRU` (or `GRUCell`) or its state dict.
        PyTorch stacks the gates as r, z, n in weight_ih_l0 (3H, I) and weight_hh_l0
        (3H, H); b_r and b_z are the sums of the two biases, b_hn stays inside r_t * (...)."""
        sd, H, I = _torch_layer(source, prefix, "GRU", 3)
        w = np.hstack([sd["weight_hh_l0"], sd["weight_ih_l0"]])  # (3H, H + I)
        b_ih = sd.get("bias_ih_l0", np.zeros(3 * H))
        b_hh = sd.get("bias_hh_l0", np.zeros(3 * H))
        gru = cls(I, H)
        gru.Wr, gru.Wz, gru.Wn = np.split(w, 3)
        gru.br, gru.bz, gru.bn = (v[:, None] for v in np.split(b_ih + np.r_[b_hh[:2 * H],
                                                                               np.zeros(H)], 3))
        gru.bhn = b_hh[2 * H:, None].copy()
        return gru

    def to_torch(self):
        """The weights in `torch.nn.GRU`'s state_dict layout, float64 numpy arrays."""
        if not self.reset_after:
            raise ValueError("torch.nn.GRU applies the reset gate after the product: "
                             "only a GRU with reset_after=True has a PyTorch layout")
        Wr, Wz, Wn, br, bz, bn, bhn = self._params(np.float64)
        H = self.hidden_size
        W = np.concatenate([Wr, Wz, Wn])  # (3H, H + I)
        zeros = np.zeros(H)
        return {"weight_ih_l0": W[:, H:].copy(), "weight_hh_l0": W[:, :H].copy(),
                "bias_ih_l0": np.concatenate([br, bz, bn])[:, 0],
                "bias_hh_l0": np.concatenate([zeros, zeros, bhn[:, 0]])}


class LSTMStack:
    """L LSTM layers, each reading the hidden states of the one below (torch.nn.LSTM with
    num_layers=L): `layers[0]` reads x, `layers[k]` reads the outputs of `layers[k - 1]`."""

    def __init__(self, layers):
        layers = list(layers)
        if not layers or not all(type(layer) is LSTM for layer in layers):
            raise TypeError("LSTMStack expects a non-empty list of lstm_core.LSTM layers")
        for below, above in zip(layers[:-1], layers[1:], strict=True):
            if above.input_size != below.hidden_size:
                raise ValueError(f"each layer must read the hidden state of the one below: "
                                 f"a layer of hidden_size {below.hidden_size} is followed by "
                                 f"one of input_size {above.input_size}")
        self.layers = layers

    def __repr__(self):
        return f"LSTMStack({self.layers!r})"

    @classmethod
    def from_torch(cls, source, prefix=""):
        """From a `torch.nn.LSTM` of any num_layers (one direction, no projection), or its
        state dict: layer k's keys end in _l{k}."""
        if hasattr(source, "state_dict") and callable(source.state_dict):
            for attr, ok, what in [("bidirectional", False, "one direction"),
                                   ("proj_size", 0, "no projection (proj_size=0)")]:
                if getattr(source, attr, ok) != ok:
                    raise ValueError(f"LSTMStack can represent {what}; the module has "
                                     f"{attr}={getattr(source, attr)!r}")
            source = source.state_dict()
        if not hasattr(source, "keys"):
            raise TypeError("LSTMStack.from_torch expects a torch.nn.LSTM or a mapping of its "
                            f"state_dict names to arrays; got {type(source).__name__}")
        keys = {str(k): k for k in source.keys()}
        mine = [k for k in keys if k.startswith(prefix)]
        found = sorted({int(m.group(1)) for k in mine
                        if (m := re.fullmatch(r"(?:weight|bias)_(?:ih|hh)_l(\d+)",
                                              k[len(prefix):]))})
        if not found:
            raise ValueError(f"no LSTM layer keys (weight_ih_l0, ...) in the state_dict; "
                             f"it has {sorted(keys)}")
        if found != list(range(len(found))):
            raise ValueError(f"layers must be numbered 0, 1, ...; found layers {found}")
        others = sorted(k for k in mine if not re.fullmatch(r"(?:weight|bias)_(?:ih|hh)_l\d+",
                                                            k[len(prefix):]))
        if others:
            raise ValueError(f"unexpected state_dict keys {others}: LSTMStack reads "
                             "weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k> "
                             "(one direction, no projection)")
        layers = []
        for k in found:  # layer k's keys, renamed to _l0, make one LSTM
            suffix = f"_l{k}"
            part = {name[len(prefix):-len(suffix)] + "_l0": source[keys[name]]
                    for name in mine if name.endswith(suffix)}
            layers.append(LSTM.from_torch(part))
        return cls(layers)

    def _states(self, name, value, B):
        L, H = len(self.layers), self.layers[-1].hidden_size
        if value is None:
            return [None] * L
        value = _as_numeric(name, value, None)
        sizes = [layer.hidden_size for layer in self.layers]
        if len(set(sizes)) != 1 or value.shape != (L, H, B):
            raise ValueError(f"{name} must be (num_layers={L}, hidden_size={H}, batch={B}); "
                             f"got shape {value.shape}")
        return list(value)

    def forward(self, x, initial_hidden_state=None, initial_cell_state=None):
        """x (T, I) or (T, B, I); states (L, H, B). Returns (outputs of the top layer
        (T, H, B), h (L, H, B), c (L, H, B)), as torch.nn.LSTM (with columns for batch)."""
        x, _, _, B = self.layers[0]._check_inputs(x, None, None)
        hs = self._states("initial_hidden_state", initial_hidden_state, B)
        cs = self._states("initial_cell_state", initial_cell_state, B)
        h_out, c_out = [], []
        for layer, h0, c0 in zip(self.layers, hs, cs, strict=True):
            outputs, h, c = layer.forward(x, h0, c0)
            x = outputs.transpose(0, 2, 1)  # (T, B, H): the next layer's input
            h_out.append(h)
            c_out.append(c)
        return outputs, np.stack(h_out), np.stack(c_out)

    def trace(self, x, initial_hidden_state=None, initial_cell_state=None):
        """One `Gates` trace per layer, bottom first."""
        x, _, _, B = self.layers[0]._check_inputs(x, None, None)
        hs = self._states("initial_hidden_state", initial_hidden_state, B)
        cs = self._states("initial_cell_state", initial_cell_state, B)
        traces = []
        for layer, h0, c0 in zip(self.layers, hs, cs, strict=True):
            trace = layer.trace(x, h0, c0)
            traces.append(trace)
            x = trace.h.transpose(0, 2, 1)
        return traces

    def to_torch(self):
        """The state dict of torch.nn.LSTM(num_layers=L), float64 numpy arrays."""
        out = {}
        for k, layer in enumerate(self.layers):
            out.update({name[:-1] + str(k): v for name, v in layer.to_torch().items()})
        return out


def _torch_layer(source, prefix, kind, gates):
    """A one-layer torch RNN of `kind` ("GRU") as a state dict with keys ending in _l0,
    checked: (sd, H, I). Cell modules' keys (weight_ih, ...) are renamed."""
    if hasattr(source, "state_dict") and callable(source.state_dict):
        mode = getattr(source, "mode", kind)
        if mode != kind:
            raise ValueError(f"expected a torch.nn.{kind}; got a {mode} ({type(source).__name__})")
        if getattr(source, "num_layers", 1) != 1 or getattr(source, "bidirectional", False):
            raise ValueError(f"lstm_core.{kind} can represent one layer in one direction; the "
                             f"module has num_layers={source.num_layers}, "
                             f"bidirectional={source.bidirectional}")
        source = source.state_dict()
    if not hasattr(source, "keys"):
        raise TypeError(f"from_torch expects a torch.nn.{kind} or a mapping of its state_dict "
                        f"names to arrays; got {type(source).__name__}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str such as 'gru.'; got {type(prefix).__name__}")
    keys = {str(k): k for k in source.keys()}
    names = _torch_names(list(keys), prefix)
    sd = {name: _torch_array(key, source[keys[key]]) for name, key in names.items()}
    w_ih, w_hh = sd["weight_ih_l0"], sd["weight_hh_l0"]
    if w_ih.ndim != 2 or w_hh.ndim != 2 or w_ih.shape[0] % gates or w_ih.shape[0] == 0:
        raise ValueError(f"expected weight_ih_l0 ({gates}H, I) and weight_hh_l0 ({gates}H, H); "
                         f"got {w_ih.shape} and {w_hh.shape}")
    H, I = w_ih.shape[0] // gates, w_ih.shape[1]
    if w_hh.shape != (gates * H, H) or I == 0:
        raise ValueError(f"expected weight_ih_l0 ({gates}H, I) and weight_hh_l0 ({gates}H, H) "
                         f"with H, I >= 1; got {w_ih.shape} and {w_hh.shape}")
    for key in ("bias_ih_l0", "bias_hh_l0"):
        if key in sd and sd[key].shape != (gates * H,):
            raise ValueError(f"expected {key} of shape ({gates * H},); got {sd[key].shape}")
    for key, value in sd.items():
        _check_finite(f"state_dict[{key!r}]", value)
    return sd, H, I
