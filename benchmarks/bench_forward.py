"""How fast is lstm_core's forward pass? Prints a table of medians and the issue-2 targets.

    python benchmarks/bench_forward.py           # the full run (a few minutes)
    python benchmarks/bench_forward.py --quick   # a short, noisier run
    python benchmarks/bench_forward.py --against a2daa38   # fast path now vs at a commit

Contenders, timed in one process, interleaved (one sample of each in turn, so that load
from other processes hits all of them alike), median of many samples:

- readable: the readable path as a learner runs it, a plain loop of `LSTM.step` (four
  matmuls per step, one per gate; each call checks its inputs and the eight weights);
- inner:    the same four-matmul loop without the per-call checks: the loop inside
  `LSTM.trace` (`_step`), keeping only the last state instead of the record (the record
  of the largest shape alone would be 260 MB). At large sizes both paths do the same
  floating-point work, so this is the harder one to beat;
- fast:     `LSTM.forward` (one input projection for all steps, one stacked matmul per step);
- torch64 / torch32: `torch.nn.LSTM` in float64 and float32 under `torch.no_grad()`,
  when torch is importable (inputs already tensors; the same weights via `to_torch`);
- gru / tgru64: `lstm_core.GRU.forward` (three gates, the same fast-path design) and
  `torch.nn.GRU` in float64, on the same shapes;
- floor:    the per-step floor of this machine: a loop of T steps that each make one
  tiny product and four tiny in-place ufuncs on the step's shapes, in their cheapest
  call forms: `np.dot(W, h, a)` with W (4H, H) and h (H, B), then `a += p[t]`,
  `np.tanh(a, a)`, `h *= gate`, `h += update` -- a product, a bias, a nonlinearity and a
  state update, the least any recurrent step costs in numpy. An LSTM step needs nine
  ufuncs by its equations (see forward), so the script also prints what one tiny ufunc
  costs here.

Everything runs twice: with the default BLAS / torch threads, then with one thread
(threadpoolctl and torch.set_num_threads(1)). Timings on a shared machine are noisy;
the medians are what to quote.
"""

import argparse
import importlib.util
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from timing import measure

from lstm_core import GRU, LSTM

try:
    import torch
except ImportError:  # the benchmark still runs, without the torch columns
    torch = None

SHAPES = [  # (batch, T, input, hidden)
    (1, 3, 1, 1),
    (1, 100, 1, 4),  # a teaching size
    (1, 100, 8, 32),  # a teaching size
    (32, 200, 32, 128),
    (64, 200, 128, 256),
]
TEACHING = [(1, 100, 1, 4), (1, 100, 8, 32)]


def readable(lstm, x, h0, c0):
    """What a learner writes: a loop of the public `step` (four matmuls per step)."""
    h, c = h0, c0
    for x_t in x:  # x_t: (B, I)
        s = lstm.step(x_t, h, c)
        h, c = s.h, s.c
    return h, c


def inner(lstm, x, h0, c0):
    """The loop of `LSTM.trace` (four matmuls per step) without keeping the record."""
    params = lstm._params(x.dtype)
    h, c = h0, c0
    for x_t in x:  # x_t: (B, I)
        s = lstm._step(x_t.T, h, c, params)
        h, c = s.h, s.c
    return h, c


