"""Make lesson 7's example PyTorch LSTM: data/torch_lstm_state_dict.npz and
data/torch_lstm_example.npz. Needs torch (the CPU build is enough):

    python scripts/make_example_state_dict.py

A torch.nn.LSTM(3, 8) with a linear head on every step is trained with PyTorch (Adam,
float32, the default dtype) on lstm_train.reset_sum, the running sum that restarts at each
reset marker, so that its gates have something to show: the forget gate must close at resets.

- torch_lstm_state_dict.npz: exactly `module.state_dict()` as numpy arrays (weight_ih_l0,
  weight_hh_l0, bias_ih_l0, bias_hh_l0; float32), loadable by `LSTM.from_torch`.
- torch_lstm_example.npz: one example sequence `x` (T, 3), what the module returned for it
  (`outputs` (T, 8), `h_n`, `c_n` (8,)), the head's `head_weight` (1, 8) and `head_bias` (1,),
  and the training settings. Load both with np.load(path, allow_pickle=False).
Seeded: a rerun writes the same numbers (on the same torch build).
"""

from pathlib import Path

import numpy as np

from lstm_train import reset_sum

DATA = Path(__file__).resolve().parent.parent / "data"
INPUT, HIDDEN, T, BATCH, STEPS, LR, SEED = 3, 8, 40, 32, 600, 0.01, 0
EXAMPLE_SEED, EXAMPLE_T = 7, 60


def train(num_layers=1):
    """torch.nn.LSTM(INPUT, HIDDEN, num_layers) and its linear head, trained on reset_sum;
    returns the module, the head, its test mse, the predict-the-mean baseline, and the example
    sequence x (T, 3) with what the module returned for it: outputs (T, H), h_n, c_n (L, H).
    Shared with scripts/make_two_layer_example.py, which asks for two layers."""
    import torch

    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    lstm = torch.nn.LSTM(INPUT, HIDDEN, num_layers=num_layers)  # float32, PyTorch's init
    head = torch.nn.Linear(HIDDEN, 1)  # reads the top layer's h_t
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=LR)
    for step in range(STEPS):
        x, y = reset_sum(rng, BATCH, T)  # x (T, B, 3), y (T, 1, B)
        out, _ = lstm(torch.from_numpy(x).float())  # (T, B, H): the top layer's h_t
        y_hat = head(out)  # (T, B, 1)
        loss = torch.nn.functional.mse_loss(y_hat, torch.from_numpy(y.transpose(0, 2, 1)).float())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == STEPS - 1:
            print(f"step {step}: mse {loss.item():.4f}")

    x_test, y_test = reset_sum(np.random.default_rng(1000), 500, T)
    with torch.no_grad():
        test_mse = torch.nn.functional.mse_loss(
            head(lstm(torch.from_numpy(x_test).float())[0]),
            torch.from_numpy(y_test.transpose(0, 2, 1)).float()).item()
        x, _ = reset_sum(np.random.default_rng(EXAMPLE_SEED), 1, EXAMPLE_T)
        x = x[:, 0, :]  # (T, 3): one sequence, unbatched
        outputs, (h_n, c_n) = lstm(torch.from_numpy(x).float())  # unbatched: (T, H), (L, H)
    baseline = float(np.mean((y_test - y_test.mean()) ** 2))
    print(f"test mse {test_mse:.4f} (predict the mean: {baseline:.4f})")
    return lstm, head, test_mse, baseline, x, outputs.numpy(), h_n.numpy(), c_n.numpy()


def save(prefix, num_layers):
    """Train, then write data/{prefix}_state_dict.npz and data/{prefix}_example.npz; h_n and
    c_n are (H,) for one layer, (L, H) for more."""
    import torch

    lstm, head, test_mse, baseline, x, outputs, h_n, c_n = train(num_layers)
    if num_layers == 1:
        h_n, c_n = h_n[0], c_n[0]
    DATA.mkdir(exist_ok=True)
    np.savez_compressed(DATA / f"{prefix}_state_dict.npz",
                        **{k: v.numpy() for k, v in lstm.state_dict().items()})
    np.savez_compressed(
        DATA / f"{prefix}_example.npz", x=x.astype(np.float32), outputs=outputs,
        h_n=h_n, c_n=c_n,
        head_weight=head.weight.detach().numpy(), head_bias=head.bias.detach().numpy(),
        test_mse=test_mse, baseline_mse=baseline, train_steps=STEPS, train_T=T,
        torch_version=np.array(torch.__version__.split("+")[0]))
    print(f"wrote {DATA / f'{prefix}_state_dict.npz'} and {DATA / f'{prefix}_example.npz'}")


def main():
    save("torch_lstm", num_layers=1)


if __name__ == "__main__":
    main()
