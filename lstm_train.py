"""Training in numpy: backpropagation through time for `lstm_core.LSTM` and a plain tanh RNN.

The plain recurrent network, for comparison with the LSTM (same conventions as lstm_core):

    z_t = [h_{t-1}; x_t]                      (H + I, B)
    h_t = tanh(W z_t + b)                     (H, B)

References:
- Elman (1990), Finding Structure in Time (the simple recurrent network).
- Hochreiter & Schmidhuber (1997), Long Short-Term Memory (the adding problem).
- Gers, Schmidhuber & Cummins (2000), Learning to Forget (continual tasks, the forget gate).
"""

import numpy as np

from lstm_core import (
    LSTM,
    _as_numeric,
    _check_finite,
    _check_sequence,
    _check_size,
    _check_step_input,
)

__all__ = ["TanhRNN", "lstm_backward", "rnn_backward", "Regressor", "init_for_training",
           "clip_grad_norm", "Adam", "train", "adding_problem", "reset_sum"]


class TanhRNN:
    """A plain recurrent layer h_t = tanh(W [h_{t-1}; x_t] + b): no gates, no cell.

    `W` is (H, H + I), acting on [h_{t-1}; x_t] (hidden first, as in lstm_core), and `b`
    is (H, 1); assign them directly and `forward` uses what you assigned.
    """

    def __init__(self, input_size, hidden_size):
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        # Standard normal weights and zero bias, like lstm_core.LSTM
        self.W = np.random.randn(hidden_size, hidden_size + input_size)
        self.b = np.zeros((hidden_size, 1))

    def __repr__(self):
        return f"TanhRNN(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def step(self, x_t, h_prev):
        """One step: x_t is (I,) or (B, I); h_prev is (H, B), B = 1 for one sequence.
        Returns h_t, (H, B)."""
        x, h_prev = self._check_inputs(_check_step_input(x_t, self.input_size), h_prev)
        W, b = self._params(x.dtype)
        return np.tanh(W @ np.vstack([h_prev, x[0].T]) + b)  # (H, B)

    def forward(self, x, initial_hidden_state=None):
        """Process a sequence: x is (T, I), or (T, B, I) for a batch; the initial state is
        (H, B) and defaults to zeros. Returns (outputs, final_h) with outputs
        (T, H, B), the hidden state of every step."""
        x, h = self._check_inputs(x, initial_hidden_state)
        W, b = self._params(x.dtype)
        T, B, _ = x.shape
        H = self.hidden_size
        W_h, W_x = W[:, :H], W[:, H:]  # W z = W_h h + W_x x
        # The input part of every step in one product; only W_h h_{t-1} waits.
        P = np.einsum("hi,tbi->thb", W_x, x) + b  # (T, H, B)
        outputs = np.empty((T, H, B), x.dtype)
        for t in range(T):
            h = outputs[t] = np.tanh(W_h @ h + P[t])  # (H, B)
        return outputs, h.copy()

    def _params(self, dtype):
        H, I = self.hidden_size, self.input_size
        out = []
        for name, shape in (("W", (H, H + I)), ("b", (H, 1))):
            value = _as_numeric(f"TanhRNN.{name}", getattr(self, name), dtype)
            if value.shape != shape:
                raise ValueError(f"TanhRNN.{name} must have shape {shape}; got {value.shape}")
            _check_finite(f"TanhRNN.{name}", value)
            out.append(value)
        return out

    def _check_inputs(self, x, h0):
        """x -> (T, B, I) and h0 -> (H, B), both of one float dtype."""
        x, (h0,) = _check_sequence(x, {"initial_hidden_state": h0},
                                   self.input_size, self.hidden_size)
        return x, h0


# ---- backpropagation through time --------------------------------------------------

