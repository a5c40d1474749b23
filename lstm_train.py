"""Training in numpy: backpropagation through time for `lstm_core.LSTM`, its relatives
(`PeepholeLSTM`, coupled or not, and the `GRU`) and a plain tanh RNN.

The plain recurrent network, for comparison with the LSTM (same conventions as lstm_core):

    z_t = [h_{t-1}; x_t]                      (H + I, B)
    h_t = tanh(W z_t + b)                     (H, B)

References:
- Elman (1990), Finding Structure in Time (the simple recurrent network).
- Hochreiter & Schmidhuber (1997), Long Short-Term Memory (the adding problem).
- Gers, Schmidhuber & Cummins (2000), Learning to Forget (continual tasks, the forget gate).
- Gers & Schmidhuber (2000), Recurrent Nets that Time and Count (peephole connections).
- Cho et al. (2014), Learning Phrase Representations using RNN Encoder-Decoder (the GRU).
- Greff et al. (2015), LSTM: A Search Space Odyssey (the variants, the coupled gate "CIFG").
"""

import math
import numbers

import numpy as np

from lstm_core import (
    GRU,
    LSTM,
    PeepholeLSTM,
    _as_numeric,
    _as_parameter,
    _check_finite,
    _check_products,
    _check_sequence,
    _check_size,
    _check_step_input,
)