def make_floor(B, T, H):
    """The per-step floor: one tiny product and four tiny in-place ufuncs per step."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4 * H, H)) / math.sqrt(H)  # (4H, H)
    p = rng.normal(size=(T, 4 * H, B))  # what the input projection would give
    h, a = np.zeros((H, B)), np.empty((4 * H, B))

    def floor(h=h, a=a, gate=a[:H], update=a[H:2 * H]):
        for t in range(T):
            np.dot(W, h, a)
            a += p[t]
            np.tanh(a, a)
            h *= gate
            h += update

    return floor


def one_ufunc_cost(H, B):
    a, b = np.ones((B, 4 * H)), np.ones((B, 4 * H))
    n = 20000
    t = time.perf_counter()
    for _ in range(n):
        a *= b
    return (time.perf_counter() - t) / n


def contenders(shape):
    B, T, I, H = shape
    rng = np.random.default_rng(1)
    lstm = LSTM(I, H)
    for name in ("Wf", "Wi", "Wc", "Wo"):
        setattr(lstm, name, rng.normal(size=(H, H + I)) / math.sqrt(H + I))
    for name in ("bf", "bi", "bc", "bo"):
        setattr(lstm, name, rng.normal(size=(H, 1)) * 0.1)
    x = rng.normal(size=(T, B, I))
    h0, c0 = rng.normal(size=(H, B)) * 0.5, rng.normal(size=(H, B))
    runs = {
        "readable": lambda: readable(lstm, x, h0, c0),
        "inner": lambda: inner(lstm, x, h0, c0),
        "fast": lambda: lstm.forward(x, h0, c0),
    }
    # the contenders must agree before they race
    _, h, c = lstm.forward(x, h0, c0)
    np.testing.assert_allclose(readable(lstm, x, h0, c0)[0], h, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(inner(lstm, x, h0, c0)[0], h, rtol=1e-9, atol=1e-10)
    if torch is not None:
        sd = {k: torch.from_numpy(v) for k, v in lstm.to_torch().items()}
        for label, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
            module = torch.nn.LSTM(I, H).to(dtype)
            module.load_state_dict(sd)
            xt = torch.from_numpy(x).to(dtype)
            state = (torch.from_numpy(h0.T[None].copy()).to(dtype),
                     torch.from_numpy(c0.T[None].copy()).to(dtype))

            def run(module=module, xt=xt, state=state):
                with torch.no_grad():
                    return module(xt, state)

            out = run()[1][0][0].double().numpy().T
            np.testing.assert_allclose(out, h, rtol=0, atol=1e-10 if label == "torch64" else 1e-4)
            runs[label] = run
    gru = GRU(I, H)
    for name in ("Wr", "Wz", "Wn"):
        setattr(gru, name, rng.normal(size=(H, H + I)) / math.sqrt(H + I))
    runs["gru"] = lambda: gru.forward(x, h0)
    if torch is not None:
        tgru = torch.nn.GRU(I, H).double()
        tgru.load_state_dict({k: torch.from_numpy(v) for k, v in gru.to_torch().items()})
        xt, ht = torch.from_numpy(x), torch.from_numpy(h0.T[None].copy())

        def run_gru(tgru=tgru, xt=xt, ht=ht):
            with torch.no_grad():
                return tgru(xt, ht)

        np.testing.assert_allclose(run_gru()[1][0].numpy().T, gru.forward(x, h0)[1],
                                   rtol=0, atol=1e-10)
        runs["tgru64"] = run_gru
    runs["floor"] = make_floor(B, T, H)
    return runs


def lstm_at(rev):
    """The LSTM class of lstm_core.py as it was at git revision `rev`."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{rev}:lstm_core.py"], cwd=root, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "lstm_core_then.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("lstm_core_then", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LSTM


