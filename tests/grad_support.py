"""Gradient-check helpers shared by the training tests."""

import numpy as np


def rel_error(a, b):
    """|a - b| / (|a| + |b|), the norm-wise relative error (0 when both are 0)."""
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def numerical_grads(f, params, eps=1e-6):
    """Central differences (f(p + eps) - f(p - eps)) / 2 eps, entry by entry."""
    out = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = f()
            p[idx] = old - eps
            down = f()
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        out[name] = g
    return out