__all__ = ["TanhRNN", "lstm_backward", "peephole_backward", "gru_backward", "rnn_backward",
           "Regressor", "init_for_training", "clip_grad_norm", "Adam", "train",
           "adding_problem", "reset_sum"]


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
        _check_products([W, b], x, h_prev)  # refuse an overflow before it happens
        return np.tanh(W @ np.vstack([h_prev, x[0].T]) + b)  # (H, B)

    def forward(self, x, initial_hidden_state=None):
        """Process a sequence: x is (T, I), or (T, B, I) for a batch; the initial state is
        (H, B) and defaults to zeros. Returns (outputs, final_h) with outputs
        (T, H, B), the hidden state of every step. Inputs whose products W z could
        overflow are refused (lstm_core's `_check_products`, as for the LSTM)."""
        x, h = self._check_inputs(x, initial_hidden_state)
        W, b = self._params(x.dtype)
        _check_products([W, b], x, h)
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
            value = _as_parameter(f"TanhRNN.{name}", getattr(self, name), dtype)  # finite
            if value.shape != shape:
                raise ValueError(f"TanhRNN.{name} must have shape {shape}; got {value.shape}")
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
    An empty sequence (T = 0) has zero gradients, and dc0 = dc_last (then c_T is c_0).

    Going backwards through c_t = f_t * c_{t-1} + i_t * g_t and h_t = o_t * tanh(c_t):

        dh_t   = (dL/dh_t from above) + W_h^T da_{t+1}      the recurrent path through z_{t+1}
        do_t   = dh_t * tanh(c_t)
        dc_t   = dc_{t+1} * f_{t+1} + dh_t * o_t * (1 - tanh(c_t)^2)
        df_t   = dc_t * c_{t-1}      di_t = dc_t * g_t      dg_t = dc_t * i_t
        da_t   = [df * f(1-f); di * i(1-i); dg * (1-g^2); do * o(1-o)]   (pre-activations)
        dW     = sum_t da_t z_t^T    db = sum_t da_t     (summed over the batch too)
    """
    if not isinstance(lstm, LSTM):
        raise TypeError(f"lstm must be an lstm_core.LSTM; got {type(lstm).__name__}")
    if isinstance(lstm, PeepholeLSTM):
        raise TypeError("lstm is a PeepholeLSTM, whose gates also see the cell state: "
                        "use peephole_backward")
    x, h0, c0, _ = lstm._check_inputs(x, initial_hidden_state, initial_cell_state)
    T, B, _ = x.shape
    H = lstm.hidden_size
    Wf, Wi, Wc, Wo = lstm._params(x.dtype)[:4]
    f, i, g, o, c, h = _check_trace(trace, (T, H, B), x.dtype)  # each (T, H, B)
    dh = _check_shape("dh", dh, (T, H, B), x.dtype)
    dc_next = np.zeros((H, B), x.dtype) if dc_last is None else \
        _check_shape("dc_last", dc_last, (H, B), x.dtype).copy()  # dc_{t+1} * f_{t+1}
    c_prev = np.concatenate([c0[None], c])[:-1]  # c_{t-1}, (T, H, B)
    h_prev = np.concatenate([h0[None], h])[:-1]  # h_{t-1}, (T, H, B)
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
    # Gradients can explode (large weights over many steps, or a huge dh) past the dtype's
    # range. An inf never turns finite again in these sums and products, so we compute
    # without numpy's warnings and refuse any inf or NaN in the results, by name.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in reversed(range(T)):
            dh_t = dh[t] + dh_next  # (H, B)
            dc = dc_next + dh_t * coef_c[t]  # (H, B)
            np.multiply(dc, coef[t], out=da[t, :3])  # df_pre, di_pre, dg_pre at once
            np.multiply(dh_t, coef_o[t], out=da[t, 3])  # do_pre
            dc_next = dc * f[t]
            dh_next = W_hT @ da[t].reshape(4 * H, B)  # (H, B)

        # The weight gradients need no loop: one product over all steps and the batch.
        z = np.concatenate([h_prev, x.transpose(0, 2, 1)], axis=1)  # [h_{t-1}; x_t], (T, H+I, B)
        da = da.reshape(T, 4 * H, B)
        dW = np.matmul(da, z.transpose(0, 2, 1)).sum(axis=0)  # sum_t da_t z_t^T, (4H, H + I)
        db = da.sum(axis=(0, 2))[:, None]  # (4H, 1)
    _check_no_overflow("lstm_backward's gradients", [dW, db, dh_next, dc_next])
    grads = {}
    for k, name in enumerate("fico"):  # the problem statement's names: Wc for g_t
        grads["W" + name] = dW[k * H:(k + 1) * H]
        grads["b" + name] = db[k * H:(k + 1) * H]
    return grads, dh_next, dc_next


def peephole_backward(lstm, x, trace, dh, initial_hidden_state=None, initial_cell_state=None,
                      dc_last=None):
    """Gradients of L with respect to a `PeepholeLSTM`'s parameters, by BPTT.

    As `lstm_backward` (same arguments, same returns: grads, dL/dh_0, dL/dc_0); grads also
    has the peepholes "pf", "pi", "po", (H, 1). With coupled=True (i_t = 1 - f_t) there is
    no "Wi", "bi" or "pi". The peepholes add three paths to lstm_backward's:

        f_pre = W_f z_t + p_f * c_{t-1} + b_f  (i_pre alike)    o_pre = W_o z_t + p_o * c_t + b_o
        dc_t   = dc_{t+1} * f_{t+1} + p_f * df_pre_{t+1} + p_i * di_pre_{t+1}   from step t+1
                 + dh_t * o_t * (1 - tanh(c_t)^2) + p_o * do_pre_t              from step t
        dp_f   = sum_t df_pre_t * c_{t-1}    dp_i alike    dp_o = sum_t do_pre_t * c_t
        coupled: f_t gets both jobs, df_t = dc_t * (c_{t-1} - g_t)
    """
    if not isinstance(lstm, PeepholeLSTM):
        raise TypeError(f"lstm must be an lstm_core.PeepholeLSTM; got {type(lstm).__name__}"
                        + (" (use lstm_backward)" if isinstance(lstm, LSTM) else ""))
    x, h0, c0, _ = lstm._check_inputs(x, initial_hidden_state, initial_cell_state)
    T, B, _ = x.shape
    H = lstm.hidden_size
    params = lstm._params(x.dtype)  # a dict, by name
    W_names, b_names, p_names = lstm._names()  # gates f, (i), c, o
    f, i, g, o, c, h = _check_trace(trace, (T, H, B), x.dtype)  # each (T, H, B)
    dh = _check_shape("dh", dh, (T, H, B), x.dtype)
    dc_next = np.zeros((H, B), x.dtype) if dc_last is None else \
        _check_shape("dc_last", dc_last, (H, B), x.dtype).copy()  # what c_t gets from t+1
    c_prev = np.concatenate([c0[None], c])[:-1]  # c_{t-1}, (T, H, B)
    h_prev = np.concatenate([h0[None], h])[:-1]  # h_{t-1}, (T, H, B)
    tanh_c = np.tanh(c)
    pf, po = params["pf"], params["po"]  # (H, 1)
    pi = None if lstm.coupled else params["pi"]

    # dc_t -> the pre-activations it feeds, for all steps at once (stacked f, (i), g)
    if lstm.coupled:  # c_t = f c_{t-1} + (1 - f) g: f writes as well as keeps
        coef = np.stack([(c_prev - g) * f * (1 - f), i * (1 - g**2)], axis=1)  # (T, 2, H, B)
    else:
        coef = np.stack([c_prev * f * (1 - f), g * i * (1 - i), i * (1 - g**2)], axis=1)
    coef_o = tanh_c * o * (1 - o)  # d(o_pre) = dh_t * tanh(c_t) * sigma'(o_pre)
    coef_c = o * (1 - tanh_c**2)  # dc_t gets dh_t * o_t * tanh'(c_t)
    k = len(W_names)  # 4 gates, or 3 when coupled

    W_hT = np.vstack([params[name] for name in W_names])[:, :H].T.copy()  # (H, kH)
    da = np.empty((T, k, H, B), x.dtype)  # dL/d(pre-activations): f, (i), g, o
    dh_next = np.zeros((H, B), x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # exploding gradients: refused below
        for t in reversed(range(T)):
            dh_t = dh[t] + dh_next  # (H, B)
            np.multiply(dh_t, coef_o[t], out=da[t, -1])  # do_pre
            dc = dc_next + dh_t * coef_c[t] + po * da[t, -1]  # o_t sees c_t
            np.multiply(dc, coef[t], out=da[t, :-1])  # df_pre, (di_pre), dg_pre
            dc_next = dc * f[t] + pf * da[t, 0]  # f_t and i_t see c_{t-1}
            if pi is not None:
                dc_next += pi * da[t, 1]
            dh_next = W_hT @ da[t].reshape(k * H, B)  # (H, B)

        z = np.concatenate([h_prev, x.transpose(0, 2, 1)], axis=1)  # [h_{t-1}; x_t], (T, H+I, B)
        dW = np.matmul(da.reshape(T, k * H, B), z.transpose(0, 2, 1)).sum(axis=0)  # (kH, H+I)
        db = da.reshape(T, k * H, B).sum(axis=(0, 2))[:, None]  # (kH, 1)
        dp = {"pf": (da[:, 0] * c_prev).sum(axis=(0, 2))[:, None],  # (H, 1)
              "po": (da[:, -1] * c).sum(axis=(0, 2))[:, None]}
        if pi is not None:
            dp["pi"] = (da[:, 1] * c_prev).sum(axis=(0, 2))[:, None]
    _check_no_overflow("peephole_backward's gradients", [dW, db, *dp.values(), dh_next, dc_next])
    grads = {}
    for j, (w, b) in enumerate(zip(W_names, b_names, strict=True)):
        grads[w] = dW[j * H:(j + 1) * H]
        grads[b] = db[j * H:(j + 1) * H]
    grads.update({name: dp[name] for name in p_names})
    return grads, dh_next, dc_next


def gru_backward(gru, x, trace, dh, initial_hidden_state=None):
    """Gradients of L with respect to a `GRU`'s parameters, by BPTT.

    x is (T, B, I) (or (T, I)); `trace` is `gru.trace(x, h0)`; dh is dL/dh_t from above,
    (T, H, B). Returns (grads, dh0): grads maps "Wr", "Wz", "Wn", "br", "bz", "bn" and, in
    PyTorch's form (reset_after=True), "bhn" to arrays shaped like the parameters; dh0 is
    dL/dh_0, (H, B). An empty sequence (T = 0) has zero gradients.

    Going backwards through h_t = (1 - z_t) * n_t + z_t * h_{t-1} (z_t the update gate):

        dh_t  = (dL/dh_t from above) + what h_t gets from step t+1
        dn_t  = dh_t * (1 - z_t)          dz_t = dh_t * (h_{t-1} - n_t)
        da_n  = dn_t * (1 - n_t^2)        n_t's pre-activation
        PyTorch's form, n_t = tanh(W_nx x_t + b_n + r_t * q_t) with q_t = W_nh h_{t-1} + b_hn:
          dr_t = da_n * q_t               dq_t = da_n * r_t
        Cho's form, n_t = tanh(W_n [r_t * h_{t-1}; x_t] + b_n), with s_t = W_nh^T da_n:
          dr_t = s_t * h_{t-1}            and h_{t-1} gets s_t * r_t
        da_r  = dr_t * r(1-r)             da_z = dz_t * z(1-z)
        dh_{t-1} = dh_t * z_t + W_rh^T da_r + W_zh^T da_z + (W_nh^T dq_t, or s_t * r_t)
    """
    if not isinstance(gru, GRU):
        raise TypeError(f"gru must be an lstm_core.GRU; got {type(gru).__name__}")
    x, h0, (Wr, Wz, Wn, br, bz, bn, bhn) = gru._prepare(x, initial_hidden_state)
    T, B, _ = x.shape
    H = gru.hidden_size
    r, z, n, h = _check_gru_trace(trace, (T, H, B), x.dtype, h0)  # each (T, H, B)
    dh = _check_shape("dh", dh, (T, H, B), x.dtype)
    h_prev = np.concatenate([h0[None], h])[:-1]  # h_{t-1}, (T, H, B)
    coef_n = (1 - z) * (1 - n**2)  # dh_t -> da_n
    coef_z = (h_prev - n) * z * (1 - z)  # dh_t -> da_z
    sig_r = r * (1 - r)
    W_nh = Wn[:, :H]

    # da[t] holds da_r, da_z, then dq (PyTorch's form; unused in Cho's) and da_n
    da = np.zeros((T, 4, H, B), x.dtype)
    dh_next = np.zeros((H, B), x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # exploding gradients: refused below
        if gru.reset_after:
            q = np.matmul(W_nh, h_prev) + bhn  # W_nh h_{t-1} + b_hn, (T, H, B)
            W_hT = np.vstack([Wr, Wz, Wn])[:, :H].T.copy()  # (H, 3H): rows r, z, n
            for t in reversed(range(T)):
                dh_t = dh[t] + dh_next  # (H, B)
                a_n = da[t, 3] = dh_t * coef_n[t]
                da[t, 0] = a_n * q[t] * sig_r[t]  # da_r
                da[t, 1] = dh_t * coef_z[t]  # da_z
                da[t, 2] = a_n * r[t]  # dq
                dh_next = dh_t * z[t] + W_hT @ da[t, :3].reshape(3 * H, B)
        else:
            W_rzT = np.vstack([Wr, Wz])[:, :H].T.copy()  # (H, 2H)
            W_nhT = W_nh.T.copy()  # (H, H)
            for t in reversed(range(T)):
                dh_t = dh[t] + dh_next
                a_n = da[t, 3] = dh_t * coef_n[t]
                s = W_nhT @ a_n  # dL/d(r_t * h_{t-1}), (H, B)
                da[t, 0] = s * h_prev[t] * sig_r[t]
                da[t, 1] = dh_t * coef_z[t]
                dh_next = dh_t * z[t] + W_rzT @ da[t, :2].reshape(2 * H, B) + s * r[t]

        def outer(a, v):  # sum_t a_t v_t^T over the steps and the batch
            return np.matmul(a, v.transpose(0, 2, 1)).sum(axis=0)

        x_cols = x.transpose(0, 2, 1)  # x_t as columns, (T, I, B)
        zc = np.concatenate([h_prev, x_cols], axis=1)  # [h_{t-1}; x_t], (T, H + I, B)
        dW_rz = outer(da[:, :2].reshape(T, 2 * H, B), zc)  # (2H, H + I)
        seen = da[:, 2] if gru.reset_after else da[:, 3]  # what multiplies W_nh's input
        h_in = h_prev if gru.reset_after else r * h_prev  # W_nh's input: h_{t-1} or r * h_{t-1}
        dWn = np.hstack([outer(seen, h_in), outer(da[:, 3], x_cols)])  # (H, H + I)
        db = da.sum(axis=(0, 3))[:, :, None]  # (4, H, 1): r, z, q (= b_hn), n
    grads = {"Wr": dW_rz[:H], "Wz": dW_rz[H:], "Wn": dWn,
             "br": db[0], "bz": db[1], "bn": db[3]}
    if gru.reset_after:
        grads["bhn"] = db[2]
    _check_no_overflow("gru_backward's gradients", [*grads.values(), dh_next])
    return grads, dh_next


def rnn_backward(rnn, x, outputs, dh, initial_hidden_state=None):
    """Gradients of L with respect to TanhRNN's W and b, by BPTT.

    outputs is `rnn.forward(x, h0)[0]`, (T, H, B); dh is dL/dh_t from above, (T, H, B).
    Returns (grads, dh0) with grads {"W": (H, H + I), "b": (H, 1)}; zeros for T = 0.

        dh_t = (dL/dh_t from above) + W_h^T da_{t+1}
        da_t = dh_t * (1 - h_t^2)          through h_t = tanh(a_t), a_t = W z_t + b
        dW   = sum_t da_t z_t^T            db = sum_t da_t
    """
    if not isinstance(rnn, TanhRNN):
        raise TypeError(f"rnn must be an lstm_train.TanhRNN; got {type(rnn).__name__}")
    if isinstance(outputs, tuple):
        raise TypeError(f"outputs must be the array rnn.forward(x, h0)[0], (T, H, B); got a "
                        f"tuple of {len(outputs)} (forward returns (outputs, final_h))")
    x, h0 = rnn._check_inputs(x, initial_hidden_state)
    T, B, _ = x.shape
    H = rnn.hidden_size
    W, _ = rnn._params(x.dtype)
    h = _check_shape("outputs", outputs, (T, H, B), x.dtype, (-1, 1))  # h_t = tanh(...)
    dh = _check_shape("dh", dh, (T, H, B), x.dtype)
    tanh_prime = 1 - h**2  # (T, H, B)
    W_hT = W[:, :H].T.copy()  # (H, H)
    da = np.empty((T, H, B), x.dtype)
    dh_next = np.zeros((H, B), x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # exploding gradients: refused below
        for t in reversed(range(T)):
            np.multiply(dh[t] + dh_next, tanh_prime[t], out=da[t])  # (H, B)
            dh_next = W_hT @ da[t]
        h_prev = np.concatenate([h0[None], h])[:-1]  # h_{t-1}, (T, H, B)
        z = np.concatenate([h_prev, x.transpose(0, 2, 1)], axis=1)  # (T, H + I, B)
        grads = {"W": np.matmul(da, z.transpose(0, 2, 1)).sum(axis=0),  # sum_t da_t z_t^T
                 "b": da.sum(axis=(0, 2))[:, None]}
    _check_no_overflow("rnn_backward's gradients", [*grads.values(), dh_next])
    return grads, dh_next


# ---- a recurrent layer plus a linear read-out, trained on squared error ----------

class Regressor:
    """A recurrent layer (`lstm_core.LSTM`, `PeepholeLSTM`, `GRU`, or `TanhRNN`) and a
    linear read-out

        y_t = W_y h_t + b_y        W_y (O, H), b_y (O, 1)

    read at the last step only (`every_step=False`, predictions (O, B)) or at every
    step (predictions (T, O, B)). The loss is the mean squared error, as
    torch.nn.functional.mse_loss: the mean over the batch, the outputs and (with
    every_step) the steps that `mask` (T, B) selects. `rng` draws W_y: a numpy
    Generator or an int seed (default 0).
    """

    def __init__(self, cell, output_size=1, every_step=False, rng=None):
        _check_cell(cell)
        if not isinstance(every_step, (bool, np.bool_)):
            raise TypeError(f"every_step must be True or False; got {every_step!r:.60}")
        self.cell = cell
        self.output_size = _check_size("output_size", output_size)
        self.every_step = bool(every_step)
        rng = _as_rng(0 if rng is None else rng)
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

    def _shapes(self):
        """The shape every parameter must have, by name."""
        H, I, O = self.cell.hidden_size, self.cell.input_size, self.output_size
        shapes = {name: (H, H + I) if name[0] == "W" else (H, 1) for name in _cell_names(self.cell)}
        return {**shapes, "Wy": (O, H), "by": (O, 1)}

    def set_parameters(self, params):
        """Assign arrays by name (as `parameters()` gives them, or a loaded .npz), as float64
        copies. All are checked first (names, shapes, finite): a refused call assigns nothing."""
        shapes = self._shapes()
        params = _as_dict("params", params, shapes, all_required=False)
        values = {name: _check_shape(name, value, shapes[name], np.float64).copy()
                  for name, value in params.items()}
        for name, value in values.items():
            setattr(self.cell if name not in ("Wy", "by") else self, name, value)

    def _run(self, x, keep_gates=False):
        """The hidden states (T, H, B), and what the backward pass needs: the LSTM's or
        the GRU's trace (every gate of every step) when keep_gates, else the forward."""
        if isinstance(self.cell, GRU):
            if keep_gates:
                trace = self.cell.trace(x)
                return trace, trace.h
            outputs, _ = self.cell.forward(x)
            return None, outputs
        if isinstance(self.cell, LSTM):  # a PeepholeLSTM too
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
        return self._readout(h)[1]

    def _readout(self, h):
        """(W_y, the predictions) for the hidden states h (T, H, B), in h's dtype."""
        T, H, _ = h.shape
        Wy = _check_shape("Regressor.Wy", self.Wy, (self.output_size, H), h.dtype)
        by = _check_shape("Regressor.by", self.by, (self.output_size, 1), h.dtype)
        if T == 0 and not self.every_step:
            raise ValueError("x has no time steps (T = 0): a read-out of the last step "
                             "needs T >= 1")
        # |h_t| < 1, so no y_t can exceed sum_j |W_y,oj| + |b_y,o| (summed in float64):
        # refuse weights for which that bound could overflow, whatever the summation order.
        with np.errstate(over="ignore"):
            bound = float((np.abs(Wy, dtype=np.float64).sum(axis=1)
                           + np.abs(by[:, 0], dtype=np.float64)).max())
        if not bound < np.finfo(h.dtype).max / 4:
            raise ValueError(f"the read-out W_y h + b_y could overflow {h.dtype}: sum |W_y| + "
                             f"|b_y| reaches {bound:.3g}; expected weights of moderate size")
        if self.every_step:
            return Wy, np.matmul(Wy, h) + by  # (T, O, B)
        return Wy, Wy @ h[-1] + by  # (O, B)

    def loss(self, x, y, mask=None):
        """The mean squared error on one batch."""
        return self.loss_and_grads(x, y, mask, grads=False)[0]

    def loss_and_grads(self, x, y, mask=None, grads=True):
        """Forward, loss and (by BPTT) the gradient of every parameter.
        y is (O, B), or (T, O, B) with every_step; mask (T, B) of 0/1 weights which
        steps count (every_step only). Returns (loss, {name: gradient})."""
        if not isinstance(grads, (bool, np.bool_)):
            raise TypeError(f"grads must be True or False; got {grads!r:.60}")
        state, h = self._run(x, keep_gates=grads)
        T, H, B = h.shape
        O = self.output_size
        Wy, y_hat = self._readout(h)
        y = _check_shape("y (the targets)", y, y_hat.shape, h.dtype)
        if self.every_step:
            m = np.ones((T, B), h.dtype) if mask is None else _check_mask(mask, (T, B), h.dtype)
            count = O * m.sum()
        elif mask is not None:
            raise ValueError("mask is for every_step=True; a last-step read-out has none")
        else:
            count = O * B
        if count == 0:
            why = "the mask selects no step" if mask is not None else f"T = {T}, B = {B}"
            raise ValueError(f"nothing to average: {why}, so the loss would be 0 / 0")
        with np.errstate(over="ignore", invalid="ignore"):  # huge targets: refused below
            err = y_hat - y  # (O, B) or (T, O, B)
            if self.every_step:
                err = err * m[:, None, :]
            loss = float(np.sum(err**2) / count)
        if not math.isfinite(loss):
            raise ValueError(f"the squared error overflows {h.dtype}: the targets reach "
                             f"{np.abs(y).max():.3g}, the predictions {np.abs(y_hat).max():.3g}; "
                             "expected targets and weights of moderate size")
        if not grads:
            return loss, None

        dy = 2 * err / count  # dL/dy_hat; finite, as the sum of err^2 is
        dh = np.zeros_like(h)  # dL/dh_t from the read-out, (T, H, B)
        with np.errstate(over="ignore", invalid="ignore"):  # refused below
            if self.every_step:
                dh[:] = np.matmul(Wy.T, dy)  # (T, H, B)
                g = {"Wy": np.tensordot(dy, h, axes=([0, 2], [0, 2])),  # sum_t dy_t h_t^T
                     "by": dy.sum(axis=(0, 2))[:, None]}
            else:
                dh[-1] = Wy.T @ dy  # only h_T is read
                g = {"Wy": dy @ h[-1].T, "by": dy.sum(axis=1, keepdims=True)}
        _check_no_overflow("the read-out's gradients", [dh, *g.values()])
        backward = {PeepholeLSTM: peephole_backward, LSTM: lstm_backward, GRU: gru_backward,
                    TanhRNN: rnn_backward}
        kind = next(k for k in backward if isinstance(self.cell, k))  # PeepholeLSTM first
        cell_grads = backward[kind](self.cell, x, state, dh)[0]
        return loss, {**cell_grads, **g}


