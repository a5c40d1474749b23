"""How fast is one training step of lstm_train? Prints medians and the ratio to PyTorch.

    python benchmarks/bench_train.py            # about a minute
    python benchmarks/bench_train.py --quick    # a short, noisier run

One training step = forward, mean squared error of a linear read-out of h_T, and the
gradient of every parameter (backward); the optimizer update is left out on both sides.
Contenders, timed in one process, interleaved (one sample of each in turn, so that load
from other processes hits all of them alike), median of many samples:

- numpy:    `Regressor(LSTM).loss_and_grads(x, y)`: `LSTM.trace` for the forward, then
            `lstm_backward` (BPTT) and the read-out's gradients, in float64;
- numpy32:  the same with float32 inputs (lstm_core and lstm_train then compute in float32);
- torch64 / torch32: `torch.nn.LSTM` + the same read-out, `loss.backward()` (autograd on
            the CPU), float64 and float32, the same weights; inputs already tensors.

Before timing, the numpy gradients are checked against torch64's. Everything runs twice:
with the default BLAS / torch threads, then with one thread. The issue-4 target is the
shape (B, T, H) = (64, 100, 32): numpy within 3x of PyTorch.
"""

import argparse
import math
import os

import numpy as np
import timing
from timing import measure

from lstm_core import LSTM
from lstm_train import Regressor, init_for_training

try:
    import torch
except ImportError:  # the benchmark still runs, without the torch columns
    torch = None

SHAPES = [  # (batch, T, input, hidden)
    (64, 100, 2, 32),  # the target shape, with the adding problem's 2 inputs
    (64, 100, 32, 32),  # the same with 32 inputs
    (64, 100, 2, 16),  # lesson 6's model
]
TARGET = (64, 100, 2, 32)


def contenders(shape):
    B, T, I, H = shape
    rng = np.random.default_rng(0)
    model = Regressor(init_for_training(LSTM(I, H), rng), 1, rng=rng)
    x = rng.normal(size=(T, B, I))
    y = rng.normal(size=(1, B))
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    runs = {"numpy": lambda: model.loss_and_grads(x, y),
            "numpy32": lambda: model.loss_and_grads(x32, y32)}  # float32 in: float32 math
    if torch is None:
        return runs
    _, grads = model.loss_and_grads(x, y)
    sd = {k: torch.from_numpy(v) for k, v in model.cell.to_torch().items()}
    for label, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
        lstm = torch.nn.LSTM(I, H).to(dtype)
        lstm.load_state_dict(sd)
        head = torch.nn.Linear(H, 1).to(dtype)
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(model.Wy))
            head.bias.copy_(torch.from_numpy(model.by[:, 0]))
        params = list(lstm.parameters()) + list(head.parameters())
        xt, yt = torch.from_numpy(x).to(dtype), torch.from_numpy(y.T.copy()).to(dtype)

        def step(lstm=lstm, head=head, params=params, xt=xt, yt=yt):
            for p in params:
                p.grad = None
            out, _ = lstm(xt)  # (T, B, H)
            loss = torch.nn.functional.mse_loss(head(out[-1]), yt)
            loss.backward()
            return loss

        step()
        if label == "torch64":  # the contenders must agree before they race
            dW = torch.cat([lstm.weight_hh_l0.grad, lstm.weight_ih_l0.grad], 1).numpy()
            np.testing.assert_allclose(dW[H:2 * H], grads["Wf"], rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(head.weight.grad.numpy(), grads["Wy"], rtol=1e-8)
        runs[label] = step
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (noisier)")
    args = parser.parse_args()
    samples, min_sample_s = (7, 0.05) if args.quick else (25, 0.1)
    results = {}
    for threads in ("default threads", "1 thread"):
        with timing.threads(1 if threads == "1 thread" else None):
            rows = {shape: measure(contenders(shape), samples, min_sample_s) for shape in SHAPES}
        results[threads] = rows
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"\n## {threads}: median ms per training step (forward + backward); "
              f"load average {load}")
        print(f"{'(B, T, I, H)':>18} {'numpy':>9} {'numpy32':>9} {'torch64':>9} {'torch32':>9}"
              f"  {'numpy/t64':>9} {'numpy/t32':>9} {'np32/t32':>9}")
        for shape, r in rows.items():
            t64 = r.get("torch64", math.nan)
            t32 = r.get("torch32", math.nan)
            print(f"{str(shape):>18} {r['numpy'] * 1e3:9.2f} {r['numpy32'] * 1e3:9.2f}"
                  f" {t64 * 1e3:9.2f} {t32 * 1e3:9.2f}"
                  f"  {r['numpy'] / t64:9.2f} {r['numpy'] / t32:9.2f}"
                  f" {r['numpy32'] / t32:9.2f}")
    if torch is None:
        print("\ntorch is not installed: no ratios (pip install torch==2.13.0)")
        return
    print(f"\n## target: {TARGET} numpy within 3x of PyTorch autograd")
    for threads, rows in results.items():
        r = rows[TARGET]
        for ours, label in (("numpy", "torch64"), ("numpy", "torch32"), ("numpy32", "torch32")):
            ratio = r[ours] / r[label]
            print(f"{threads:>16}: {ours}/{label} = {ratio:5.2f}  "
                  f"{'met' if ratio <= 3 else 'NOT met'} (<= 3)")


if __name__ == "__main__":
    main()
