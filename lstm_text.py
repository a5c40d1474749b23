"""An LSTM that reads text one character at a time (lesson 9), on lstm_core and lstm_train.

The model: each character is a one-hot column x_t (V,) over a vocabulary of V characters;
`lstm_core.LSTM(V, H)` reads it; a softmax read-out predicts the next character:

    y_t = W_y h_t + b_y                 W_y (V, H), b_y (V, 1): one score per character
    p_t = softmax(y_t)                  p_t[k] = exp(y_t[k]) / sum_j exp(y_t[j])
    L   = -mean_t log p_t[x_{t+1}]      cross-entropy, in nats; L / ln 2 is bits per character

and dL/dy_t = (p_t - onehot(x_{t+1})) / N for N predictions, which goes back into the LSTM
by lstm_train's BPTT. Long text is read in segments of T characters by B streams at once
(truncated BPTT): each stream carries its state (h, c) from one segment to the next, but the
gradient stops at the segment's start.

The rest of the module: the corpus (data/python_corpus_*.txt, scripts/make_corpus.py), the
labels of every character from Python's `tokenize` (in a string, in a comment, bracket depth,
column, indentation level), count baselines (unigram, n-gram), sampling with a temperature,
correlations of units with labels, and the trained model's file (data/char_lstm.npz).

References:
- Karpathy, Johnson & Fei-Fei (2015), Visualizing and Understanding Recurrent Networks
  (character-level LSTMs on source code; cells that track quotes, brackets, line length).
- Strobelt, Gehrmann, Pfister & Rush (2018), LSTMVis (select a cell and a threshold).
- Graves (2013), Generating Sequences With Recurrent Neural Networks (truncated BPTT on text).
- Witten & Bell (1991), The zero-frequency problem (the n-gram baseline's smoothing).
"""

import io
import math
import re
import tokenize
from pathlib import Path

import numpy as np

from lstm_core import LSTM, PROJECTION_CHUNK, _check_products, _check_size, _stacked
from lstm_train import (
    Adam,
    _as_rng,
    _check_number,
    clip_grad_norm,
    init_for_training,
    lstm_backward,
)

__all__ = ["read_corpus", "split_files", "Vocab", "CharLSTM", "stream_segments", "train_tbptt",
           "token_labels", "LABELS", "bits_per_char", "unigram_log2probs", "ngram_log2probs",
           "correlations", "rank_units", "sample", "save_char_model", "load_char_model"]

DATA = Path(__file__).resolve().parent / "data"
CORPUS = {"train": "python_corpus_train.txt", "heldout": "python_corpus_heldout.txt"}
_FILE_LINE = re.compile(r"^# ---- Lib/(.+) ----\n", re.M)  # make_corpus's line before each file
LN2 = math.log(2.0)


# ---- the corpus ----------------------------------------------------------------------

def read_corpus(part, folder=DATA):
    """The text of the corpus' "train" or "heldout" part (scripts/make_corpus.py made it)."""
    if part not in CORPUS:
        raise ValueError(f"part must be 'train' or 'heldout'; got {part!r}")
    path = Path(folder) / CORPUS[part]
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: make it with the README's command "
                                "python scripts/make_corpus.py") from None


