"""Make lesson 7's two-layer PyTorch LSTM: data/torch_two_layer_state_dict.npz and
data/torch_two_layer_example.npz. Needs torch (the CPU build is enough):

    python scripts/make_two_layer_example.py

The same task and budget as lesson 7's one-layer model (scripts/make_example_state_dict.py):
lstm_train.reset_sum, a linear head on every step, Adam, float32, the same example sequence;
only the module has two layers, torch.nn.LSTM(3, 8, num_layers=2). Layer 2 reads layer 1's
h_t as its x_t, so its weight_ih_l1 is (4H, H).

- torch_two_layer_state_dict.npz: exactly `module.state_dict()` as numpy arrays (weight_ih_l0,
  weight_hh_l0, bias_ih_l0, bias_hh_l0 and the same four ending in _l1; float32), loadable by
  `LSTMStack.from_torch`.
- torch_two_layer_example.npz: the example sequence `x` (T, 3), what the module returned for it
  (`outputs` (T, 8), layer 2's h_t; `h_n`, `c_n` (2, 8), one row per layer), the head's
  `head_weight` (1, 8) and `head_bias` (1,), and the training settings.
Seeded: a rerun writes the same numbers (on the same torch build).
"""

from pathlib import Path

import numpy as np
from make_example_state_dict import BATCH, EXAMPLE_SEED, EXAMPLE_T, HIDDEN, INPUT, LR, STEPS, T

from lstm_train import reset_sum

DATA = Path(__file__).resolve().parent.parent / "data"
LAYERS, SEED = 2, 0


def main():
    import torch

    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    lstm = torch.nn.LSTM(INPUT, HIDDEN, num_layers=LAYERS)  # float32, PyTorch's initialization
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

    DATA.mkdir(exist_ok=True)
    np.savez_compressed(DATA / "torch_two_layer_state_dict.npz",
                        **{k: v.numpy() for k, v in lstm.state_dict().items()})
    np.savez_compressed(
        DATA / "torch_two_layer_example.npz", x=x.astype(np.float32), outputs=outputs.numpy(),
        h_n=h_n.numpy(), c_n=c_n.numpy(),
        head_weight=head.weight.detach().numpy(), head_bias=head.bias.detach().numpy(),
        test_mse=test_mse, baseline_mse=baseline, train_steps=STEPS, train_T=T,
        torch_version=np.array(torch.__version__.split("+")[0]))
    print(f"wrote {DATA / 'torch_two_layer_state_dict.npz'} and "
          f"{DATA / 'torch_two_layer_example.npz'}")


if __name__ == "__main__":
    main()
