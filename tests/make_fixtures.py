"""Make tests/fixtures/lstm_core_reference.npz: torch.nn.LSTM's numbers for the parity test.

Run from the repository root, with torch installed (the CPU build is enough):

    python tests/make_fixtures.py

It is seeded, so a rerun writes the same numbers. Each case is a single-layer
torch.nn.LSTM in float64 with its weights, an input, initial states and what PyTorch
returned, all in PyTorch's layout (time, batch, features). tests/test_lstm_core.py
loads the file with allow_pickle=False and compares lstm_core against it without
importing torch; it also checks that the file's case list equals CASES below, so
changing CASES without rerunning this script fails the test.
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "fixtures" / "lstm_core_reference.npz"

# (T, B, I, H, bias, initial_states, weight_scale, batched). batched=0 means the test feeds
# x as (T, I) and states as (H, 1), the problem statement's unbatched call.
CASES = np.array([
    # T,  B, I,  H, bias, init, scale, batched
    [1,   1, 1,  1, 1,    1,    1,     0],
    [3,   1, 1,  1, 1,    0,    1,     0],  # the problem statement's Example 1 shapes
    [7,   1, 3,  2, 1,    1,    1,     1],
    [25,  3, 4,  5, 0,    1,    1,     1],  # bias=False
    [50,  4, 5,  8, 1,    1,    1,     1],
    [64,  2, 1,  3, 1,    1,    4,     1],  # large weights: saturated gates
    [100, 1, 8, 16, 1,    1,    1,     0],  # a teaching size
    [120, 5, 2,  7, 1,    0,    1,     1],  # zero initial states
    [200, 2, 6,  4, 1,    1,    2,     1],
    [300, 2, 3,  4, 1,    1,    1,     1],
    [37,  6, 9, 11, 0,    0,    1,     1],
    [150, 1, 2,  2, 1,    1,    3,     0],
], dtype=np.int64)


def main():
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(2)
    arrays = {"cases": CASES}
    for k, (T, B, I, H, bias, init, scale, batched) in enumerate(CASES.tolist()):
        assert batched or B == 1, f"case {k}: an unbatched case has B = 1"
        module = torch.nn.LSTM(I, H, bias=bool(bias)).double()
        with torch.no_grad():
            for p in module.parameters():
                p.mul_(scale)
        x = rng.normal(0.0, 2.0, size=(T, B, I))
        h0 = rng.normal(0.0, 0.8, size=(1, B, H)) if init else np.zeros((1, B, H))
        c0 = rng.normal(0.0, 2.0, size=(1, B, H)) if init else np.zeros((1, B, H))
        with torch.no_grad():
            out, (h_n, c_n) = module(torch.from_numpy(x),
                                     (torch.from_numpy(h0), torch.from_numpy(c0)))
        case = {f"{name}": t.detach().numpy() for name, t in module.state_dict().items()}
        case.update(x=x, h0=h0, c0=c0, outputs=out.numpy(), h_n=h_n.numpy(), c_n=c_n.numpy())
        arrays.update({f"case{k}/{name}": value for name, value in case.items()})
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
