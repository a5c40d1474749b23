"""Make tests/fixtures/train_reference.npz: PyTorch autograd's loss and gradients for
lstm_train's backward pass.

Run from the repository root, with torch installed (the CPU build is enough):

    python tests/make_train_fixtures.py

Seeded, so a rerun writes the same numbers. Each case is a small float64 problem: a
recurrent layer (torch.nn.LSTM or torch.nn.RNN with tanh), a linear read-out at the last
step or at every step (optionally masked), the mean squared error, and every gradient,
all stored in lstm_train's layout and names (Wf, Wi, Wc, Wo, bf, ... / W, b; Wy, by).
tests/test_lstm_train.py loads the file with allow_pickle=False and compares without
torch; it also checks that the file's case list equals CASES below. `torch_loss_and_grads`
is also what the live test calls.
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "fixtures" / "train_reference.npz"

# kind (0 = LSTM, 1 = tanh RNN), T, B, I, H, O, every_step, masked, weight scale
CASES = np.array([
    # kind, T, B, I, H, O, every, masked, scale
    [0,     1, 1, 1, 1, 1, 0,     0,      1],
    [0,     6, 3, 2, 4, 1, 0,     0,      1],
    [0,     9, 4, 3, 5, 2, 1,     0,      1],
    [0,    12, 2, 3, 3, 1, 1,     1,      1],
    [0,    20, 5, 2, 8, 1, 0,     0,      2],  # larger weights: saturated gates
    [1,     1, 1, 1, 1, 1, 0,     0,      1],
    [1,     7, 3, 2, 4, 1, 0,     0,      1],
    [1,    10, 4, 3, 6, 2, 1,     1,      1],
    [1,    25, 2, 2, 5, 1, 0,     0,      2],
], dtype=np.int64)

LSTM_NAMES = ["Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"]


def random_problem(rng, kind, T, B, I, H, O, every, masked, scale):
    """Parameters in lstm_train's layout (W on [h; x]), inputs, targets and mask."""
    names = LSTM_NAMES if kind == 0 else ["W", "b"]
    params = {}
    for name in names:
        shape = (H, H + I) if name.startswith("W") else (H, 1)
        params[name] = rng.normal(0.0, scale / np.sqrt(H + I), shape)
    params["Wy"] = rng.normal(0.0, 1.0, (O, H))
    params["by"] = rng.normal(0.0, 0.5, (O, 1))
    x = rng.normal(0.0, 1.5, (T, B, I))
    y = rng.normal(0.0, 1.0, (T, O, B) if every else (O, B))
    mask = np.ones((T, B))
    if masked:
        mask = (rng.random((T, B)) < 0.5).astype(float)
        mask[-1] = 1.0  # at least one selected step
    return params, x, y, mask


def torch_loss_and_grads(torch, kind, params, x, y, mask, every):
    """The same model in PyTorch (nn.LSTM / nn.RNN, float64), its mean squared error,
    and the gradients by autograd, converted back to lstm_train's names and layout."""
    T, B, I = x.shape
    H = params["Wy"].shape[1]
    if kind == 0:
        # ours: Wf, Wi, Wc, Wo on [h; x]; PyTorch: rows i, f, g, o of weight_ih and weight_hh
        W = np.vstack([params["Wi"], params["Wf"], params["Wc"], params["Wo"]])  # (4H, H + I)
        b = np.vstack([params["bi"], params["bf"], params["bc"], params["bo"]])[:, 0]
        module = torch.nn.LSTM(I, H).double()
    else:
        W, b = params["W"], params["b"][:, 0]
        module = torch.nn.RNN(I, H, nonlinearity="tanh").double()
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(W[:, H:]))
        module.weight_hh_l0.copy_(torch.from_numpy(W[:, :H]))
        module.bias_ih_l0.copy_(torch.from_numpy(b))
        module.bias_hh_l0.zero_()
    Wy = torch.tensor(params["Wy"], requires_grad=True)
    by = torch.tensor(params["by"], requires_grad=True)
    out, _ = module(torch.from_numpy(x))  # (T, B, H)
    if every:
        y_hat = (out @ Wy.T + by[:, 0]).permute(0, 2, 1)  # (T, O, B)
        m = torch.from_numpy(mask)[:, None, :]
        loss = (((y_hat - torch.from_numpy(y)) * m) ** 2).sum() / (y.shape[1] * m.sum())
    else:
        y_hat = (out[-1] @ Wy.T + by[:, 0]).T  # (O, B)
        loss = torch.nn.functional.mse_loss(y_hat, torch.from_numpy(y))
    loss.backward()
    dW = torch.cat([module.weight_hh_l0.grad, module.weight_ih_l0.grad], 1).numpy()
    db = module.bias_ih_l0.grad.numpy()[:, None]
    if kind == 0:
        grads = {}
        for k, gate in enumerate("ifco"):  # PyTorch's order i, f, g (our Wc), o
            grads["W" + gate] = dW[k * H:(k + 1) * H]
            grads["b" + gate] = db[k * H:(k + 1) * H]
    else:
        grads = {"W": dW, "b": db}
    grads["Wy"] = Wy.grad.numpy()
    grads["by"] = by.grad.numpy()
    return float(loss.detach()), grads


def main():
    import torch

    rng = np.random.default_rng(4)
    arrays = {"cases": CASES}
    for k, case in enumerate(CASES.tolist()):
        kind, every = case[0], case[6]
        params, x, y, mask = random_problem(rng, *case)
        loss, grads = torch_loss_and_grads(torch, kind, params, x, y, mask, every)
        arrays.update({f"case{k}/param/{n}": v for n, v in params.items()})
        arrays.update({f"case{k}/grad/{n}": v for n, v in grads.items()})
        arrays.update({f"case{k}/x": x, f"case{k}/y": y, f"case{k}/mask": mask,
                       f"case{k}/loss": np.array(loss)})
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
