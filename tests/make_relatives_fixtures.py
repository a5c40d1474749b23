"""Make tests/fixtures/relatives_reference.npz: torch.nn.GRU's and a stacked torch.nn.LSTM's
numbers for the parity tests of lstm_core.GRU and lstm_core.LSTMStack.

    python tests/make_relatives_fixtures.py      # from the repository root, with torch

Seeded, float64, PyTorch's layout (time, batch, features). tests/test_relatives.py loads it
with allow_pickle=False and checks that its case list equals CASES below.
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "fixtures" / "relatives_reference.npz"

CASES = np.array([
    # kind (0 GRU, 1 LSTM stack), layers, T, B, I, H, bias, init, scale
    [0, 1,   1, 1, 1, 1, 1, 1, 1],
    [0, 1,  20, 3, 4, 5, 1, 1, 1],
    [0, 1,  50, 2, 2, 8, 0, 1, 1],  # bias=False
    [0, 1, 100, 1, 3, 4, 1, 0, 3],  # large weights, zero state
    [1, 2,  30, 2, 3, 4, 1, 1, 1],
    [1, 3,  15, 4, 5, 6, 1, 1, 2],
    [1, 2,  60, 1, 1, 3, 0, 0, 1],  # bias=False, zero states
], dtype=np.int64)


def main():
    import torch

    torch.manual_seed(3)
    rng = np.random.default_rng(4)
    arrays = {"cases": CASES}
    for k, (kind, L, T, B, I, H, bias, init, scale) in enumerate(CASES.tolist()):
        Module = torch.nn.GRU if kind == 0 else torch.nn.LSTM
        module = Module(I, H, num_layers=L, bias=bool(bias)).double()
        with torch.no_grad():
            for p in module.parameters():
                p.mul_(scale)
        x = rng.normal(0.0, 2.0, size=(T, B, I))
        h0 = rng.normal(0.0, 0.8, size=(L, B, H)) if init else np.zeros((L, B, H))
        c0 = rng.normal(0.0, 2.0, size=(L, B, H)) if init else np.zeros((L, B, H))
        with torch.no_grad():
            if kind == 0:
                out, h_n = module(torch.from_numpy(x), torch.from_numpy(h0))
                c_n = torch.zeros(0)
            else:
                out, (h_n, c_n) = module(torch.from_numpy(x),
                                         (torch.from_numpy(h0), torch.from_numpy(c0)))
        case = {name: t.detach().numpy() for name, t in module.state_dict().items()}
        case.update(x=x, h0=h0, c0=c0, outputs=out.numpy(), h_n=h_n.numpy(), c_n=c_n.numpy())
        arrays.update({f"case{k}/{name}": value for name, value in case.items()})
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