def _check_cell(cell):
    if not isinstance(cell, (LSTM, GRU, TanhRNN)):  # a PeepholeLSTM is an LSTM
        raise TypeError("cell must be an lstm_core.LSTM or an lstm_train.TanhRNN, or one of "
                        "the LSTM's relatives lstm_core.PeepholeLSTM and lstm_core.GRU; "
                        f"got {type(cell).__name__}")


def _cell_names(cell):
    """The cell's trainable arrays, weights first (W* are (H, H + I), the rest (H, 1))."""
    if isinstance(cell, PeepholeLSTM):
        W_names, b_names, p_names = cell._names()  # coupled: no Wi, bi, pi
        return W_names + b_names + p_names
    if isinstance(cell, LSTM):
        return ["Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"]
    if isinstance(cell, GRU):  # Cho's form has one bias for n_t: b_hn stays zero
        return ["Wr", "Wz", "Wn", "br", "bz", "bn"] + (["bhn"] if cell.reset_after else [])
    return ["W", "b"]


def init_for_training(cell, rng, forget_bias=1.0):
    """Small weights for gradient descent: N(0, 1/(H + I)) instead of the standard normal
    of the problem statement (which saturates the gates from the start), zero biases,
    and for an LSTM a forget-gate bias of `forget_bias` so that f_t starts near
    sigma(1) = 0.73 and the cell remembers from the start (Gers et al. 2000).
    `rng` is a numpy Generator or an int seed.

    The relatives get the same: a PeepholeLSTM draws its weights in the LSTM's order and
    its peepholes start at 0, so from the same seed it starts as the same LSTM (coupled,
    it has no W_i to draw); a GRU's update gate z_t is the gate that keeps h_{t-1}, so
    `forget_bias` is its b_z (z_t starts near 0.73: keep about three quarters)."""
    _check_cell(cell)
    rng = _as_rng(rng)
    forget_bias = _check_number("forget_bias", forget_bias)
    H, I = cell.hidden_size, cell.input_size
    for name in _cell_names(cell):
        if name.startswith("W"):
            setattr(cell, name, rng.normal(0.0, 1.0 / np.sqrt(H + I), (H, H + I)))
        else:  # biases, and a PeepholeLSTM's peepholes
            setattr(cell, name, np.zeros((H, 1)))
    if isinstance(cell, LSTM):
        cell.bf = np.full((H, 1), forget_bias)
    elif isinstance(cell, GRU):
        cell.bz = np.full((H, 1), forget_bias)
    return cell