def against(rev, samples, min_sample_s):
    """`LSTM.forward` now against the same method at `rev`, interleaved, same weights."""
    Then = lstm_at(rev)
    print(f"\n## LSTM.forward now vs at {rev}: median ms per call, default threads")
    print(f"{'(B, T, I, H)':>20} {'now':>9} {'then':>9}  now/then")
    for shape in SHAPES:
        B, T, I, H = shape
        rng = np.random.default_rng(1)
        now, then = LSTM(I, H), Then(I, H)
        for name in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"):
            value = rng.normal(size=(H, H + I) if name[0] == "W" else (H, 1)) * 0.3
            setattr(now, name, value)
            setattr(then, name, value)
        x = rng.normal(size=(T, B, I))
        np.testing.assert_allclose(now.forward(x)[0], then.forward(x)[0], rtol=0, atol=1e-12)
        big = T * B * H >= 1_000_000
        r = measure({"now": lambda now=now, x=x: now.forward(x),
                     "then": lambda then=then, x=x: then.forward(x)},
                    max(3, samples // 3) if big else samples, min_sample_s)
        print(f"{str(shape):>20} {fmt(r['now'])} {fmt(r['then'])}  {r['now'] / r['then']:8.2f}")


def fmt(seconds):
    return f"{seconds * 1e3:9.3f}" if seconds >= 1e-3 else f"{seconds * 1e3:9.4f}"


def table(results, threads):
    cols = ["readable", "inner", "fast", "torch64", "torch32", "gru", "tgru64", "floor"]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\n## {threads}: median ms per call (T steps), and ratios; load average {load}")
    print(f"{'(B, T, I, H)':>20} " + " ".join(f"{c:>9}" for c in cols)
          + "  fast/step floor/step  fast/floor  fast/t64  read/fast  inner/fast")
    for shape, r in results.items():
        T = shape[1]
        cells = " ".join(fmt(r[c]) if c in r else f"{'-':>9}" for c in cols)
        t64 = f"{r['fast'] / r['torch64']:8.2f}" if "torch64" in r else f"{'-':>8}"
        per_step = f"{r['fast'] / T * 1e6:7.2f}us {r['floor'] / T * 1e6:8.2f}us"
        print(f"{str(shape):>20} {cells}  {per_step}  {r['fast'] / r['floor']:9.2f}  {t64}"
              f"  {r['readable'] / r['fast']:9.2f}  {r['inner'] / r['fast']:10.2f}")


def targets(results):
    """The issue-2 targets, each with its measured figure."""
    checks = []
    for shape in TEACHING:
        r = results[shape]
        checks.append((f"{shape} fast step <= 1.5x floor step", r["fast"] / r["floor"], 1.5))
        if "torch64" in r:
            checks.append((f"{shape} fast >= 2x faster than torch64",
                           r["fast"] / r["torch64"], 0.5))
    for shape in SHAPES:
        r = results[shape]
        if "torch64" in r and shape[0] > 1 and shape != SHAPES[-1]:
            checks.append((f"{shape} fast <= torch64", r["fast"] / r["torch64"], 1.0))
        if shape[0] > 1:
            checks.append((f"{shape} fast >= 4x faster than readable (step loop)",
                           r["fast"] / r["readable"], 0.25))
            checks.append((f"{shape} fast >= 4x faster than inner (unchecked _step loop)",
                           r["fast"] / r["inner"], 0.25))
    if "torch64" in results[SHAPES[-1]]:
        r = results[SHAPES[-1]]
        checks.append((f"{SHAPES[-1]} fast within 1.2x of torch64", r["fast"] / r["torch64"], 1.2))
    for label, value, limit in checks:
        print(f"  {'met ' if value <= limit else 'MISSED'}  {label}: ratio {value:.2f} "
              f"(target <= {limit})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples, noisier")
    parser.add_argument("--against", metavar="REV",
                        help="only compare LSTM.forward with lstm_core.py at git revision REV")
    args = parser.parse_args()
    samples, min_sample_s = (5, 0.002) if args.quick else (21, 0.01)
    if args.against:
        print(f"numpy {np.__version__}; {samples} samples each, interleaved; medians; "
              f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
        return against(args.against, samples, min_sample_s)
    print(f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}; "
          f"{samples} samples per contender, interleaved; medians")
    default_threads = torch.get_num_threads() if torch else None
    for threads in ("default threads", "1 thread"):
        results = {}
        with threadpool_limits(1 if threads == "1 thread" else None):
            if torch:
                torch.set_num_threads(1 if threads == "1 thread" else default_threads)
            for shape in SHAPES:
                big = shape[1] * shape[0] * shape[3] >= 1_000_000
                results[shape] = measure(contenders(shape), max(3, samples // 3) if big
                                         else samples, min_sample_s)
            B, H = 1, 32
            print(f"\none tiny ufunc here ({B}, {4 * H}): {one_ufunc_cost(H, B) * 1e6:.2f} us")
        table(results, threads + (f" (torch {default_threads})" if torch and
                                  threads == "default threads" else ""))
        targets(results)


if __name__ == "__main__":
    main()