def lstm_backward(lstm, x, trace, dh, initial_hidden_state=None, initial_cell_state=None,
                  dc_last=None):
    """Gradients of a loss L with respect to the LSTM's eight parameters, by BPTT.

    x is (T, B, I) (or (T, I)); `trace` is `lstm.trace(x, h0, c0)` (the forward quantities);
    dh is dL/dh_t coming from above (the read-out), (T, H, B); dc_last optionally adds
    dL/dc_T. Returns (grads, dh0, dc0): grads maps "Wf", "Wi", "Wc", "Wo", "bf", ... to
    arrays shaped like the parameters; dh0, dc0 are dL/dh_0 and dL/dc_0, (H, B).

    Going backwards through c_t = f_t * c_{t-1} + i_t * g_t and h_t = o_t * tanh(c_t):

        dh_t   = (dL/dh_t from above) + W_h^T da_{t+1}      the recurrent path through z_{t+1}
        do_t   = dh_t * tanh(c_t)
        dc_t   = dc_{t+1} * f_{t+1} + dh_t * o_t * (1 - tanh(c_t)^2)
        df_t   = dc_t * c_{t-1}      di_t = dc_t * g_t      dg_t = dc_t * i_t
        da_t   = [df * f(1-f); di * i(1-i); dg * (1-g^2); do * o(1-o)]   (pre-activations)
        dW     = sum_t da_t z_t^T    db = sum_t da_t     (summed over the batch too)
    """
    x, h0, c0, _ = lstm._check_inputs(x, initial_hidden_state, initial_cell_state)
    T, B, _ = x.shape
    H = lstm.hidden_size
    Wf, Wi, Wc, Wo = lstm._params(x.dtype)[:4]
    dh = _check_shape("dh", dh, (T, H, B), x.dtype)
    f, i, g, o, c = (_check_shape(f"trace.{name}", getattr(trace, name), (T, H, B), x.dtype)
                     for name in "figoc")  # each (T, H, B)
    c_prev = np.concatenate([c0[None], c[:-1]])  # c_{t-1}, (T, H, B)
    h_prev = np.concatenate([h0[None], trace.h[:-1]])  # h_{t-1}, (T, H, B)
    tanh_c = np.tanh(c)

    # The local derivatives, for all steps at once (they do not wait for the step after):
    #   df_pre = dc * c_{t-1} * f(1-f)    di_pre = dc * g * i(1-i)    dg_pre = dc * i * (1-g^2)
    #   do_pre = dh * tanh(c) * o(1-o)    and dc_t receives dh_t * o * (1 - tanh(c)^2).
    # coef[t] maps dc_t to df_pre, di_pre, dg_pre (stacked in that order).
    coef = np.stack([c_prev * f * (1 - f),  # d(f_pre): dc * c_{t-1} * sigma'
                     g * i * (1 - i),  # d(i_pre): dc * g_t * sigma'
                     i * (1 - g**2)], axis=1)  # d(g_pre): dc * i_t * tanh'; (T, 3, H, B)
    coef_o = tanh_c * o * (1 - o)  # d(o_pre) = dh_t * tanh(c_t) * sigma'(o_pre)
    coef_c = o * (1 - tanh_c**2)  # dc_t gets dh_t * o_t * tanh'(c_t)

    W_hT = np.vstack([Wf, Wi, Wc, Wo])[:, :H].T.copy()  # (H, 4H), gates f, i, g, o
    da = np.empty((T, 4, H, B), x.dtype)  # dL/d(pre-activations), all steps
    dh_next = np.zeros((H, B), x.dtype)  # W_h^T da_{t+1}
    dc_next = np.zeros((H, B), x.dtype) if dc_last is None else \
        _check_shape("dc_last", dc_last, (H, B), x.dtype).copy()  # dc_{t+1} * f_{t+1}
    for t in reversed(range(T)):
        dh_t = dh[t] + dh_next  # (H, B)
        dc = dc_next + dh_t * coef_c[t]  # (H, B)
        np.multiply(dc, coef[t], out=da[t, :3])  # df_pre, di_pre, dg_pre at once
        np.multiply(dh_t, coef_o[t], out=da[t, 3])  # do_pre
        dc_next = dc * f[t]
        dh_next = W_hT @ da[t].reshape(4 * H, B)  # (H, B)

    # The weight gradients need no loop: one product over all steps and the batch.
    z = np.concatenate([h_prev, x.transpose(0, 2, 1)], axis=1)  # z_t = [h_{t-1}; x_t], (T, H+I, B)
    da = da.reshape(T, 4 * H, B)
    dW = np.matmul(da, z.transpose(0, 2, 1)).sum(axis=0)  # sum_t da_t z_t^T, (4H, H + I)
    db = da.sum(axis=(0, 2))[:, None]  # (4H, 1)
    grads = {}
    for k, name in enumerate("fico"):  # the problem statement's names: Wc for g_t
        grads["W" + name] = dW[k * H:(k + 1) * H]
        grads["b" + name] = db[k * H:(k + 1) * H]
    return grads, dh_next, dc_next