# ---- the optimizer -------------------------------------------------------------------

def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so that their joint 2-norm is at most max_norm
    (in place; grads maps names to float arrays). Returns the norm before clipping."""
    grads = _as_dict("grads", grads)
    max_norm = _check_number("max_norm", max_norm, "a positive, finite number", lambda v: v > 0)
    for name, g in grads.items():
        _check_updatable(f"grads[{name!r}]", g)
    # Divided by the largest |g| first, the squares can neither overflow nor all underflow.
    scale = max((float(np.abs(g).max(initial=0.0)) for g in grads.values()), default=0.0)
    if scale == 0.0:
        return 0.0
    ratio = float(np.sqrt(sum(np.sum((g / scale) ** 2) for g in grads.values())))  # >= 1
    norm = scale * ratio
    if norm > max_norm:
        for g in grads.values():
            g *= (max_norm / ratio) / scale  # max_norm / norm, in an order that cannot overflow
    return norm


class Adam:
    """Adam (Kingma & Ba 2015) on a dict of named parameter arrays, updated in place:

        m = beta1 m + (1 - beta1) grad          v = beta2 v + (1 - beta2) grad^2
        p -= lr * m_hat / (sqrt(v_hat) + eps)   m_hat, v_hat corrected for their zero start

    lr and eps are positive, beta1 and beta2 in [0, 1) (at 1, m_hat would be 0 / 0).
    """

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
        params = _as_dict("params", params)
        if not params:
            raise ValueError("params is empty: expected a dict of name -> array, such as "
                             "model.parameters()")
        for name, p in params.items():
            _check_updatable(f"parameter {name!r}", p)
        if isinstance(betas, (str, bytes)) or np.ndim(betas) != 1 or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r:.60}")
        self.params = params
        self.lr = _check_number("lr", lr, "a positive, finite number", lambda v: v > 0)
        self.beta1, self.beta2 = (_check_number(f"betas[{k}]", beta, "a number in [0, 1)",
                                                lambda v: 0 <= v < 1)
                                  for k, beta in enumerate(betas))
        self.eps = _check_number("eps", eps, "a positive, finite number", lambda v: v > 0)
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads):
        """One update. grads maps every parameter's name to an array of its exact shape.
        All are checked first, and the new values computed aside: a refused step changes
        neither the parameters nor m, v and t."""
        grads = _as_dict("grads", grads, self.params)
        grads = {k: _check_shape(f"grads[{k!r}]", g, self.params[k].shape, self.params[k].dtype)
                 for k, g in grads.items()}
        t = self.t + 1
        new = {}
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below
            for k, p in self.params.items():
                g = grads[k]
                m = self.beta1 * self.m[k] + (1 - self.beta1) * g
                v = self.beta2 * self.v[k] + (1 - self.beta2) * g**2
                m_hat = m / (1 - self.beta1**t)
                v_hat = v / (1 - self.beta2**t)
                new[k] = m, v, p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        for k, arrays in new.items():
            if not all(np.isfinite(a).all() for a in arrays):
                raise ValueError(f"Adam's update of {k!r} overflows {self.params[k].dtype} "
                                 f"(|grad| up to {np.abs(grads[k]).max():.3g}, lr = "
                                 f"{self.lr:.3g}); expected gradients of moderate size: "
                                 "clip them (clip_grad_norm)")
        for k, (m, v, p) in new.items():
            self.m[k], self.v[k] = m, v
            self.params[k][...] = p
        self.t = t


def train(model, task, steps, rng, lr=1e-2, clip=1.0, callback=None):
    """Train `model` (a Regressor) with Adam for `steps` batches from `task(rng)`, which
    returns (x, y) or (x, y, mask); `rng` is a numpy Generator or an int seed. Gradients
    are clipped to a joint norm of `clip` (None: not clipped). After each step calls
    callback(step, loss) if given. Returns the losses, one per step (each measured before
    its update). Every argument is checked before the first step, and if a later step
    fails (a bad batch, an overflow), the parameters and rng are put back as they were."""
    if not isinstance(model, Regressor):
        raise TypeError(f"model must be an lstm_train.Regressor; got {type(model).__name__}")
    if not callable(task):
        raise TypeError(f"task must be a function of the generator, task(rng) -> (x, y); "
                        f"got {type(task).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(step, loss) or None; "
                        f"got {type(callback).__name__}")
    steps = _check_size("steps", steps)
    rng = _as_rng(rng)
    if clip is not None:
        clip = _check_number("clip", clip, "a positive, finite number (or None: no clipping)",
                             lambda v: v > 0)
    params = model.parameters()
    opt = Adam(params, lr=lr)
    before, rng_before = {k: p.copy() for k, p in params.items()}, rng.bit_generator.state
    losses = []
    try:
        for s in range(steps):
            batch = task(rng)
            if not (isinstance(batch, tuple) and len(batch) in (2, 3)):
                what = type(batch).__name__ + (f" of length {len(batch)}"
                                               if hasattr(batch, "__len__") else "")
                raise TypeError(f"task(rng) must return a tuple (x, y) or (x, y, mask); "
                                f"got a {what}")
            loss, grads = model.loss_and_grads(*batch)
            if clip is not None:
                clip_grad_norm(grads, clip)
            opt.step(grads)
            losses.append(loss)
            if callback is not None:
                callback(s, loss)
    except Exception as e:
        for k, p in params.items():
            p[...] = before[k]
        rng.bit_generator.state = rng_before
        e.add_note(f"train stopped at step {len(losses)} of {steps}; the model's parameters "
                   "and rng are as they were before the call")
        raise
    return np.array(losses)


# ---- toy tasks: plain functions of a seeded generator ------------------------------

def adding_problem(rng, batch_size, T):
    """The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015):
    each step carries a value in [0, 1) and a marker; exactly two steps are marked, one
    in each half of the sequence; the target is the sum of the two marked values.
    `rng` is a numpy Generator or an int seed.

    Returns x (T, B, 2), features (value, marker), and y (1, B). Predicting the mean,
    1, scores a mean squared error of Var(u1 + u2) = 2/12 = 0.167.
    """
    rng = _as_rng(rng)
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
    `rng` is a numpy Generator or an int seed.

    Returns x (T, B, 3), features (value, marker, reset), y (T, 1, B): a read-out at
    every step (Regressor(..., every_step=True)).
    """
    rng = _as_rng(rng)
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