def split_files(text):
    """[(name, source), ...]: the standard-library files of a corpus text, in order."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    marks = list(_FILE_LINE.finditer(text))
    if not marks or marks[0].start() != 0:
        raise ValueError("text must start with make_corpus's line '# ---- Lib/<name> ----'")
    ends = [m.start() for m in marks[1:]] + [len(text)]
    return [(m.group(1), text[m.end():end]) for m, end in zip(marks, ends, strict=True)]


class Vocab:
    """The characters a model knows, sorted; character k is the k-th one-hot input."""

    def __init__(self, chars):
        if isinstance(chars, str):
            chars = list(chars)
        chars = list(chars)
        if not chars or not all(isinstance(ch, str) and len(ch) == 1 for ch in chars):
            raise TypeError("a Vocab is made of single characters (a str, or a list of "
                            "1-character strings); got " + repr(chars)[:60])
        if len(set(chars)) != len(chars) or chars != sorted(chars):
            raise ValueError("a Vocab's characters must be distinct and sorted; use "
                             "Vocab.from_text(text)")
        self.chars = chars
        self.index = {ch: k for k, ch in enumerate(chars)}
        self._lookup = np.full(max(map(ord, chars)) + 1, -1, np.int64)  # code point -> index
        self._lookup[[ord(ch) for ch in chars]] = np.arange(len(chars))

    @classmethod
    def from_text(cls, text):
        return cls(sorted(set(text)))

    @classmethod
    def from_codes(cls, codes):
        """From code points, as data/char_lstm.npz stores them (uint32)."""
        codes = np.asarray(codes)
        if codes.ndim != 1 or codes.dtype.kind not in "iu" or (codes < 0).any() or \
                (codes > 0x10FFFF).any():
            raise ValueError("codes must be a 1-D array of Unicode code points")
        return cls([chr(int(c)) for c in codes])

    @property
    def codes(self):
        return np.array([ord(ch) for ch in self.chars], np.uint32)

    def __len__(self):
        return len(self.chars)

    def __repr__(self):
        return f"Vocab({len(self)} characters)"

    def encode(self, text):
        """The indices of text's characters, (N,) int64; unknown characters are refused."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {type(text).__name__}")
        codes = np.frombuffer(text.encode("utf-32-le"), np.uint32).astype(np.int64)
        ids = np.full(len(codes), -1, np.int64)
        known = codes < len(self._lookup)
        ids[known] = self._lookup[codes[known]]
        if (ids < 0).any():
            unknown = sorted({text[k] for k in np.flatnonzero(ids < 0)[:1000]})
            raise ValueError(f"the text has {int((ids < 0).sum())} characters outside the "
                             f"vocabulary of {len(self)}, such as {unknown[:10]}")
        return ids

    def decode(self, ids):
        ids = _check_ids("ids", ids, len(self))
        return "".join(self.chars[k] for k in ids.ravel())


