"""How fast is one training step of lesson 9's character-level LSTM? numpy against PyTorch.

    python benchmarks/bench_char.py            # about two minutes
    python benchmarks/bench_char.py --quick    # a short, noisier run
    python benchmarks/bench_char.py --read     # reading only: lesson 9's log2probs and run

One training step = forward over a segment of one-hot characters (T steps, B streams, carried
states h0 and c0), the softmax read-out's cross-entropy, and the gradient of every parameter;
the optimizer update is left out on both sides. Contenders, timed in one process, interleaved
(one sample of each in turn, so that load from other processes hits all of them alike), the
median of many samples:

- numpy / numpy32: `lstm_text.CharLSTM.loss_and_grads` (LSTM.trace, lstm_train's BPTT and the
  read-out's gradients) in float64 and in float32 (the training script's choice);
- torch64 / torch32: `torch.nn.LSTM` + `torch.nn.Linear` + `cross_entropy`, `loss.backward()`
  (autograd on the CPU), the same weights and the same one-hot input tensor.

With --read, the trained model (data/char_lstm.npz) reads held-out text without gradients,
microseconds per character: `CharLSTM.read` (W_x x_t as a column lookup, what log2probs and
run use), `LSTM.forward` on one-hot inputs (the product W_x x_t), and `LSTM.trace`.

Before timing, the numpy gradients are checked against torch64's. Everything runs with one
thread (numpy's BLAS and torch's), as scripts/train_char_lstm.py trains, then with the
default threads.
"""

import argparse
import math
import os
import sys

import numpy as np
import timing
from threadpoolctl import threadpool_limits
from timing import measure

from lstm_text import CharLSTM, Vocab, load_char_model, read_corpus

try:
    import torch
except ImportError:  # the benchmark still runs, without the torch columns
    torch = None

V = 96  # the corpus' characters
SHAPES = [(32, 50, 128), (32, 100, 128), (8, 100, 128)]  # (streams B, segment T, hidden H)
TARGET = (32, 50, 128)  # the training script's


def contenders(shape):
    B, T, H = shape
    rng = np.random.default_rng(0)
    vocab = Vocab([chr(10)] + [chr(32 + k) for k in range(V - 1)])  # newline, then " " to "~"
    model = CharLSTM(vocab, H, rng=rng)
    inputs, targets = rng.integers(0, V, (T, B)), rng.integers(0, V, (T, B))
    h0, c0 = rng.normal(0, 0.3, (H, B)), rng.normal(0, 0.3, (H, B))
    runs = {"numpy": lambda: model.loss_and_grads(inputs, targets, h0, c0),
            "numpy32": lambda: model.loss_and_grads(inputs, targets, h0, c0, dtype=np.float32)}
    if torch is None:
        return runs
    _, grads, _ = model.loss_and_grads(inputs, targets, h0, c0)
    sd = {k: torch.from_numpy(v) for k, v in model.lstm.to_torch().items()}
    x = model.one_hot(inputs)  # (T, B, V)
    for label, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
        lstm = torch.nn.LSTM(V, H).to(dtype)
        lstm.load_state_dict(sd)
        head = torch.nn.Linear(H, V).to(dtype)
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(model.Wy))
            head.bias.copy_(torch.from_numpy(model.by[:, 0]))
        params = list(lstm.parameters()) + list(head.parameters())
        xt = torch.from_numpy(x).to(dtype)
        state = tuple(torch.from_numpy(s.T.copy()).to(dtype)[None] for s in (h0, c0))
        yt = torch.from_numpy(targets.reshape(-1))

        def step(lstm=lstm, head=head, params=params, xt=xt, state=state, yt=yt):
            for p in params:
                p.grad = None
            out, _ = lstm(xt, state)  # (T, B, H)
            loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, V), yt)
            loss.backward()
            return loss

        step()
        if label == "torch64":  # the contenders must agree before they race
            dW = torch.cat([lstm.weight_hh_l0.grad, lstm.weight_ih_l0.grad], 1).numpy()
            np.testing.assert_allclose(dW[H:2 * H], grads["Wf"], rtol=1e-7, atol=1e-12)
            np.testing.assert_allclose(head.weight.grad.numpy(), grads["Wy"], rtol=1e-7,
                                       atol=1e-12)
        runs[label] = step
    return runs


def reading(samples, min_sample_s, n=2048):
    """The trained model reads n held-out characters from a zero state, one BLAS thread."""
    model, _ = load_char_model()
    ids = model.vocab.encode(read_corpus("heldout"))[:n, None]  # (T, 1): one stream
    x = model.one_hot(ids)  # (T, 1, V)
    outputs, _, c = model.read(ids)  # the contenders must agree before they race
    ref_outputs, _, ref_c = model.lstm.forward(x)
    np.testing.assert_allclose(outputs, ref_outputs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c, ref_c, rtol=1e-12, atol=1e-15)
    runs = {"CharLSTM.read": lambda: model.read(ids),
            "LSTM.forward(one_hot)": lambda: model.lstm.forward(model.one_hot(ids)),
            "LSTM.trace(one_hot)": lambda: model.lstm.trace(model.one_hot(ids))}
    with threadpool_limits(1):
        load = os.getloadavg()[0] if sys.platform != "emscripten" else math.nan  # Pyodide: 0.1
        times = measure(runs, samples, min_sample_s)
    print(f"\n## the trained model reads {n} held-out characters (H = {model.hidden_size}, "
          f"V = {len(model.vocab)}), 1 thread; load average {load:.1f} at the start")
    for name, t in times.items():
        print(f"{name:>22}  {t / n * 1e6:7.1f} us per character")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (noisier)")
    parser.add_argument("--read", action="store_true", help="reading only (no training step)")
    args = parser.parse_args()
    samples, min_sample_s = (5, 0.2) if args.quick else (15, 0.3)
    if args.read:
        return reading(samples, min_sample_s)
    results = {}
    for threads in ("1 thread", "default threads"):
        with timing.threads(1 if threads == "1 thread" else None):
            load = os.getloadavg()[0]
            rows = {shape: measure(contenders(shape), samples, min_sample_s) for shape in SHAPES}
        results[threads] = rows
        print(f"\n## {threads}: median ms per training step (forward, cross-entropy, backward); "
              f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
        print(f"{'(B, T, H)':>15} {'numpy':>9} {'numpy32':>9} {'torch64':>9} {'torch32':>9}"
              f"  {'numpy/t64':>9} {'np32/t32':>9}  {'np32 chars/s':>12}")
        for shape, r in rows.items():
            t64, t32 = r.get("torch64", math.nan), r.get("torch32", math.nan)
            print(f"{str(shape):>15} {r['numpy'] * 1e3:9.1f} {r['numpy32'] * 1e3:9.1f}"
                  f" {t64 * 1e3:9.1f} {t32 * 1e3:9.1f}  {r['numpy'] / t64:9.2f}"
                  f" {r['numpy32'] / t32:9.2f}  {shape[0] * shape[1] / r['numpy32']:12.0f}")
    if torch is None:
        print("\ntorch is not installed: no ratios (pip install torch==2.13.0)")


if __name__ == "__main__":
    main()
