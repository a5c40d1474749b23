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

from lstm_core import _as_numeric, _check_finite, _check_size, _float_dtype

__all__ = ["TanhRNN"]


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
        x, h_prev = self._check_inputs(np.asarray(x_t)[None], h_prev)
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
        x = _as_numeric("x", x, None)
        h0 = None if h0 is None else _as_numeric("initial_hidden_state", h0, None)
        dtype = _float_dtype(x.dtype, *([] if h0 is None else [h0.dtype]))
        I, H = self.input_size, self.hidden_size
        if x.ndim == 2:
            x = x[:, None, :]
        elif x.ndim != 3:
            raise ValueError(f"x must be (T, input_size={I}) or (T, batch, input_size={I}); "
                             f"got {x.ndim}-D with shape {x.shape}")
        if x.shape[2] != I:
            raise ValueError(f"x must have input_size={I} features in its last axis; "
                             f"got shape {x.shape}")
        x = np.ascontiguousarray(x, dtype)
        _check_finite("x", x)
        B = x.shape[1]
        if h0 is None:
            return x, np.zeros((H, B), dtype)
        if h0.shape != (H, B):
            raise ValueError(f"initial_hidden_state must be a column of shape ({H}, {B}) "
                             f"(hidden_size, batch); got shape {h0.shape}")
        h0 = h0.astype(dtype)
        _check_finite("initial_hidden_state", h0)
        return x, h0
