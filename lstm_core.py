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

__all__ = ["LSTM", "Gates", "sigmoid"]


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
        params = self._params(x.dtype)
        _check_products(params, x, h_prev)
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
        params = self._params(x.dtype)
        _check_products(params, x, h)
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
        params = self._params(x.dtype)
        _check_products(params, x, h0)
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
    `params` lists the weights (H', H + I), hidden columns first, then their biases (H', 1).
    """
    H = h0.shape[0]
    m_h = max(1.0, float(np.abs(h0).max(initial=0.0)))
    m_x = float(np.abs(x).max(initial=0.0))
    with np.errstate(over="ignore", invalid="ignore"):  # an inf here just means too large
        W = np.abs(np.concatenate(params[:len(params) // 2]), dtype=np.float64)  # (rows, H + I)
        b = np.abs(np.concatenate(params[len(params) // 2:]), dtype=np.float64)  # (rows, 1)
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
            raise ValueError(f"lstm_core.LSTM can represent one layer (keys ending in _l0); "
                             f"got {layers}")
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