def rnn_backward(rnn, x, outputs, dh, initial_hidden_state=None):
    """Gradients of L with respect to TanhRNN's W and b, by BPTT.

    outputs is `rnn.forward(x, h0)[0]`, (T, H, B); dh is dL/dh_t from above, (T, H, B).
    Returns (grads, dh0) with grads {"W": (H, H + I), "b": (H, 1)}.

        dh_t = (dL/dh_t from above) + W_h^T da_{t+1}
        da_t = dh_t * (1 - h_t^2)          through h_t = tanh(a_t), a_t = W z_t + b
        dW   = sum_t da_t z_t^T            db = sum_t da_t
    """
    x, h0 = rnn._check_inputs(x, initial_hidden_state)
    T, B, _ = x.shape
    H = rnn.hidden_size
    W, _ = rnn._params(x.dtype)
    h = _check_shape("outputs", outputs, (T, H, B), x.dtype)
    dh = _check_shape("dh", dh, (T, H, B), x.dtype)
    tanh_prime = 1 - h**2  # (T, H, B)
    W_hT = W[:, :H].T.copy()  # (H, H)
    da = np.empty((T, H, B), x.dtype)
    dh_next = np.zeros((H, B), x.dtype)
    for t in reversed(range(T)):
        np.multiply(dh[t] + dh_next, tanh_prime[t], out=da[t])  # (H, B)
        dh_next = W_hT @ da[t]
    h_prev = np.concatenate([h0[None], h[:-1]])
    z = np.concatenate([h_prev, x.transpose(0, 2, 1)], axis=1)  # (T, H + I, B)
    return {"W": np.matmul(da, z.transpose(0, 2, 1)).sum(axis=0),  # sum_t da_t z_t^T
            "b": da.sum(axis=(0, 2))[:, None]}, dh_next


# ---- a recurrent layer plus a linear read-out, trained on squared error ----------