# ---- checks: each bad input gets an error naming what was expected and what came ----

def _as_rng(rng):
    """A numpy Generator; an int seed (or a SeedSequence) becomes np.random.default_rng(seed)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"rng: a seed must be a non-negative integer; got {rng}")
        return np.random.default_rng(int(rng))
    if isinstance(rng, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(rng)
    raise TypeError("rng must be a numpy Generator (np.random.default_rng(seed)) or an int "
                    f"seed; got {rng!r:.60} of type {type(rng).__name__}")


def _check_number(name, value, expected="a finite number", ok=lambda v: True):
    """A real number (Python's, numpy's or a 0-d array; not a bool) as a float: finite,
    and ok(value), which `expected` describes."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]  # a 0-d array, as read from an .npz file
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}; got {value!r:.60} of type "
                        f"{type(value).__name__}")
    try:
        v = float(value)
    except OverflowError:  # an int beyond float's range
        v = math.inf
    if not (math.isfinite(v) and ok(v)):
        raise ValueError(f"{name} must be {expected}; got {value!r:.60}")
    return v


def _as_dict(what, mapping, names=None, all_required=True):
    """A mapping of name -> array (a dict, a loaded .npz) as a dict; with `names`, its keys
    must be those names (all of them, or some when not all_required)."""
    if not (hasattr(mapping, "keys") and hasattr(mapping, "__getitem__")):
        raise TypeError(f"{what} must be a dict of name -> array; got {type(mapping).__name__}")
    out = {k: mapping[k] for k in mapping.keys()}
    if names is not None:
        unknown = sorted(set(out) - set(names), key=str)
        missing = sorted(set(names) - set(out), key=str) if all_required else []
        wrong = ([f"is missing {missing}"] if missing else []) + \
            ([f"has unknown names {unknown}"] if unknown else [])
        if wrong:
            raise ValueError(f"{what} {' and '.join(wrong)}; expected "
                             f"{'' if all_required else 'some of '}{sorted(names)}")
    return out