def _check_ids(name, ids, V, ndim=None):
    """Character indices as an int64 array, each in [0, V)."""
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu" or (ndim is not None and arr.ndim != ndim):
        shape = "(T, B)" if ndim == 2 else "(N,)" if ndim == 1 else "an array"
        raise TypeError(f"{name} must be integer character indices {shape}; got "
                        f"{arr.dtype} of shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= V):
        raise ValueError(f"{name} must be character indices in [0, {V}); found "
                         f"{arr.min() if arr.min() < 0 else arr.max()}")
    return arr.astype(np.int64, copy=False)


# ---- the model -----------------------------------------------------------------------

class CharLSTM:
    """A character-level language model: `lstm` (lstm_core.LSTM(V, H)) reads one-hot
    characters; `Wy` (V, H) and `by` (V, 1) score the next character (module docstring).

    `rng` (a numpy Generator or an int seed) draws the initial weights: lstm_train's
    `init_for_training` for the LSTM (forget bias 1), N(0, 1/H) for W_y, b_y = 0."""

    def __init__(self, vocab, hidden_size, rng=0):
        if not isinstance(vocab, Vocab):
            raise TypeError(f"vocab must be an lstm_text.Vocab; got {type(vocab).__name__}")
        self.vocab = vocab
        V, H = len(vocab), _check_size("hidden_size", hidden_size)
        rng = _as_rng(rng)
        state = np.random.get_state()  # LSTM() draws throwaway weights from the global one
        try:
            self.lstm = init_for_training(LSTM(V, H), rng)
        finally:
            np.random.set_state(state)
        self.Wy = rng.normal(0.0, 1.0 / math.sqrt(H), (V, H))  # (V, H)
        self.by = np.zeros((V, 1))  # (V, 1)

    def __repr__(self):
        return f"CharLSTM(vocab of {len(self.vocab)}, hidden_size={self.lstm.hidden_size})"

    @property
    def hidden_size(self):
        return self.lstm.hidden_size

    def parameters(self):
        """The ten trainable arrays by name: the LSTM's eight, then Wy and by."""
        names = ["Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"]
        return {**{n: getattr(self.lstm, n) for n in names}, "Wy": self.Wy, "by": self.by}

    def set_parameters(self, params):
        """Assign all ten arrays by name (float64 copies), checked first: shapes, finite."""
        V, H = len(self.vocab), self.hidden_size
        shapes = {n: (H, H + V) if n[0] == "W" else (H, 1) for n in self.parameters()}
        shapes.update(Wy=(V, H), by=(V, 1))
        missing, extra = shapes.keys() - params.keys(), params.keys() - shapes.keys()
        if missing or extra:
            raise ValueError(f"params must have exactly {sorted(shapes)}; missing "
                             f"{sorted(missing)}, unexpected {sorted(extra)}")
        values = {}
        for name, shape in shapes.items():
            value = np.array(params[name], dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape}; got {value.shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"{name} must be finite")
            values[name] = value
        for name, value in values.items():
            setattr(self if name in ("Wy", "by") else self.lstm, name, value)

    def one_hot(self, ids, dtype=np.float64):
        """(T, B) character indices -> x (T, B, V), the LSTM's input."""
        ids = _check_ids("ids", ids, len(self.vocab), ndim=2)
        x = np.zeros((*ids.shape, len(self.vocab)), dtype)
        np.put_along_axis(x, ids[:, :, None], 1.0, axis=2)
        return x

    def _states(self, B, h0, c0, dtype):
        H = self.hidden_size
        out = []
        for name, s in (("h0", h0), ("c0", c0)):
            if s is None:
                out.append(np.zeros((H, B), dtype))
                continue
            s = np.asarray(s)
            if s.shape != (H, B) or s.dtype.kind != "f" or not np.isfinite(s).all():
                raise ValueError(f"{name} must be a finite float array of shape ({H}, {B}) "
                                 f"(hidden_size, streams); got {s.dtype} {s.shape}")
            out.append(s.astype(dtype, copy=False))
        return out

    def _scores(self, h, dtype):
        """y_t = W_y h_t + b_y for h (T, H, B): (T, V, B)."""
        return np.matmul(self.Wy.astype(dtype, copy=False), h) + self.by.astype(dtype,
                                                                                copy=False)

    def loss_and_grads(self, inputs, targets, h0=None, c0=None, dtype=np.float64, grads=True):
        """One segment: inputs and targets are (T, B) character indices (targets[t] is the
        character after inputs[t]); h0, c0 (H, B) the streams' carried states (zeros if None).
        Returns (loss, grads, (h_T, c_T)): the mean cross-entropy in nats over the T * B
        predictions, every parameter's gradient by name (None unless `grads`), and the final
        states to carry into the next segment. dtype float32 computes in float32 (faster)."""
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64; got {dtype}")
        V = len(self.vocab)
        inputs = _check_ids("inputs", inputs, V, ndim=2)
        targets = _check_ids("targets", targets, V, ndim=2)
        if inputs.shape != targets.shape or inputs.size == 0:
            raise ValueError(f"inputs and targets must have the same non-empty shape (T, B); "
                             f"got {inputs.shape} and {targets.shape}")
        T, B = inputs.shape
        h0, c0 = self._states(B, h0, c0, dtype)
        x = self.one_hot(inputs, dtype)  # (T, B, V)
        if grads:
            trace = self.lstm.trace(x, h0, c0)  # every gate, for BPTT
            h, c_T = trace.h, trace.c[-1]
        else:
            h, _, c_T = self.lstm.forward(x, h0, c0)  # (T, H, B)
        y = self._scores(h, dtype)  # (T, V, B)
        y -= y.max(axis=1, keepdims=True)  # log-softmax without overflow
        log_p = y - np.log(np.exp(y).sum(axis=1, keepdims=True))  # (T, V, B)
        picked = np.take_along_axis(log_p, targets[:, None, :], axis=1)  # (T, 1, B)
        N = T * B
        loss = -float(picked.sum(dtype=np.float64)) / N
        final = (h[-1].copy(), c_T.copy())
        if not grads:
            return loss, None, final
        dy = np.exp(log_p)  # p_t, (T, V, B)
        at = targets[:, None, :]  # where onehot(target) is 1
        np.put_along_axis(dy, at, np.take_along_axis(dy, at, axis=1) - 1, axis=1)
        dy /= N  # dL/dy_t = (p_t - onehot(target)) / N
        Wy = self.Wy.astype(dtype, copy=False)
        dh = np.matmul(Wy.T, dy)  # dL/dh_t from the read-out, (T, H, B)
        g = {"Wy": np.tensordot(dy, h, axes=([0, 2], [0, 2])),  # sum_t dy_t h_t^T, (V, H)
             "by": dy.sum(axis=(0, 2))[:, None]}  # (V, 1)
        cell, _, _ = lstm_backward(self.lstm, x, trace, dh, h0, c0)  # stops at the segment
        return loss, {**cell, **g}, final

    def run(self, ids, chunk=1024, h0=None, c0=None):
        """Read one text, ids (N,): (c, h), each (N, H) float32, c[t] and h[t] the states
        after reading character t, from h0, c0 (H, 1) (zeros if None). Computed in float64 by
        `read` in chunks of `chunk` characters, the state carried (the same numbers as one long
        `LSTM.trace`, up to round-off)."""
        ids = _check_ids("ids", ids, len(self.vocab), ndim=1)
        chunk = _check_size("chunk", chunk)
        H = self.hidden_size
        h, c = self._states(1, h0, c0, np.float64)
        cs, hs = np.empty((len(ids), H), np.float32), np.empty((len(ids), H), np.float32)
        for start in range(0, len(ids), chunk):
            seg = ids[start:start + chunk, None]  # (T, 1)
            cells = np.empty((len(seg), H, 1))
            h_seg, h, c = self.read(seg, h, c, cells=cells)
            cs[start:start + len(seg)], hs[start:start + len(seg)] = cells[:, :, 0], h_seg[:, :, 0]
        return cs, hs

    def log2probs(self, ids, chunk=4096):
        """log2 p(ids[t] | ids[:t]) for t = 1 .. N - 1, (N - 1,): the model reads the text from
        a zero state, by `read` in chunks, the state carried."""
        ids = _check_ids("ids", ids, len(self.vocab), ndim=1)
        if len(ids) < 2:
            raise ValueError("a text of at least 2 characters is needed: the first one is read, "
                             "the next ones predicted")
        chunk = _check_size("chunk", chunk)
        h = c = None
        out = np.empty(len(ids) - 1)
        for start in range(0, len(ids) - 1, chunk):
            seg = ids[start:min(start + chunk, len(ids) - 1)]
            nxt = ids[start + 1:start + 1 + len(seg)]
            loss_terms, h, c = self._log_p(seg, nxt, h, c)
            out[start:start + len(seg)] = loss_terms / LN2
        return out

    def _log_p(self, seg, nxt, h, c):
        outputs, h, c = self.read(seg[:, None], h, c)  # (T, H, 1)
        y = outputs[:, :, 0] @ self.Wy.T + self.by[:, 0]  # (T, V): y_t = W_y h_t + b_y, in rows
        y -= y.max(axis=1, keepdims=True)
        log_p = y - np.log(np.exp(y).sum(axis=1, keepdims=True))
        return log_p[np.arange(len(seg)), nxt], h, c

    def read(self, ids, h0=None, c0=None, cells=None):
        """The LSTM over character indices ids (T, B) (B streams, read side by side) from the
        states h0, c0 (H, B) (zeros if None), in float64. Returns (outputs (T, H, B), h, c) as
        `LSTM.forward` on the one-hot inputs does, up to round-off; `cells`, an array
        (T, H, B), receives every c_t if given.

        Why not `LSTM.forward(self.one_hot(ids))`: W_x x_t with a one-hot x_t is column x_t of
        W_x, so a lookup replaces the product (4H * V multiplications per character). In the
        static site's Pyodide (WebAssembly, no BLAS) the product took 257 ms for 4096
        characters of lesson 9, the lookup 4 ms, and the steps' W_h h_{t-1} about 45 us each."""
        V, H = len(self.vocab), self.hidden_size
        ids = _check_ids("ids", ids, V, ndim=2)
        T, B = ids.shape
        h, c = self._states(B, h0, c0, np.float64)
        if cells is not None and (not isinstance(cells, np.ndarray) or cells.shape != (T, H, B)
                                  or cells.dtype != np.float64):
            raise ValueError(f"cells must be a float64 array of shape ({T}, {H}, {B}); got "
                             f"{getattr(cells, 'dtype', type(cells).__name__)} "
                             f"{getattr(cells, 'shape', '')}")
        params = self.lstm._params(np.float64)
        _check_products(params, np.ones(1), h)  # one-hot inputs: max |x_t| = 1
        W, b = _stacked(params)  # (4H, H + V), (4H,): rows f, i, o, g, the sigmoid rows halved
        W_h = np.ascontiguousarray(W[:, :H])  # (4H, H)
        W_x_rows = np.ascontiguousarray(W[:, H:].T)  # (V, 4H): row k is W_x's column k
        steps = max(1, PROJECTION_CHUNK // (4 * H * B))  # of W_x x_t + b at once: memory bounded
        outputs = np.empty((T, H, B))
        c = c.copy()
        a = np.empty((4 * H, B))  # the four gates of one step, reused
        f, i, o, g = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        sig, half = a[:3 * H], np.array(0.5)
        for t in range(T):  # LSTM.forward's step, in place (its comments say why)
            if t % steps == 0:  # P[s] = W_x x_{t+s} + b, a lookup: (steps, 4H, B)
                P = np.ascontiguousarray((W_x_rows[ids[t:t + steps]] + b).transpose(0, 2, 1))
            np.matmul(W_h, h, a)  # a = W_h h_{t-1}
            a += P[t % steps]  # + W_x x_t + b
            np.tanh(a, a)  # sigma(x) = (1 + tanh(x / 2)) / 2: the sigmoid rows were halved
            sig *= half
            sig += half
            c *= f  # c_t = f_t * c_{t-1} + i_t * g_t
            i *= g
            c += i
            h = outputs[t]
            np.tanh(c, h)  # h_t = o_t * tanh(c_t)
            h *= o
            if cells is not None:
                cells[t] = c
        return outputs, h.copy(), c


# ---- truncated BPTT over long text -----------------------------------------------------

def stream_segments(ids, batch_size, seq_len):
    """Cut a long text into `batch_size` streams (equal contiguous parts) and each stream into
    segments of `seq_len` characters. Yields (inputs, targets), each (seq_len, batch_size),
    in reading order: segment k+1 of every stream continues segment k (carry the state)."""
    B, T = _check_size("batch_size", batch_size), _check_size("seq_len", seq_len)
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be one text, (N,); got shape {ids.shape}")
    L = (len(ids) - 1) // B  # predictions per stream
    if L < T:
        raise ValueError(f"the text ({len(ids)} characters) is too short for {B} streams of "
                         f"at least one segment of {T}")
    starts = np.arange(B) * L

    def segments():  # the sizes are checked above, when stream_segments is called
        for k in range(L // T):
            cols = starts[None, :] + k * T + np.arange(T)[:, None]  # (T, B)
            yield ids[cols], ids[cols + 1]

    return segments()


def train_tbptt(model, ids, steps, batch_size=32, seq_len=50, lr=3e-3, clip=5.0,
                dtype=np.float32, lr_decay_steps=2000, callback=None):
    """Train `model` (a CharLSTM) on the long text `ids` (N,) for `steps` segments of
    (seq_len, batch_size) with Adam and gradients clipped to a joint norm of `clip`. The
    learning rate at step s is lr / sqrt(1 + s / lr_decay_steps) (None: constant): it does
    not depend on `steps`, so a run stopped early equals a shorter run. The streams carry
    their states from segment to segment; after the last segment of the text they start
    again from zero states. callback(step, loss, grad_norm) after each step (it may raise
    to stop). Returns the losses (nats), (steps,)."""
    if not isinstance(model, CharLSTM):
        raise TypeError(f"model must be an lstm_text.CharLSTM; got {type(model).__name__}")
    ids = _check_ids("ids", ids, len(model.vocab), ndim=1)
    steps = _check_size("steps", steps)
    clip = _check_number("clip", clip, "a positive, finite number", lambda v: v > 0)
    lr = _check_number("lr", lr, "a positive, finite number", lambda v: v > 0)
    if lr_decay_steps is not None:
        lr_decay_steps = _check_number("lr_decay_steps", lr_decay_steps,
                                       "a positive number of steps (or None)", lambda v: v > 0)
    stream_segments(ids, batch_size, seq_len)  # the sizes, checked before the first step
    opt = Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    segments, state = None, (None, None)
    for s in range(steps):
        batch = next(segments, None) if segments is not None else None
        if batch is None:  # the start of the text: new streams from zero states
            segments, state = stream_segments(ids, batch_size, seq_len), (None, None)
            batch = next(segments)
        loss, grads, state = model.loss_and_grads(*batch, *state, dtype=dtype)
        norm = clip_grad_norm(grads, clip)
        opt.lr = lr if lr_decay_steps is None else lr / math.sqrt(1 + s / lr_decay_steps)
        opt.step(grads)
        losses[s] = loss
        if callback is not None:
            callback(s, loss, norm)
    return losses


# ---- what every character is, by Python's tokenize ---------------------------------------

LABELS = {  # name: what the label of character t says
    "in_string": "1 if character t is part of a string literal (quotes and prefix included)",
    "in_comment": "1 if character t is part of a comment (from # to the end of the line)",
    "bracket_depth": "how many brackets ( [ { are open after character t",
    "column": "the position of character t in its line (0 for the first; a newline ends it)",
    "indent_level": "the block level of t's line: tokenize's INDENT minus DEDENT tokens",
}


def token_labels(source):
    """Label every character of Python source with `tokenize`: a dict of the LABELS' names
    to int arrays (len(source),). Brackets inside strings and comments do not count.
    On Python 3.12+, where an f-string is tokenized into parts, the whole f-string is one
    string literal, as on 3.11 (so the labels are the same on both)."""
    if not isinstance(source, str):
        raise TypeError(f"source must be a str; got {type(source).__name__}")
    N = len(source)
    line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def offset(row, col):
        return line_starts[row - 1] + col if row - 1 < len(line_starts) else N

    in_string, in_comment = np.zeros(N, np.int64), np.zeros(N, np.int64)
    depth_steps, level_steps = np.zeros(N + 1, np.int64), np.zeros(N + 1, np.int64)
    fstring = getattr(tokenize, "FSTRING_START", None), getattr(tokenize, "FSTRING_END", None)
    open_fstrings, fstring_start = 0, 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            a, b = offset(*tok.start), offset(*tok.end)
            if tok.type == fstring[0]:  # Python 3.12+: an f-string's parts
                fstring_start = a if open_fstrings == 0 else fstring_start
                open_fstrings += 1
            elif tok.type == fstring[1]:
                open_fstrings -= 1
                if open_fstrings == 0:
                    in_string[fstring_start:b] = 1
            elif open_fstrings:
                continue  # inside an f-string: part of the literal, as 3.11 tokenizes it
            elif tok.type == tokenize.STRING:
                in_string[a:b] = 1
            elif tok.type == tokenize.COMMENT:
                in_comment[a:b] = 1
            elif tok.type == tokenize.OP and tok.string in "([{":
                depth_steps[a] += 1  # from the bracket itself on
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth_steps[a] -= 1
            elif tok.type in (tokenize.INDENT, tokenize.DEDENT):  # the whole line changes level
                level_steps[line_starts[tok.start[0] - 1]] += 1 if tok.type == tokenize.INDENT \
                    else -1
    except (tokenize.TokenError, SyntaxError) as e:
        raise ValueError(f"token_labels needs complete Python source; tokenize stopped: {e}") \
            from None
    newlines = np.flatnonzero(np.frombuffer(source.encode("utf-32-le"), np.uint32) == 10)
    line_of = np.searchsorted(newlines, np.arange(N))  # the line of each character
    column = np.arange(N) - np.r_[0, newlines + 1][line_of]
    return {"in_string": in_string, "in_comment": in_comment,
            "bracket_depth": np.cumsum(depth_steps)[:N], "column": column,
            "indent_level": np.cumsum(level_steps)[:N]}


# ---- bits per character, and the count baselines -----------------------------------------

def bits_per_char(log2probs):
    """The mean of -log2 p over the predictions: what a code built on the model would spend
    on each character."""
    lp = np.asarray(log2probs, dtype=np.float64)
    if lp.ndim != 1 or lp.size == 0 or not np.isfinite(lp).all() or (lp > 1e-12).any():
        raise ValueError("log2probs must be a non-empty 1-D array of finite log2 probabilities "
                         "(<= 0)")
    return float(-lp.mean())


def unigram_log2probs(train_ids, ids, V):
    """log2 p(ids[t]) for t = 1 .. N - 1 under character frequencies counted in train_ids,
    with add-one smoothing: p(k) = (count(k) + 1) / (N_train + V). The same positions as
    `CharLSTM.log2probs`."""
    V = _check_size("V", V)
    train_ids = _check_ids("train_ids", train_ids, V, ndim=1)
    ids = _check_ids("ids", ids, V, ndim=1)
    if len(ids) < 2:
        raise ValueError("ids needs at least 2 characters (the first one is not predicted)")
    # int32 ids: np.bincount casts to the platform's intp, 32 bits in Pyodide (wasm32), where
    # it refuses int64 ("Cannot cast ... according to the rule 'safe'"); V < 2**31
    p = (np.bincount(train_ids.astype(np.int32), minlength=V) + 1.0) / (len(train_ids) + V)
    return np.log2(p[ids[1:]])


def ngram_log2probs(train_ids, ids, V, order):
    """log2 p(ids[t] | the n - 1 characters before it) for t = 1 .. N - 1, an n-gram count
    model of `order` n trained on train_ids, interpolated as Witten and Bell (1991):

        p_n(c | h) = (C(h c) + U(h) p_{n-1}(c | h')) / (C(h) + U(h))

    h the n - 1 characters before c, h' the n - 2 last of them, C counts in train_ids,
    C(h) = sum_c C(h c), U(h) how many different characters followed h; p_1 is the
    add-one unigram (`unigram_log2probs`). A context never seen (C(h) = 0), or cut off by the
    start of the text, leaves p_{n-1}. No parameter to tune."""
    V, order = _check_size("V", V), _check_size("order", order)
    train_ids = _check_ids("train_ids", train_ids, V, ndim=1)
    ids = _check_ids("ids", ids, V, ndim=1)
    if V ** order >= 2**62:
        raise ValueError(f"order {order} with {V} characters needs keys beyond int64: "
                         f"use order <= {int(62 * math.log(2) / math.log(V))}")
    p = 2.0 ** unigram_log2probs(train_ids, ids, V)  # p_1 at positions 1 .. N - 1
    t = np.arange(1, len(ids))  # the positions predicted
    tables = _ngram_counts(train_ids, order, V)
    for n in range(2, order + 1):
        if n not in tables:  # train_ids is shorter than n
            break
        m = n - 1  # context length
        grams, counts = tables[n]  # the n-grams of train_ids as integers, sorted; C(h c)
        contexts, first, followers = np.unique(grams // V, return_index=True,
                                               return_counts=True)
        context_counts = np.add.reduceat(counts, first)  # C(h)
        ok = t >= m  # positions with a full context
        keys = np.zeros(len(t), np.int64)
        if ok.any():  # (a text shorter than n has none)
            keys[ok] = _keys(ids, n, V)[t[ok] - m]  # the n-gram ending at t
        C_hc = _lookup(grams, counts, keys)
        j = np.searchsorted(contexts, keys // V)
        seen = ok & (j < len(contexts)) & (contexts[np.minimum(j, len(contexts) - 1)] == keys // V)
        C_h = np.where(seen, context_counts[np.minimum(j, len(contexts) - 1)], 0)
        U_h = np.where(seen, followers[np.minimum(j, len(contexts) - 1)], 0)
        C_hc = np.where(ok, C_hc, 0)
        p = np.where(seen, (C_hc + U_h * p) / np.maximum(C_h + U_h, 1), p)
    return np.log2(p)


def _ngram_counts(ids, order, V):
    """{n: (grams, counts)} for n = 2 .. order: the distinct n-grams of ids as `_keys`
    integers, sorted, and how often each occurs. One sort, of the longest: each shorter
    n-gram starts a longer one (the key // V of the longer one), except the last of the text."""
    top = min(order, len(ids))
    if top < 2:
        return {}
    grams, counts = np.unique(_keys(ids, top, V), return_counts=True)
    tables = {top: (grams, counts)}
    for n in range(top - 1, 1, -1):
        grams, first = np.unique(grams // V, return_index=True)  # the (n+1)-grams' first n
        counts = np.add.reduceat(counts, first)
        last = _keys(ids[-n:], n, V)[0]  # the text's last n-gram starts no (n+1)-gram
        j = int(np.searchsorted(grams, last))
        if j < len(grams) and grams[j] == last:
            counts[j] += 1
        else:
            grams, counts = np.insert(grams, j, last), np.insert(counts, j, 1)
        tables[n] = grams, counts
    return tables


def _keys(ids, n, V):
    """Every n-gram of ids as one integer, the characters as digits base V (last one lowest):
    key[k] is the n-gram ids[k : k + n]."""
    keys = np.zeros(len(ids) - n + 1, np.int64)
    for j in range(n):
        keys = keys * V + ids[j:len(ids) - n + 1 + j]
    return keys


def _lookup(sorted_keys, values, keys):
    j = np.searchsorted(sorted_keys, keys)
    jj = np.minimum(j, len(sorted_keys) - 1)
    return np.where((j < len(sorted_keys)) & (sorted_keys[jj] == keys), values[jj], 0)


# ---- which unit tracks which label ------------------------------------------------------

def correlations(values, label):
    """Pearson's r of each unit's values (N, H) with a label (N,), (H,); a constant unit has
    r = 0 (it tracks nothing). The label must vary."""
    values = np.asarray(values, dtype=np.float64)
    label = np.asarray(label, dtype=np.float64)
    if values.ndim != 2 or label.shape != (values.shape[0],):
        raise ValueError(f"values must be (N, H) and label (N,); got {values.shape} and "
                         f"{label.shape}")
    if not (np.isfinite(values).all() and np.isfinite(label).all()):
        raise ValueError("values and label must be finite")
    dl = label - label.mean()
    if not dl.any():
        raise ValueError("the label is constant on this text: no unit can track it")
    dv = values - values.mean(axis=0)
    norm = np.sqrt((dv**2).sum(axis=0) * (dl**2).sum())
    varies = (values.max(axis=0) > values.min(axis=0)) & (norm > 0)
    r = (dl @ dv) / np.where(varies, norm, 1.0)
    return np.where(varies, np.clip(r, -1.0, 1.0), 0.0)


def rank_units(values, label):
    """(units, r): all units ordered by |r| with the label, strongest first, and their r."""
    r = correlations(values, label)
    order = np.argsort(-np.abs(r), kind="stable")
    return order, r[order]


# ---- writing: sampling with a temperature --------------------------------------------------

def sample(model, prime, length, temperature=1.0, rng=0):
    """`length` characters written by the model after reading `prime` (a non-empty str):
    each next character drawn from softmax(y_t / temperature) by `rng` (a Generator or an
    int seed). Low temperatures pick the likeliest characters; 1 samples the model as it is."""
    if not isinstance(model, CharLSTM):
        raise TypeError(f"model must be an lstm_text.CharLSTM; got {type(model).__name__}")
    if not isinstance(prime, str) or not prime:
        raise ValueError("prime must be a non-empty str (the text the model reads first)")
    length = _check_size("length", length)
    temperature = _check_number("temperature", temperature, "a positive number (0.1 to 2 "
                                "are useful)", lambda v: v >= 1e-3)
    rng = _as_rng(rng)
    ids = model.vocab.encode(prime)
    _, h, c = model.lstm.forward(model.one_hot(ids[:, None]))
    Wy, by = model.Wy, model.by[:, 0]
    Wh, Wx, b = _step_weights(model.lstm)
    out = []
    for _ in range(length):
        y = (Wy @ h[:, 0] + by) / temperature  # (V,)
        p = np.exp(y - y.max())
        k = int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))
        k = min(k, len(p) - 1)
        out.append(k)
        h, c = _one_step(Wh, Wx[:, k], b, h, c)
    return model.vocab.decode(np.array(out))


def _step_weights(lstm):
    """The stacked weights of one step, rows f, i, g, o: W_h (4H, H), W_x (4H, V), b (4H, 1)."""
    H = lstm.hidden_size
    W = np.vstack([lstm.Wf, lstm.Wi, lstm.Wc, lstm.Wo])
    b = np.vstack([lstm.bf, lstm.bi, lstm.bc, lstm.bo])
    return W[:, :H], W[:, H:], b


def _one_step(Wh, wx, b, h, c):
    """lstm_core's equations for one one-hot input (column wx of W_x), with numpy's
    functions: the same step as LSTM.step, ~10x cheaper per call for a 1-character batch."""
    H = len(h)
    a = Wh @ h + wx[:, None] + b  # (4H, 1)
    f, i = 0.5 * (1 + np.tanh(0.5 * a[:H])), 0.5 * (1 + np.tanh(0.5 * a[H:2 * H]))
    g, o = np.tanh(a[2 * H:3 * H]), 0.5 * (1 + np.tanh(0.5 * a[3 * H:]))
    c = f * c + i * g
    return o * np.tanh(c), c


# ---- the trained model's file ------------------------------------------------------------

MODEL_FILE = "char_lstm.npz"


def save_char_model(path, model, **metadata):
    """Write the model in data/char_lstm.npz's layout (lstm_data's spec): the LSTM's Wf, Wi,
    Wc, Wo (H, H + V) and bf, bi, bc, bo (H, 1), Wy (V, H), by (V, 1), all float32, vocab as
    uint32 code points, and the training metadata (numbers, arrays, strings)."""
    arrays = {k: np.asarray(v, np.float32) for k, v in model.parameters().items()}
    arrays["vocab"] = model.vocab.codes
    for key, value in metadata.items():
        value = np.asarray(value)
        if value.dtype.kind not in "iufU":
            raise TypeError(f"metadata {key!r} must be numbers or text; got {value.dtype}")
        arrays[key] = value
    np.savez_compressed(path, **arrays)


def load_char_model(name=MODEL_FILE, folder=DATA):
    """(model, data): the trained CharLSTM of data/char_lstm.npz, read by lstm_data's checked
    loader (allow_pickle=False), and the file's arrays (the training metadata)."""
    from lstm_data import SPECS, LessonDataError, load_data

    data = load_data(name, folder)
    vocab = Vocab.from_codes(data["vocab"])
    H = data["Wf"].shape[0]
    if data["Wf"].shape[1] != H + len(vocab):
        raise LessonDataError(f"{Path(folder) / name}: Wf is {data['Wf'].shape}, expected "
                              f"(H, H + V) = ({H}, {H + len(vocab)}) for {len(vocab)} "
                              f"characters.\nMake it again with the README's command: "
                              f"{SPECS[name]['regenerate']}")
    model = CharLSTM(vocab, H)
    model.set_parameters({k: data[k] for k in model.parameters()})
    return model, data