class Regressor:
    """A recurrent layer (`lstm_core.LSTM` or `TanhRNN`) and a linear read-out

        y_t = W_y h_t + b_y        W_y (O, H), b_y (O, 1)

    read at the last step only (`every_step=False`, predictions (O, B)) or at every
    step (predictions (T, O, B)). The loss is the mean squared error, as
    torch.nn.functional.mse_loss: the mean over the batch, the outputs and (with
    every_step) the steps that `mask` (T, B) selects.
    """

    def __init__(self, cell, output_size=1, every_step=False, rng=None):
        if not isinstance(cell, (LSTM, TanhRNN)):
            raise TypeError("cell must be an lstm_core.LSTM or an lstm_train.TanhRNN; "
                            f"got {type(cell).__name__}")
        self.cell = cell
        self.output_size = _check_size("output_size", output_size)
        self.every_step = bool(every_step)
        rng = np.random.default_rng(0) if rng is None else rng
        H = cell.hidden_size
        self.Wy = rng.normal(0.0, 1.0 / np.sqrt(H), (output_size, H))  # (O, H)
        self.by = np.zeros((output_size, 1))  # (O, 1)

    def __repr__(self):
        return (f"Regressor({self.cell!r}, output_size={self.output_size}, "
                f"every_step={self.every_step})")

    def parameters(self):
        """Every trainable array by name: the cell's, then "Wy" and "by"."""
        owner = {name: self.cell for name in _cell_names(self.cell)}
        owner.update(Wy=self, by=self)
        return {name: getattr(obj, name) for name, obj in owner.items()}

    def set_parameters(self, params):
        """Assign arrays by name (as `parameters()` gives them, or a loaded .npz)."""
        names = set(_cell_names(self.cell)) | {"Wy", "by"}
        unknown = sorted(set(params) - names)
        if unknown:
            raise ValueError(f"unknown parameter names {unknown}; expected some of "
                             f"{sorted(names)}")
        for name in params:
            value = np.array(params[name], dtype=np.float64)
            current = np.shape(self.parameters()[name])
            if value.shape != current:
                raise ValueError(f"{name} must have shape {current}; got {value.shape}")
            setattr(self.cell if name not in ("Wy", "by") else self, name, value)

    def _run(self, x, keep_gates=False):
        """The hidden states (T, H, B), and what the backward pass needs: the LSTM's
        trace (every gate of every step) when keep_gates, else the fast forward."""
        if isinstance(self.cell, LSTM):
            if keep_gates:
                trace = self.cell.trace(x)
                return trace, trace.h
            outputs, _, _ = self.cell.forward(x)
            return None, outputs
        outputs, _ = self.cell.forward(x)
        return outputs, outputs

    def predict(self, x):
        """Predictions for x (T, B, I) or (T, I): (O, B), or (T, O, B) with every_step."""
        _, h = self._run(x)
        return self._readout(h, h.dtype)

    def _readout(self, h, dtype):
        Wy = _check_shape("Regressor.Wy", self.Wy, (self.output_size, h.shape[1]), dtype)
        by = _check_shape("Regressor.by", self.by, (self.output_size, 1), dtype)
        if self.every_step:
            return np.matmul(Wy, h) + by  # (T, O, B)
        return Wy @ h[-1] + by  # (O, B)

    def loss(self, x, y, mask=None):
        """The mean squared error on one batch."""
        return self.loss_and_grads(x, y, mask, grads=False)[0]

    def loss_and_grads(self, x, y, mask=None, grads=True):
        """Forward, loss and (by BPTT) the gradient of every parameter.
        y is (O, B), or (T, O, B) with every_step; mask (T, B) of 0/1 weights which
        steps count (every_step only). Returns (loss, {name: gradient})."""
        state, h = self._run(x, keep_gates=grads)
        T, H, B = h.shape
        O = self.output_size
        y_hat = self._readout(h, h.dtype)
        y = _check_shape("y (the targets)", y, y_hat.shape, h.dtype)
        err = y_hat - y  # (O, B) or (T, O, B)
        if self.every_step:
            m = np.ones((T, B), h.dtype) if mask is None else \
                _check_shape("mask", mask, (T, B), h.dtype)
            count = O * m.sum()
            if count == 0:
                raise ValueError("mask selects no step: the loss would be 0 / 0")
            err = err * m[:, None, :]
        elif mask is not None:
            raise ValueError("mask is for every_step=True; a last-step read-out has none")
        else:
            count = O * B
        loss = float(np.sum(err**2) / count)
        if not grads:
            return loss, None

        dy = 2 * err / count  # dL/dy_hat
        dh = np.zeros_like(h)  # dL/dh_t from the read-out, (T, H, B)
        Wy = self.Wy.astype(h.dtype)
        if self.every_step:
            dh[:] = np.matmul(Wy.T, dy)  # (T, H, B)
            g = {"Wy": np.tensordot(dy, h, axes=([0, 2], [0, 2])),  # sum_t dy_t h_t^T
                 "by": dy.sum(axis=(0, 2))[:, None]}
        else:
            dh[-1] = Wy.T @ dy  # only h_T is read
            g = {"Wy": dy @ h[-1].T, "by": dy.sum(axis=1, keepdims=True)}
        if isinstance(self.cell, LSTM):
            cell_grads, _, _ = lstm_backward(self.cell, x, state, dh)
        else:
            cell_grads, _ = rnn_backward(self.cell, x, state, dh)
        return loss, {**cell_grads, **g}


def _cell_names(cell):
    if isinstance(cell, LSTM):
        return ["Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"]
    return ["W", "b"]


def init_for_training(cell, rng, forget_bias=1.0):
    """Small weights for gradient descent: N(0, 1/(H + I)) instead of the standard normal
    of the problem statement (which saturates the gates from the start), zero biases,
    and for an LSTM a forget-gate bias of `forget_bias` so that f_t starts near
    sigma(1) = 0.73 and the cell remembers from the start (Gers et al. 2000)."""
    H, I = cell.hidden_size, cell.input_size
    for name in _cell_names(cell):
        if name.startswith("W"):
            setattr(cell, name, rng.normal(0.0, 1.0 / np.sqrt(H + I), (H, H + I)))
        else:
            setattr(cell, name, np.zeros((H, 1)))
    if isinstance(cell, LSTM):
        cell.bf = np.full((H, 1), float(forget_bias))
    return cell


# ---- the optimizer -------------------------------------------------------------------