def _check_updatable(name, p):
    """An array that is changed in place: a finite, writeable float numpy array."""
    if not (isinstance(p, np.ndarray) and p.dtype.kind == "f"):
        raise TypeError(f"{name} must be a float numpy array (it is updated in place); got "
                        f"{type(p).__name__} {getattr(p, 'dtype', '')}")
    if not p.flags.writeable:
        raise ValueError(f"{name} is read-only, and it is updated in place; pass a copy")
    _check_finite(name, p)


def _check_shape(name, value, shape, dtype, within=None):
    """value as a finite array of exactly `shape` (no broadcasting), cast to `dtype`;
    with `within` = (low, high), every entry in [low, high]."""
    arr = _as_numeric(name, value, None)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {arr.shape}")
    with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: refused below
        cast = arr.astype(dtype, copy=False)
    if not cast.size:
        return cast
    smallest, largest = cast.min(), cast.max()  # a NaN anywhere makes both NaN
    if not (np.isfinite(smallest) and np.isfinite(largest)):
        _check_finite(name, arr)  # NaN or inf in what came
        raise ValueError(f"{name} does not fit {np.dtype(dtype)}: it reaches "
                         f"{np.abs(arr).max():.3g}, beyond {np.finfo(dtype).max:.3g}")
    if within is not None and not within[0] <= smallest <= largest <= within[1]:
        found = smallest if smallest < within[0] else largest
        raise ValueError(f"{name} must lie in [{within[0]}, {within[1]}]; found {found:.3g}")
    return cast


