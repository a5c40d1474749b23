"""Interleaved medians, shared by the benchmark scripts (run them from any directory:
`python benchmarks/bench_*.py` puts this folder on the import path)."""

import contextlib
import math
import statistics
import sys
import time

from threadpoolctl import threadpool_limits


def measure(runs, samples, min_sample_s):
    """Median seconds per call of each run in `runs` ({name: callable}), sampled in turn:
    one sample of each, the order rotated every round, so that load from other processes
    hits all of them alike."""
    number = {}
    for name, run in runs.items():  # calls per sample, so that a sample is not too short
        run()  # warm up (workspaces, caches)
        t = time.perf_counter()
        run()
        number[name] = max(1, math.ceil(min_sample_s / max(time.perf_counter() - t, 1e-7)))
    times = {name: [] for name in runs}
    names = list(runs)
    for k in range(samples):
        for name in names[k % len(names):] + names[:k % len(names)]:  # rotate the order
            n, run = number[name], runs[name]
            t = time.perf_counter()
            for _ in range(n):
                run()
            times[name].append((time.perf_counter() - t) / n)
    return {name: statistics.median(v) for name, v in times.items()}


@contextlib.contextmanager
def threads(limit):
    """numpy's BLAS, and torch if the script imported it, limited to `limit` threads inside
    the block (None: their defaults); torch's own setting is put back after it."""
    torch = sys.modules.get("torch")
    with threadpool_limits(limit):
        old = torch.get_num_threads() if torch is not None else None
        if torch is not None and limit:
            torch.set_num_threads(limit)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(old)