def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their joint 2-norm is at most max_norm
    (in place). Returns the norm before clipping."""
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm


class Adam:
    """Adam (Kingma & Ba 2015) on a dict of named parameter arrays, updated in place:

        m = beta1 m + (1 - beta1) grad          v = beta2 v + (1 - beta2) grad^2
        p -= lr * m_hat / (sqrt(v_hat) + eps)   m_hat, v_hat corrected for their zero start
    """

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
        if not hasattr(params, "items"):
            raise TypeError(f"params must be a dict of name -> array; got {type(params).__name__}")
        for name, p in params.items():
            if not (isinstance(p, np.ndarray) and p.dtype.kind == "f"):
                raise TypeError(f"parameter {name!r} must be a float numpy array (it is "
                                f"updated in place); got {type(p).__name__} "
                                f"{getattr(p, 'dtype', '')}")
        if not lr > 0:
            raise ValueError(f"lr must be positive; got {lr}")
        self.params = params
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads):
        missing = sorted(set(self.params) - set(grads))
        if missing:
            raise ValueError(f"grads is missing {missing}")
        self.t += 1
        for k, p in self.params.items():
            g = grads[k]
            self.m[k] = self.beta1 * self.m[k] + (1 - self.beta1) * g
            self.v[k] = self.beta2 * self.v[k] + (1 - self.beta2) * g**2
            m_hat = self.m[k] / (1 - self.beta1**self.t)
            v_hat = self.v[k] / (1 - self.beta2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def train(model, task, steps, rng, lr=1e-2, clip=1.0, callback=None):
    """Train `model` (a Regressor) with Adam for `steps` batches from `task(rng)`, which
    returns (x, y) or (x, y, mask). After each step calls callback(step, loss) if given.
    Returns the losses, one per step (each measured before its update)."""
    steps = _check_size("steps", steps)
    opt = Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    for s in range(steps):
        loss, grads = model.loss_and_grads(*task(rng))
        if clip is not None:
            clip_grad_norm(grads, clip)
        opt.step(grads)
        losses[s] = loss
        if callback is not None:
            callback(s, loss)
    return losses


# ---- toy tasks: plain functions of a seeded generator ------------------------------

def adding_problem(rng, batch_size, T):
    """The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015):
    each step carries a value in [0, 1) and a marker; exactly two steps are marked, one
    in each half of the sequence; the target is the sum of the two marked values.

    Returns x (T, B, 2), features (value, marker), and y (1, B). Predicting the mean,
    1, scores a mean squared error of Var(u1 + u2) = 2/12 = 0.167.
    """
    B = _check_size("batch_size", batch_size)
    T = _check_size("T", T)
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2 (one marker per half); got {T}")
    values = rng.random((T, B))
    first = rng.integers(0, T // 2, B)  # a marker in the first half
    second = rng.integers(T // 2, T, B)  # and one in the second
    markers = np.zeros((T, B))
    markers[first, np.arange(B)] = 1.0
    markers[second, np.arange(B)] = 1.0
    x = np.stack([values, markers], axis=2)  # (T, B, 2)
    y = (values * markers).sum(axis=0)[None, :]  # (1, B)
    return x, y


def reset_sum(rng, batch_size, T, min_length=4, max_length=12):
    """A continual task where the forget gate must reset (after Gers et al. 2000).

    One long stream per sequence, cut into segments of random length in
    [min_length, max_length]. The first step of every segment carries a reset marker;
    two other steps of the segment carry a marker on their value. At every step the target
    is the sum of the marked values since the last reset (0 at the reset step itself).
    A cell that only accumulates cannot do it: at each reset, f_t must drop to 0.

    Returns x (T, B, 3), features (value, marker, reset), y (T, 1, B): a read-out at
    every step (Regressor(..., every_step=True)).
    """
    B = _check_size("batch_size", batch_size)
    T = _check_size("T", T)
    min_length = _check_size("min_length", min_length)
    max_length = _check_size("max_length", max_length)
    if not 3 <= min_length <= max_length:
        raise ValueError("segments need 3 <= min_length <= max_length (a reset and two "
                         f"markers); got min_length={min_length}, max_length={max_length}")
    values = rng.random((T, B))
    markers = np.zeros((T, B))
    resets = np.zeros((T, B))
    for b in range(B):
        start = 0
        while start < T:
            length = int(rng.integers(min_length, max_length + 1))
            resets[start, b] = 1.0
            marked = start + 1 + rng.choice(length - 1, 2, replace=False)
            markers[marked[marked < T], b] = 1.0
            start += length
    x = np.stack([values, markers, resets], axis=2)  # (T, B, 3)
    y = np.empty((T, 1, B))
    total = np.zeros(B)
    for t in range(T):
        total = np.where(resets[t] == 1, 0.0, total + values[t] * markers[t])
        y[t, 0] = total
    return x, y


def _check_shape(name, value, shape, dtype):
    arr = _as_numeric(name, value, dtype)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {arr.shape}")
    _check_finite(name, arr)
    return arr