def _check_trace(trace, shape, dtype):
    """The fields f, i, g, o, c, h of `LSTM.trace`'s Gates, each checked: shape, finite,
    and within the range of its function (gates in [0, 1], g and h in [-1, 1])."""
    if not all(hasattr(trace, name) for name in "figoch"):
        hint = (f"a tuple of {len(trace)} (forward() returns (outputs, h, c), without the "
                "gates)" if _plain_tuple(trace) else type(trace).__name__)
        raise TypeError("trace must be the Gates that lstm.trace(x, h0, c0) returns, with "
                        f"fields f, i, g, o, c, h of shape {shape}; got {hint}")
    within = {"f": (0, 1), "i": (0, 1), "g": (-1, 1), "o": (0, 1), "c": None, "h": (-1, 1)}
    return [_check_shape(f"trace.{name}", getattr(trace, name), shape, dtype, within[name])
            for name in "figoch"]


def _plain_tuple(value):
    """A tuple such as forward's result; not a NamedTuple (Gates, GRUGates: named in errors)."""
    return isinstance(value, tuple) and not hasattr(value, "_fields")


def _check_gru_trace(trace, shape, dtype, h0):
    """The fields r, z, n, h of `GRU.trace`'s GRUGates, each checked: shape, finite, and
    within range: r, z in [0, 1], n in [-1, 1], and h, a mix of n and h_{t-1}, within
    max(1, max |h_0|)."""
    if not all(hasattr(trace, name) for name in "rznh"):
        hint = (f"a tuple of {len(trace)} (forward() returns (outputs, h), without the gates)"
                if _plain_tuple(trace) else type(trace).__name__)
        raise TypeError("trace must be the GRUGates that gru.trace(x, h0) returns, with "
                        f"fields r, z, n, h of shape {shape}; got {hint}")
    m = max(1.0, float(np.abs(h0).max(initial=0.0)))
    within = {"r": (0, 1), "z": (0, 1), "n": (-1, 1), "h": (-m, m)}
    return [_check_shape(f"trace.{name}", getattr(trace, name), shape, dtype, within[name])
            for name in "rznh"]


def _check_mask(mask, shape, dtype):
    """A mask of 0s and 1s (or booleans) of `shape`, as `dtype`."""
    m = _check_shape("mask", mask, shape, dtype)
    if not np.isin(m, (0, 1)).all():
        raise ValueError(f"mask must hold 0 or 1 (or booleans); found {m[~np.isin(m, (0, 1))][0]}")
    return m


def _check_no_overflow(what, arrays):
    """Refuse the inf or NaN that a computation under np.errstate(over="ignore") made."""
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"{what} overflow {arrays[0].dtype} (exploding gradients: large "
                         "weights over many steps, or a huge dL/dh); expected weights and "
                         "gradients of moderate size: use float64, clip or shorten the sequence")
