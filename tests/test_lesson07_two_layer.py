"""Lesson 7's two-layer PyTorch model (data/torch_two_layer_*.npz, written by
scripts/make_two_layer_example.py): the files hold torch.nn.LSTM(3, 8, num_layers=2)'s state dict
and what it returned for lesson 7's example sequence; a module rebuilt from the file returns it
again (live torch); and LSTMStack on it equals the two layers run by hand, step by step, from
PyTorch's own formula."""

import numpy as np
import pytest

from lstm_core import LSTM, LSTMStack
from lstm_data import load_data

STATE_DICT, EXAMPLE = "torch_two_layer_state_dict.npz", "torch_two_layer_example.npz"
H, I = 8, 3


@pytest.fixture(scope="module")
def sd():
    return load_data(STATE_DICT)


@pytest.fixture(scope="module")
def example():
    return load_data(EXAMPLE)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def by_hand(sd, x, h0=None, c0=None):
    """The two layers step by step, as PyTorch's docs write them: gates = W_ih x + b_ih +
    W_hh h + b_hh, rows i, f, g, o; layer 2's x_t is layer 1's h_t. x (T, B, I), states
    (2, H, B). Returns layer 2's h_t (T, H, B), h and c (2, H, B), and each layer's gates."""
    T, B = x.shape[:2]
    h = [np.zeros((H, B)) if h0 is None else h0[k] for k in (0, 1)]
    c = [np.zeros((H, B)) if c0 is None else c0[k] for k in (0, 1)]
    w = {k: v.astype(np.float64) for k, v in sd.items()}
    outputs, gates = [], {k: {g: [] for g in "figoch"} for k in (0, 1)}
    for t in range(T):
        inp = x[t].T  # (I, B)
        for k in (0, 1):
            a = (w[f"weight_ih_l{k}"] @ inp + w[f"bias_ih_l{k}"][:, None]
                 + w[f"weight_hh_l{k}"] @ h[k] + w[f"bias_hh_l{k}"][:, None])  # (4H, B)
            i, f = sigmoid(a[:H]), sigmoid(a[H:2 * H])
            g, o = np.tanh(a[2 * H:3 * H]), sigmoid(a[3 * H:])
            c[k] = f * c[k] + i * g
            h[k] = o * np.tanh(c[k])
            for name, value in zip("figoch", (f, i, g, o, c[k], h[k]), strict=True):
                gates[k][name].append(value)
            inp = h[k]  # the next layer reads this layer's h_t
        outputs.append(h[1])
    gates = [{name: np.array(v) for name, v in gates[k].items()} for k in (0, 1)]
    return np.array(outputs), np.stack(h), np.stack(c), gates


def test_the_files_hold_a_two_layer_model_on_lesson_7s_example(sd, example):
    assert list(sd) == [f"{name}_l{k}" for k in (0, 1)
                        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert sd["weight_ih_l0"].shape == (4 * H, I) and sd["weight_ih_l1"].shape == (4 * H, H)
    one_layer = load_data("torch_lstm_example.npz")
    assert np.array_equal(example["x"], one_layer["x"])  # the same example sequence
    for key in ("train_steps", "train_T", "baseline_mse"):  # the same task and budget
        assert example[key] == one_layer[key], key
    assert example["h_n"].shape == example["c_n"].shape == (2, H)
    assert float(example["test_mse"]) < 0.05 * float(example["baseline_mse"])  # it learned


def test_lstm_stack_gives_the_stored_pytorch_outputs(sd, example):
    outputs, h, c = LSTMStack.from_torch(sd).forward(example["x"].astype(np.float64))
    for ours, theirs in ((outputs[:, :, 0], example["outputs"]), (h[:, :, 0], example["h_n"]),
                         (c[:, :, 0], example["c_n"])):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)  # float32's precision
    assert np.array_equal(example["h_n"][1], example["outputs"][-1])  # h_n's last row is the top


def test_lstm_stack_equals_the_two_layers_by_hand(sd, example):
    stack = LSTMStack.from_torch(sd)
    x = example["x"].astype(np.float64)[:, None, :]  # (T, 1, I)
    want_out, want_h, want_c, want_gates = by_hand(sd, x)
    outputs, h, c = stack.forward(x)
    np.testing.assert_allclose(outputs, want_out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h, want_h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c, want_c, rtol=0, atol=1e-12)
    for trace, gates in zip(stack.trace(x), want_gates, strict=True):  # one trace per layer
        for name in "figoch":
            np.testing.assert_allclose(getattr(trace, name), gates[name], rtol=0, atol=1e-12)
    # and the same as lstm_core's one-layer LSTMs chained: layer 2 reads layer 1's h_t
    layer1 = LSTM.from_torch({k: v for k, v in sd.items() if k.endswith("_l0")})
    layer2 = LSTM.from_torch({k[:-1] + "0": v for k, v in sd.items() if k.endswith("_l1")})
    chained = layer2.forward(layer1.forward(x)[0].transpose(0, 2, 1))[0]
    assert np.array_equal(chained, outputs)


def test_lstm_stack_by_hand_on_batches_and_states(sd):
    rng = np.random.default_rng(12)
    stack = LSTMStack.from_torch(sd)
    x = rng.normal(size=(9, 4, I))
    h0, c0 = rng.normal(size=(2, H, 4)), rng.normal(size=(2, H, 4))
    want_out, want_h, want_c, _ = by_hand(sd, x, h0, c0)
    outputs, h, c = stack.forward(x, h0, c0)
    for ours, want in ((outputs, want_out), (h, want_h), (c, want_c)):
        np.testing.assert_allclose(ours, want, rtol=0, atol=1e-12)


@pytest.mark.torch_live
def test_the_file_matches_torch_live(sd, example, torch):
    module = torch.nn.LSTM(I, H, num_layers=2)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    with torch.no_grad():
        out, (h_n, c_n) = module(torch.from_numpy(example["x"]))
    for live, stored in ((out, example["outputs"]), (h_n, example["h_n"]), (c_n, example["c_n"])):
        np.testing.assert_allclose(live.numpy(), stored, rtol=1e-6, atol=1e-7)
    # and LSTMStack equals the module itself (from_torch of the module), in float64 to 1e-10
    # on a batch with non-zero states
    module = module.double()
    stack = LSTMStack.from_torch(module)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(11, 5, I))
    h0, c0 = rng.normal(size=(2, 5, H)), rng.normal(size=(2, 5, H))  # torch's (L, B, H)
    with torch.no_grad():
        out, (h_n, c_n) = module(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0)))
    ours, h, c = stack.forward(x, h0.transpose(0, 2, 1), c0.transpose(0, 2, 1))  # (L, H, B)
    np.testing.assert_allclose(ours.transpose(0, 2, 1), out.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(h.transpose(0, 2, 1), h_n.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(c.transpose(0, 2, 1), c_n.numpy(), rtol=0, atol=1e-10)
