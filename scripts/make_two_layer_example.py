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

from make_example_state_dict import save

LAYERS = 2


def main():
    save("torch_two_layer", num_layers=LAYERS)


if __name__ == "__main__":
    main()
