"""Tests for lstm_train: gradients against finite differences and PyTorch autograd
(committed fixtures and live), the optimizer, the toy tasks, bad inputs, and (slow) that
scripts/train_adding.py reproduces the committed weights of lesson 6."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from grad_support import numerical_grads, rel_error
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_core import LSTM
from lstm_train import (
    Adam,
    Regressor,
    TanhRNN,
    adding_problem,
    clip_grad_norm,
    init_for_training,
    lstm_backward,
    reset_sum,
    rnn_backward,
    train,
)

HERE = Path(__file__).parent
ROOT = HERE.parent
FIXTURES = HERE / "fixtures" / "train_reference.npz"
ADDING = ROOT / "data" / "adding_T100.npz"


def load_script(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines things; torch is imported only inside functions
    return module


make_fixtures = load_script(HERE / "make_train_fixtures.py", "make_train_fixtures")


def small_model(kind, I=3, H=4, O=2, every_step=False, seed=0):
    rng = np.random.default_rng(seed)
    cell = LSTM(I, H) if kind == "lstm" else TanhRNN(I, H)
    init_for_training(cell, rng)
    model = Regressor(cell, O, every_step=every_step, rng=rng)
    for p in model.parameters().values():  # non-zero biases, so their gradients matter
        p += rng.normal(0.0, 0.4, p.shape)
    return model, rng


# ---- gradients: central finite differences ---------------------------------------------


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
@pytest.mark.parametrize("every_step,masked", [(False, False), (True, False), (True, True)])
def test_gradients_match_finite_differences(kind, every_step, masked):
    model, rng = small_model(kind, every_step=every_step, seed=every_step + 2 * masked)
    T, B = 6, 3
    x = rng.normal(0.0, 1.0, (T, B, 3))
    y = rng.normal(0.0, 1.0, (T, 2, B) if every_step else (2, B))
    mask = (rng.random((T, B)) < 0.5).astype(float) if masked else None
    if masked:
        mask[-1] = 1.0
    loss, grads = model.loss_and_grads(x, y, mask)
    params = model.parameters()
    want_names = (["Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"] if kind == "lstm"
                  else ["W", "b"]) + ["Wy", "by"]
    assert list(grads) and set(grads) == set(params) == set(want_names)
    numeric = numerical_grads(lambda: model.loss(x, y, mask), params)
    for name in want_names:
        assert grads[name].shape == params[name].shape
        assert np.linalg.norm(numeric[name]) > 1e-6, name  # the check is not vacuous
        assert rel_error(grads[name], numeric[name]) < 1e-6, name
    assert loss == pytest.approx(model.loss(x, y, mask), rel=1e-14)


def test_lstm_backward_initial_states_and_final_cell_gradient():
    """dL/dh_0, dL/dc_0 and a gradient arriving at c_T, for L = sum(dh * h) + sum(dc * c_T)."""
    rng = np.random.default_rng(5)
    np.random.seed(5)
    lstm = LSTM(2, 3)  # the problem statement's standard normal weights: saturated gates too
    for name in ("bf", "bi", "bc", "bo"):
        setattr(lstm, name, rng.normal(0, 1, (3, 1)))
    x = rng.normal(0, 1, (5, 2, 2))
    state = {"h0": rng.normal(0, 0.5, (3, 2)), "c0": rng.normal(0, 1, (3, 2))}
    dh = rng.normal(0, 1, (5, 3, 2))
    dc_last = rng.normal(0, 1, (3, 2))

    def loss():
        tr = lstm.trace(x, state["h0"], state["c0"])
        return float(np.sum(dh * tr.h) + np.sum(dc_last * tr.c[-1]))

    tr = lstm.trace(x, state["h0"], state["c0"])
    grads, dh0, dc0 = lstm_backward(lstm, x, tr, dh, state["h0"], state["c0"], dc_last)
    numeric = numerical_grads(loss, state)
    assert rel_error(dh0, numeric["h0"]) < 1e-6
    assert rel_error(dc0, numeric["c0"]) < 1e-6
    params = {n: getattr(lstm, n) for n in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo")}
    numeric = numerical_grads(loss, params)
    for name in params:
        assert rel_error(grads[name], numeric[name]) < 1e-6, name


def test_rnn_backward_by_hand():
    """One unit, two steps: h1 = tanh(w h0 + u x1), h2 = tanh(w h1 + u x2), L = h2."""
    rnn = TanhRNN(1, 1)
    rnn.W = np.array([[0.5, -0.8]])  # [w, u]
    rnn.b = np.array([[0.1]])
    x = np.array([[1.0], [2.0]])  # (T, I)
    h1 = np.tanh(-0.8 * 1.0 + 0.1)
    h2 = np.tanh(0.5 * h1 - 0.8 * 2.0 + 0.1)
    outputs, h = rnn.forward(x)
    np.testing.assert_allclose(outputs[:, 0, 0], [h1, h2], rtol=1e-15)
    d2 = 1 - h2**2  # dL/da2
    d1 = d2 * 0.5 * (1 - h1**2)  # dL/da1 = dL/da2 * w * tanh'(a1)
    grads, dh0 = rnn_backward(rnn, x, outputs, np.array([[[0.0]], [[1.0]]]))
    np.testing.assert_allclose(grads["W"], [[d2 * h1 + d1 * 0.0, d2 * 2.0 + d1 * 1.0]])
    np.testing.assert_allclose(grads["b"], [[d1 + d2]])
    np.testing.assert_allclose(dh0, [[d1 * 0.5]])


# ---- gradients: PyTorch autograd through committed fixtures ------------------------------


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURES, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_fixture_file_matches_its_script(reference):
    np.testing.assert_array_equal(reference["cases"], make_fixtures.CASES,
                                  err_msg="rerun python tests/make_train_fixtures.py")
    assert FIXTURES.stat().st_size < 200_000


def model_from_params(kind, params, O, every):
    H, HI = params["Wy"].shape[1], params["Wf" if kind == 0 else "W"].shape[1]
    cell = LSTM(HI - H, H) if kind == 0 else TanhRNN(HI - H, H)
    model = Regressor(cell, O, every_step=bool(every))
    model.set_parameters(params)
    return model


def compare_with_torch(kind, params, x, y, mask, every, want_loss, want_grads):
    model = model_from_params(kind, params, y.shape[-2], every)
    loss, grads = model.loss_and_grads(x, y, mask if every else None)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert set(grads) == set(want_grads)
    for name, want in want_grads.items():
        np.testing.assert_allclose(grads[name], want, rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("k", range(len(make_fixtures.CASES)))
def test_gradients_match_torch_fixtures(reference, k):
    kind, *_, every, _masked, _scale = reference["cases"][k].tolist()
    case = {key[len(f"case{k}/"):]: v for key, v in reference.items()
            if key.startswith(f"case{k}/")}
    params = {key[6:]: v for key, v in case.items() if key.startswith("param/")}
    grads = {key[5:]: v for key, v in case.items() if key.startswith("grad/")}
    compare_with_torch(kind, params, case["x"], case["y"], case["mask"], every,
                       float(case["loss"]), grads)


@pytest.mark.torch_live
@pytest.mark.parametrize("kind", [0, 1])
def test_gradients_match_torch_live(torch, kind):
    rng = np.random.default_rng(11 + kind)
    for _ in range(6):
        T, B, I, H, O = (int(v) for v in rng.integers(1, [30, 6, 5, 9, 3], endpoint=True))
        every, masked = int(rng.integers(0, 2)), int(rng.integers(0, 2))
        params, x, y, mask = make_fixtures.random_problem(
            rng, kind, T, B, I, H, O, every, masked, float(rng.uniform(0.5, 2.5)))
        loss, grads = make_fixtures.torch_loss_and_grads(torch, kind, params, x, y, mask, every)
        compare_with_torch(kind, params, x, y, mask, every, loss, grads)


@pytest.mark.torch_live
def test_adam_matches_torch_live(torch):
    model, rng = small_model("lstm", seed=3)
    x, y = rng.normal(size=(8, 4, 3)), rng.normal(size=(2, 4))
    shadow = {k: torch.tensor(v.copy(), requires_grad=True)
              for k, v in model.parameters().items()}
    ours = Adam(model.parameters(), lr=0.05)
    theirs = torch.optim.Adam(list(shadow.values()), lr=0.05)
    for _ in range(5):
        _, grads = model.loss_and_grads(x, y)
        for k, p in shadow.items():
            p.grad = torch.from_numpy(grads[k].copy())
        ours.step(grads)
        theirs.step()
    for k, p in model.parameters().items():
        np.testing.assert_allclose(p, shadow[k].detach().numpy(), rtol=1e-12, atol=1e-14)


# ---- the optimizer and training ------------------------------------------------------------


def test_adam_first_step_moves_each_parameter_by_lr_against_its_gradient_sign():
    # m_hat = g and v_hat = g^2 after one step, so the update is lr * g / |g| (eps aside)
    p = np.array([1.0, -2.0, 3.0])
    g = np.array([0.5, -4.0, 1e-3])
    Adam({"p": p}, lr=0.1).step({"p": g})
    np.testing.assert_allclose(p, [0.9, -1.9, 2.9], rtol=1e-6)


def test_adam_reduces_the_loss_on_a_tiny_problem():
    model, rng = small_model("lstm", I=2, H=3, O=1, seed=7)
    x, y = rng.normal(size=(5, 8, 2)), rng.normal(size=(1, 8))
    before = model.loss(x, y)
    losses = train(model, lambda r: (x, y), 200, rng, lr=0.05)
    assert losses[0] == pytest.approx(before)
    assert model.loss(x, y) < 0.1 * before


def test_train_calls_back_every_step_and_rnn_learns_too():
    model, rng = small_model("rnn", I=2, H=4, O=1, seed=8)
    x, y = rng.normal(size=(4, 6, 2)), rng.normal(size=(1, 6))
    seen = []
    losses = train(model, lambda r: (x, y), 150, rng, lr=0.05,
                   callback=lambda step, loss: seen.append((step, loss)))
    assert [s for s, _ in seen] == list(range(150))
    np.testing.assert_array_equal([v for _, v in seen], losses)
    assert model.loss(x, y) < 0.1 * losses[0]


def test_clip_grad_norm_scales_all_gradients_together():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])
    np.testing.assert_allclose(grads["b"], [[0.8]])
    assert clip_grad_norm(grads, 10.0) == pytest.approx(1.0)  # under the limit: unchanged
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])


# ---- the toy tasks -------------------------------------------------------------------------


def test_adding_problem_shapes_markers_and_targets():
    x, y = adding_problem(np.random.default_rng(0), 50, 20)
    assert x.shape == (20, 50, 2) and y.shape == (1, 50)
    assert ((x[..., 0] >= 0) & (x[..., 0] < 1)).all()
    for b in range(50):
        marked = [t for t in range(20) if x[t, b, 1] == 1.0]
        assert len(marked) == 2 and marked[0] < 10 <= marked[1]  # one in each half
        assert set(np.unique(x[:, b, 1])) == {0.0, 1.0}
        assert y[0, b] == pytest.approx(x[marked[0], b, 0] + x[marked[1], b, 0], rel=1e-15)


def test_tasks_are_repeatable_from_their_seed():
    for task in (lambda r: adding_problem(r, 8, 30), lambda r: reset_sum(r, 8, 30)):
        a, b, c = task(np.random.default_rng(3)), task(np.random.default_rng(3)), \
            task(np.random.default_rng(4))
        for u, v, w in zip(a, b, c, strict=True):
            np.testing.assert_array_equal(u, v)
            assert not np.array_equal(u, w)


def test_reset_sum_segments_and_running_sums():
    T, B = 60, 20
    x, y = reset_sum(np.random.default_rng(1), B, T, min_length=4, max_length=9)
    assert x.shape == (T, B, 3) and y.shape == (T, 1, B)
    for b in range(B):
        starts = [t for t in range(T) if x[t, b, 2] == 1.0]
        assert starts[0] == 0
        lengths = np.diff(starts)
        assert ((lengths >= 4) & (lengths <= 9)).all()
        for s, e in zip(starts, starts[1:] + [T], strict=True):
            n_marked = int(x[s:e, b, 1].sum())
            assert x[s, b, 1] == 0.0  # the reset step carries no marked value
            assert n_marked == 2 or (e == T and n_marked <= 2)  # the last may be cut short
        total = 0.0
        for t in range(T):  # the running sum, written out step by step
            if x[t, b, 2] == 1.0:
                total = 0.0
            elif x[t, b, 1] == 1.0:
                total += x[t, b, 0]
            assert y[t, 0, b] == pytest.approx(total, abs=1e-12)


def test_an_lstm_learns_reset_sum():
    """The forget gate's task: with resets, the LSTM beats predicting the mean by far, and its
    forget gates are lower at reset steps than elsewhere."""
    rng = np.random.default_rng(0)
    cell = init_for_training(LSTM(3, 8), rng)
    model = Regressor(cell, 1, every_step=True, rng=rng)
    train(model, lambda r: reset_sum(r, 32, 40), 400, rng, lr=0.02)
    x, y = reset_sum(np.random.default_rng(99), 200, 40)
    baseline = float(np.mean((y - y.mean()) ** 2))
    assert model.loss(x, y) < 0.1 * baseline
    f = cell.trace(x).f  # (T, H, B)
    resets = x[..., 2].astype(bool)  # (T, B)
    assert f.mean(axis=1)[resets].mean() < f.mean(axis=1)[~resets].mean() - 0.2


# ---- bad input -----------------------------------------------------------------------------


def test_bad_inputs_raise_clear_errors():
    model, rng = small_model("lstm", I=2, H=3, O=1)
    x = rng.normal(size=(4, 5, 2))
    with pytest.raises(TypeError, match="LSTM or an lstm_train.TanhRNN"):
        Regressor("lstm", 1)
    with pytest.raises(ValueError, match=r"y \(the targets\) must have shape \(1, 5\)"):
        model.loss_and_grads(x, np.zeros((5, 1)))
    with pytest.raises(ValueError, match="mask is for every_step=True"):
        model.loss_and_grads(x, np.zeros((1, 5)), mask=np.ones((4, 5)))
    with pytest.raises(ValueError, match="input_size=2"):
        model.loss(rng.normal(size=(4, 5, 3)), np.zeros((1, 5)))
    every, _ = small_model("rnn", I=2, H=3, O=1, every_step=True)
    with pytest.raises(ValueError, match="mask selects no step"):
        every.loss(x, np.zeros((4, 1, 5)), mask=np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"mask must have shape \(4, 5\)"):
        every.loss(x, np.zeros((4, 1, 5)), mask=np.ones(5))
    with pytest.raises(ValueError, match="must be finite"):
        every.loss(x, np.full((4, 1, 5), np.nan))
    with pytest.raises(TypeError, match="float numpy array"):
        Adam({"w": [1.0, 2.0]})
    with pytest.raises(ValueError, match="lr must be a positive"):
        Adam({"w": np.zeros(2)}, lr=0)
    with pytest.raises(ValueError, match="grads is missing"):
        Adam({"w": np.zeros(2)}).step({})
    with pytest.raises(ValueError, match="unknown names"):
        model.set_parameters({"Wq": np.zeros((3, 5))})
    with pytest.raises(ValueError, match=r"Wy must have shape \(1, 3\)"):
        model.set_parameters({"Wy": np.zeros((3, 1))})
    with pytest.raises(ValueError, match="T >= 2"):
        adding_problem(rng, 4, 1)
    with pytest.raises(TypeError, match="batch_size must be a positive integer"):
        adding_problem(rng, 4.0, 10)
    with pytest.raises(ValueError, match="3 <= min_length <= max_length"):
        reset_sum(rng, 4, 10, min_length=2)
    with pytest.raises(ValueError, match=r"dh must have shape \(4, 3, 5\)"):
        lstm_backward(model.cell, x, model.cell.trace(x), np.zeros((4, 5, 3)))


def test_tanh_rnn_bad_inputs():
    rnn = TanhRNN(2, 3)
    with pytest.raises(ValueError, match="input_size=2"):
        rnn.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(T, input_size=2\) or \(T, batch"):
        rnn.forward(np.zeros(4))
    with pytest.raises(ValueError, match=r"initial_hidden_state must be a column of shape"):
        rnn.forward(np.zeros((4, 5, 2)), np.zeros((3, 1)))
    with pytest.raises(TypeError, match="real numeric array"):
        rnn.forward(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="hidden_size must be a positive integer"):
        TanhRNN(2, 3.0)
    with pytest.raises(TypeError, match="x_t must be a numeric array"):
        rnn.step([[0.0, 1.0], [0.0]], np.zeros((3, 2)))  # ragged
    with pytest.raises(ValueError, match=r"x_t must be \(input_size=2,\)"):
        rnn.step(np.zeros((1, 1, 2)), np.zeros((3, 1)))
    rnn.W = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"TanhRNN.W must have shape \(3, 5\)"):
        rnn.forward(np.zeros((4, 2)))


def test_tanh_rnn_step_and_batch_agree_with_forward():
    np.random.seed(1)
    rnn = TanhRNN(2, 3)
    rnn.b = np.random.randn(3, 1)
    x = np.random.randn(6, 4, 2)
    outputs, h = rnn.forward(x)
    assert outputs.shape == (6, 3, 4) and h.shape == (3, 4)
    hh = np.zeros((3, 4))
    for t in range(6):
        hh = rnn.step(x[t], hh)
        np.testing.assert_allclose(outputs[t], hh, rtol=1e-14)
    for b in range(4):  # a batch is the same as one sequence at a time
        np.testing.assert_allclose(rnn.forward(x[:, b])[0][:, :, 0], outputs[:, :, b],
                                   rtol=1e-14)


@pytest.mark.torch_live
def test_tanh_rnn_forward_matches_torch_live(torch):
    rnn = TanhRNN(3, 5)
    rng = np.random.default_rng(2)
    rnn.b = rng.normal(size=(5, 1))
    x, h0 = rng.normal(size=(9, 4, 3)), rng.normal(size=(5, 4))
    module = torch.nn.RNN(3, 5).double()
    with torch.no_grad():
        module.weight_hh_l0.copy_(torch.from_numpy(rnn.W[:, :5]))
        module.weight_ih_l0.copy_(torch.from_numpy(rnn.W[:, 5:]))
        module.bias_ih_l0.copy_(torch.from_numpy(rnn.b[:, 0]))
        module.bias_hh_l0.zero_()
        want, want_h = module(torch.from_numpy(x), torch.from_numpy(h0.T[None].copy()))
    outputs, h = rnn.forward(x, h0)
    np.testing.assert_allclose(outputs, want.numpy().transpose(0, 2, 1), rtol=1e-12)
    np.testing.assert_allclose(h, want_h[0].numpy().T, rtol=1e-12)


# ---- lesson 6's committed training run -----------------------------------------------------


@pytest.fixture(scope="module")
def adding():
    with np.load(ADDING, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_committed_adding_results_hold(adding):
    """What lesson 6 states: the LSTM beats the mean baseline by far, the RNN does not,
    for every seed; recomputed from the committed weights, not only read from the file."""
    script = load_script(ROOT / "scripts" / "train_adding.py", "train_adding")
    x, y = script.test_batch()
    baseline = float(np.mean((y - 1.0) ** 2))
    assert baseline == pytest.approx(float(adding["baseline_test_mse"]))
    assert 0.14 < baseline < 0.19  # Var(u1 + u2) = 1/6 for u ~ U[0, 1)
    assert (adding["lstm_test_mse"] < 0.05 * baseline).all()
    assert (adding["rnn_test_mse"] > 0.8 * baseline).all()
    for kind in ("lstm", "rnn"):
        model, _ = script.make_model(kind, 0)
        model.set_parameters({k[len(kind) + 1:]: v for k, v in adding.items()
                              if k.startswith(kind + "_") and k[len(kind) + 1:] in
                              model.parameters()})
        assert model.loss(x, y) == pytest.approx(float(adding[f"{kind}_test_mse"][0]),
                                                 rel=1e-9)


@pytest.mark.slow
def test_training_script_reproduces_the_committed_checkpoints(adding):
    """Retrain the LSTM of seed 0 with the script's code up to the checkpoint after its
    loss has left the plateau (step 800 of 1500): the same loss curve, the same parameters
    and the same test error as the committed run."""
    script = load_script(ROOT / "scripts" / "train_adding.py", "train_adding")
    steps, every = 800, int(adding["checkpoint_every"])
    model, losses, _ = script.run("lstm", 0, steps=steps, checkpoint_every=every)
    np.testing.assert_allclose(losses, adding["lstm_losses"][0, :steps], rtol=1e-5, atol=1e-8)
    k = list(adding["checkpoint_steps"]).index(steps)
    committed, _ = script.make_model("lstm", 0)
    committed.set_parameters({name: adding[f"checkpoint_{name}"][k]
                              for name in model.parameters()})
    x, y = script.test_batch()
    assert model.loss(x, y) == pytest.approx(committed.loss(x, y), rel=1e-4)
    assert model.loss(x, y) < 0.05 * float(adding["baseline_test_mse"])  # learned by then
    for name, value in model.parameters().items():
        np.testing.assert_allclose(value, committed.parameters()[name], rtol=1e-5, atol=1e-8,
                                   err_msg=name)


def test_float32_inputs_train_in_float32():
    model, rng = small_model("lstm", I=2, H=5, O=1, seed=9)
    x, y = rng.normal(size=(12, 4, 2)), rng.normal(size=(1, 4))
    loss64, g64 = model.loss_and_grads(x, y)
    loss32, g32 = model.loss_and_grads(x.astype(np.float32), y.astype(np.float32))
    assert isinstance(loss32, float) and loss32 == pytest.approx(loss64, rel=1e-5)
    for name, g in g32.items():
        assert g.dtype == np.float32, name
        np.testing.assert_allclose(g, g64[name], rtol=1e-3, atol=1e-5, err_msg=name)


# ---- lesson 7's example PyTorch LSTM ---------------------------------------------------------

STATE_DICT = ROOT / "data" / "torch_lstm_state_dict.npz"
EXAMPLE = ROOT / "data" / "torch_lstm_example.npz"


@pytest.fixture(scope="module")
def example():
    with np.load(STATE_DICT, allow_pickle=False) as f:
        sd = dict(f)
    with np.load(EXAMPLE, allow_pickle=False) as f:
        return sd, dict(f)


def test_example_state_dict_is_a_torch_state_dict_that_lstm_core_reproduces(example):
    sd, ex = example
    script = load_script(ROOT / "scripts" / "make_example_state_dict.py", "make_example")
    H, I = script.HIDDEN, script.INPUT
    assert {k: (v.shape, v.dtype) for k, v in sd.items()} == {
        "weight_ih_l0": ((4 * H, I), np.float32), "weight_hh_l0": ((4 * H, H), np.float32),
        "bias_ih_l0": ((4 * H,), np.float32), "bias_hh_l0": ((4 * H,), np.float32)}
    lstm = LSTM.from_torch(sd)
    outputs, h, c = lstm.forward(ex["x"].astype(np.float64))
    assert ex["x"].shape == (script.EXAMPLE_T, I)
    np.testing.assert_allclose(outputs[:, :, 0], ex["outputs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h[:, 0], ex["h_n"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c[:, 0], ex["c_n"], rtol=1e-5, atol=1e-6)
    assert float(ex["test_mse"]) < 0.05 * float(ex["baseline_mse"])  # lesson 7 says it learned


@pytest.mark.torch_live
def test_example_state_dict_loads_into_torch_live(torch, example):
    sd, ex = example
    H, I = sd["weight_hh_l0"].shape[1], sd["weight_ih_l0"].shape[1]
    module = torch.nn.LSTM(I, H)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    with torch.no_grad():
        out, (h_n, c_n) = module(torch.from_numpy(ex["x"]))
    np.testing.assert_allclose(out.numpy(), ex["outputs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c_n[0].numpy(), ex["c_n"], rtol=1e-5, atol=1e-6)


def test_backward_rejects_a_trace_of_another_input():
    model, rng = small_model("lstm", I=2, H=3, O=1)
    x = rng.normal(size=(4, 5, 2))
    other = model.cell.trace(x[:3])
    with pytest.raises(ValueError, match=r"trace.f must have shape \(4, 3, 5\)"):
        lstm_backward(model.cell, x, other, np.zeros((4, 3, 5)))
    rnn = TanhRNN(2, 3)
    with pytest.raises(ValueError, match=r"outputs must have shape \(4, 3, 5\)"):
        rnn_backward(rnn, x, rnn.forward(x[:3])[0], np.zeros((4, 3, 5)))


# ---- issue 8: every bad input gets our error, or the right answer; a refusal changes nothing


def snapshot(model):
    return {k: v.copy() for k, v in model.parameters().items()}


def assert_same_parameters(model, before):
    for name, value in model.parameters().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def fixed_task(kind="lstm", every_step=False):
    model, rng = small_model(kind, I=2, H=3, O=1, every_step=every_step)
    x = rng.normal(size=(4, 5, 2))
    y = rng.normal(size=(4, 1, 5) if every_step else (1, 5))
    return model, (lambda r: (x, y)), x, y


@pytest.mark.parametrize("clip", [-1.0, 0, 0.0, np.nan, np.inf, -np.inf])
def test_clip_must_be_positive_and_finite(clip):
    """A negative clip turned training into gradient ascent (loss 1.03 -> 15.7); NaN, inf and
    0 gave NaN or no step at all. Refused before anything changes."""
    model, task, _, _ = fixed_task()
    before = snapshot(model)
    with pytest.raises(ValueError, match="clip must be a positive, finite number"):
        train(model, task, 5, 0, clip=clip)
    assert_same_parameters(model, before)
    grads = {"a": np.array([3.0, 4.0])}
    with pytest.raises(ValueError, match="max_norm must be a positive, finite number"):
        clip_grad_norm(grads, clip)
    np.testing.assert_array_equal(grads["a"], [3.0, 4.0])


@pytest.mark.parametrize("clip", [True, "1.0", [1.0], {}])
def test_clip_of_another_type_is_refused(clip):
    model, task, _, _ = fixed_task()
    with pytest.raises(TypeError, match="clip must be a positive, finite number"):
        train(model, task, 5, 0, clip=clip)
    with pytest.raises(TypeError, match="max_norm must be"):
        clip_grad_norm({"a": np.ones(2)}, clip)


def test_clip_accepts_numpy_numbers_and_none():
    losses = [train(fixed_task()[0], fixed_task()[1], 3, 0, clip=c)
              for c in (1.0, np.float32(1.0), np.array(1.0))]
    np.testing.assert_array_equal(losses[0], losses[1])
    np.testing.assert_array_equal(losses[0], losses[2])
    assert np.isfinite(train(fixed_task()[0], fixed_task()[1], 3, 0, clip=None)).all()


def test_clip_grad_norm_of_huge_and_tiny_gradients():
    """The joint norm of gradients whose squares overflow (1e300) or underflow (1e-300):
    the right answer, with no numpy warning (the old sum of squares gave inf, or 0)."""
    grads = {"a": np.array([3e300]), "b": np.array([[4e300]])}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(5e300, rel=1e-14)
    np.testing.assert_allclose(grads["a"], [0.6], rtol=1e-14)
    np.testing.assert_allclose(grads["b"], [[0.8]], rtol=1e-14)
    tiny = {"a": np.array([3e-300, 0.0]), "b": np.array([4e-300])}
    assert clip_grad_norm(tiny, 1.0) == pytest.approx(5e-300, rel=1e-14)
    np.testing.assert_array_equal(tiny["a"], [3e-300, 0.0])  # under the limit: unchanged
    assert clip_grad_norm({"a": np.zeros(3)}, 1.0) == 0.0
    g32 = {"a": np.array([3e30, 4e30], np.float32)}  # float32's squares overflow at 1.8e19
    assert clip_grad_norm(g32, 2.0) == pytest.approx(5e30, rel=1e-6)
    np.testing.assert_allclose(g32["a"], [1.2, 1.6], rtol=1e-6)
    assert g32["a"].dtype == np.float32


def test_clip_grad_norm_refuses_what_it_cannot_clip_in_place():
    with pytest.raises(TypeError, match="grads must be a dict of name -> array; got list"):
        clip_grad_norm([np.ones(2)], 1.0)
    with pytest.raises(TypeError, match=r"grads\['a'\] must be a float numpy array"):
        clip_grad_norm({"a": [3.0, 4.0]}, 1.0)
    with pytest.raises(TypeError, match="float numpy array"):
        clip_grad_norm({"a": np.array([3, 4])}, 1.0)  # an int array cannot be scaled in place
    frozen = np.array([3.0, 4.0])
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        clip_grad_norm({"a": frozen}, 1.0)
    nan = {"a": np.array([1.0]), "b": np.array([np.nan])}
    with pytest.raises(ValueError, match=r"grads\['b'\] must be finite"):
        clip_grad_norm(nan, 0.1)
    np.testing.assert_array_equal(nan["a"], [1.0])  # nothing was scaled


def adam_state(opt):
    return ({k: p.copy() for k, p in opt.params.items()}, {k: m.copy() for k, m in opt.m.items()},
            {k: v.copy() for k, v in opt.v.items()}, opt.t)


def assert_same_state(a, b):
    for x, y in zip(a[:3], b[:3], strict=True):
        assert x.keys() == y.keys()
        for k in x:
            np.testing.assert_array_equal(x[k], y[k], err_msg=k)
    assert a[3] == b[3]


GOOD = {"W": np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]), "b": np.array([[0.3], [-0.2]])}
BAD_GRADS = {  # each: what came, and a word of the message
    "a scalar for W": ({"W": 0.5, "b": GOOD["b"]}, r"grads\['W'\] must have shape \(2, 3\)"),
    "(2, 1) for W": ({"W": np.ones((2, 1)), "b": GOOD["b"]}, r"shape \(2, 3\); got \(2, 1\)"),
    "(3, 2) for W": ({"W": np.ones((3, 2)), "b": GOOD["b"]}, r"got \(3, 2\)"),
    "(H,) for b": ({"W": GOOD["W"], "b": np.ones(2)}, r"grads\['b'\] must have shape \(2, 1\)"),
    "NaN in b": ({"W": GOOD["W"], "b": np.array([[1.0], [np.nan]])}, "must be finite"),
    "inf in b": ({"W": GOOD["W"], "b": np.array([[1.0], [np.inf]])}, "must be finite"),
    "complex W": ({"W": GOOD["W"] + 1j, "b": GOOD["b"]}, "real numeric array"),
    "strings": ({"W": np.full((2, 3), "a"), "b": GOOD["b"]}, "real numeric array"),
    "None": ({"W": GOOD["W"], "b": None}, "real numeric array"),
    "b missing": ({"W": GOOD["W"]}, r"grads is missing \['b'\]"),
    "an extra name": ({**GOOD, "c": np.ones(1)}, r"unknown names \['c'\]"),
    "a list": ([GOOD["W"], GOOD["b"]], "grads must be a dict"),
    "squares beyond float64": ({"W": np.full((2, 3), 1e200), "b": GOOD["b"]}, "overflows float64"),
}


@pytest.mark.parametrize("case", BAD_GRADS)
def test_a_refused_adam_step_changes_nothing(case):
    """Every gradient is checked (names, exact shapes, dtype, finite, and the update itself)
    before anything changes: no broadcasting of a scalar or a (2, 1) onto (2, 3), no half
    step that updates W and t and then fails on b, and the next correct step still works."""
    grads, message = BAD_GRADS[case]
    params = {k: v.copy() for k, v in GOOD.items()}
    opt = Adam(params, lr=0.1)
    opt.step({"W": np.ones((2, 3)), "b": -np.ones((2, 1))})  # a first step, so m, v, t matter
    before = adam_state(opt)
    with pytest.raises((ValueError, TypeError), match=message):
        opt.step(grads)
    assert_same_state(adam_state(opt), before)
    # a correct step after the refusal is the same as on an optimizer that never saw it
    twin = Adam({k: v.copy() for k, v in GOOD.items()}, lr=0.1)
    twin.step({"W": np.ones((2, 3)), "b": -np.ones((2, 1))})
    good = {"W": np.full((2, 3), 0.5), "b": np.full((2, 1), 2.0)}
    opt.step(good)
    twin.step(good)
    assert_same_state(adam_state(opt), adam_state(twin))
    assert opt.t == 2


def test_adam_accepts_gradients_it_can_convert_exactly():
    """Lists, int arrays, float32 and torch-free arrays of the exact shape are gradients too."""
    ours = Adam({"w": np.zeros((2, 2))}, lr=0.1)
    ours.step({"w": [[1, -2], [3, 0]]})
    np.testing.assert_allclose(ours.params["w"], [[-0.1, 0.1], [-0.1, 0.0]], rtol=1e-6)


@pytest.mark.parametrize("kwargs,error,message", [
    ({"lr": np.inf}, ValueError, "lr must be a positive, finite number; got inf"),
    ({"lr": np.nan}, ValueError, "lr must be a positive, finite number; got nan"),
    ({"lr": -0.01}, ValueError, "lr must be a positive"),
    ({"lr": "0.01"}, TypeError, "lr must be a positive, finite number; got '0.01' of type str"),
    ({"lr": True}, TypeError, "of type bool"),
    ({"lr": None}, TypeError, "lr must be"),
    ({"lr": [0.01]}, TypeError, "lr must be"),
    ({"betas": (1.0, 0.999)}, ValueError, r"betas\[0\] must be a number in \[0, 1\); got 1.0"),
    ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\] must be a number in \[0, 1\)"),
    ({"betas": (-0.1, 0.999)}, ValueError, r"betas\[0\]"),
    ({"betas": (0.9, np.nan)}, ValueError, r"betas\[1\]"),
    ({"betas": (0.9, "0.999")}, TypeError, r"betas\[1\]"),
    ({"betas": 0.9}, TypeError, r"betas must be a pair \(beta1, beta2\)"),
    ({"betas": (0.9, 0.99, 0.9)}, TypeError, "betas must be a pair"),
    ({"betas": "ab"}, TypeError, "betas must be a pair"),
    ({"eps": 0.0}, ValueError, "eps must be a positive, finite number"),
    ({"eps": -1e-8}, ValueError, "eps must be a positive"),
    ({"eps": np.inf}, ValueError, "eps must be"),
    ({"eps": False}, TypeError, "eps must be"),
])
def test_adam_hyperparameters_are_checked(kwargs, error, message):
    """lr = inf or betas with a 1 gave NaN parameters; lr="0.01" leaked Python's message."""
    p = np.array([1.0, -2.0])
    with pytest.raises(error, match=message):
        Adam({"p": p}, **kwargs)
    model, task, _, _ = fixed_task()
    if "lr" in kwargs:  # train passes lr on, and refuses before any step
        before = snapshot(model)
        with pytest.raises(error, match=message):
            train(model, task, 3, 0, lr=kwargs["lr"])
        assert_same_parameters(model, before)


def test_adam_takes_numpy_numbers_as_hyperparameters():
    """An lr read from an .npz file is a 0-d array; numpy floats are numbers too."""
    p, q = np.array([1.0, -2.0]), np.array([1.0, -2.0])
    Adam({"p": p}, lr=np.array(0.1), betas=np.array([0.9, 0.999]), eps=np.float32(1e-8)) \
        .step({"p": np.array([0.5, -4.0])})
    Adam({"q": q}, lr=0.1).step({"q": np.array([0.5, -4.0])})
    np.testing.assert_allclose(p, q, rtol=1e-12)


def test_adam_refuses_parameters_it_cannot_update():
    with pytest.raises(TypeError, match="params must be a dict of name -> array; got list"):
        Adam([np.zeros(2)])
    with pytest.raises(ValueError, match="params is empty"):
        Adam({})
    with pytest.raises(TypeError, match="float numpy array"):
        Adam({"w": np.zeros(2, dtype=int)})
    with pytest.raises(ValueError, match="must be finite"):
        Adam({"w": np.array([np.nan])})


def test_tanh_rnn_refuses_products_that_could_overflow():
    """forward returned NaN (and warned) for x = 1e308; step too. Now both refuse first."""
    rnn = TanhRNN(1, 1)
    rnn.W = np.array([[0.5, 3.0]])
    rnn.b = np.zeros((1, 1))
    for run in (lambda: rnn.forward(np.full((3, 1), 1e308)),
                lambda: rnn.step(np.array([1e308]), np.zeros((1, 1))),
                lambda: rnn.forward(np.ones((3, 1)), np.full((1, 1), 1e308)),  # the state too
                lambda: rnn.forward(np.full((3, 1), 1e38, np.float32))):  # float32's own bound
        with pytest.raises(ValueError, match="overflow"):
            run()
    rnn.W = np.array([[0.5, 1e300]])  # finite in float64, not in float32
    with pytest.raises(ValueError, match="does not fit float32"):
        rnn.forward(np.ones((3, 1), np.float32))
    assert np.isfinite(rnn.forward(np.ones((3, 1)))[0]).all()  # float64: a saturated tanh


@settings(max_examples=60, derandomize=True, deadline=None)
@given(w=st.integers(-300, 308).map(lambda e: 10.0**e), x_scale=st.integers(-300, 308)
       .map(lambda e: 10.0**e), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_tanh_rnn_forward_and_step_agree_over_extreme_magnitudes(w, x_scale, seed, dtype):
    """Either both paths refuse with the overflow error, or both give finite states in
    [-1, 1] that agree within the round-off bound of the pre-activations, n u S (which
    near-cancelling huge products make wide: only what holds on every machine is asserted)."""
    T, B, I, H = 4, 2, 3, 2
    rng = np.random.default_rng(seed)
    rnn = TanhRNN(I, H)
    rnn.W = rng.normal(size=(H, H + I)) * w
    rnn.b = rng.normal(size=(H, 1)) * w
    with np.errstate(over="ignore"):  # building the inputs, not under test
        x = (rng.normal(size=(T, B, I)) * x_scale).astype(dtype)
    if not np.isfinite(x).all():
        return

    def by_steps():
        h, out = np.zeros((H, B), dtype), []
        for x_t in x:
            h = rnn.step(x_t, h)
            out.append(h)
        return np.stack(out)

    results = []
    for run in (lambda: rnn.forward(x)[0], by_steps):
        try:
            results.append(run())
        except ValueError as e:
            assert "overflow" in str(e) or "does not fit float32" in str(e)
            results.append(str(e))
    forward, steps = results
    if isinstance(forward, str) or isinstance(steps, str):  # each names its own max |x|
        assert isinstance(forward, str) and isinstance(steps, str)
        return
    assert np.isfinite(forward).all() and (np.abs(forward) <= 1).all()
    W = np.abs(rnn.W)
    S = (W[:, :H].sum(axis=1) + W[:, H:].sum(axis=1) * np.abs(x).max()).max() + np.abs(rnn.b).max()
    tol = 10 * T * (H + I + 1) * np.finfo(dtype).eps * max(S, 1.0)
    np.testing.assert_allclose(forward, steps, rtol=0, atol=tol)


@pytest.mark.torch_live
def test_tanh_rnn_takes_torch_tensors(torch):
    """A tensor with requires_grad, or in bfloat16, is converted as lstm_core converts it."""
    np.random.seed(3)
    rnn = TanhRNN(2, 3)
    x = np.random.default_rng(3).normal(size=(5, 2))
    want = rnn.forward(x)[0]
    np.testing.assert_array_equal(rnn.forward(torch.tensor(x, requires_grad=True))[0], want)
    x16 = torch.tensor(x).to(torch.bfloat16)
    np.testing.assert_array_equal(rnn.forward(x16)[0], rnn.forward(x16.double().numpy())[0])


def test_lstm_backward_names_a_wrong_trace():
    """forward()'s tuple gave "'tuple' object has no attribute 'f'"; NaN in trace.h gave
    NaN gradients. Now: what was expected (a Gates from lstm.trace) and what came."""
    model, rng = small_model("lstm", I=2, H=3, O=1)
    lstm, x = model.cell, rng.normal(size=(4, 5, 2))
    trace, dh = lstm.trace(x), rng.normal(size=(4, 3, 5))
    with pytest.raises(TypeError, match=r"Gates that lstm.trace\(x, h0, c0\) returns.*tuple of 3"):
        lstm_backward(lstm, x, lstm.forward(x), dh)
    with pytest.raises(TypeError, match="Gates"):
        lstm_backward(lstm, x, trace._asdict(), dh)
    for name in "figoch":
        bad = getattr(trace, name).copy()
        bad[1, 2, 3] = np.nan
        with pytest.raises(ValueError, match=f"trace.{name} must be finite"):
            lstm_backward(lstm, x, trace._replace(**{name: bad}), dh)
    with pytest.raises(ValueError, match=r"trace.f must lie in \[0, 1\]"):  # not a gate
        lstm_backward(lstm, x, trace._replace(f=trace.f_pre), dh)
    with pytest.raises(ValueError, match=r"trace.h must lie in \[-1, 1\]"):
        lstm_backward(lstm, x, trace._replace(h=trace.c * 10), dh)
    with pytest.raises(ValueError, match="dh must be finite"):
        lstm_backward(lstm, x, trace, np.full((4, 3, 5), np.inf))
    with pytest.raises(ValueError, match=r"dc_last must have shape \(3, 5\)"):
        lstm_backward(lstm, x, trace, dh, dc_last=np.ones(3))
    with pytest.raises(TypeError, match="lstm must be an lstm_core.LSTM"):
        lstm_backward(TanhRNN(2, 3), x, trace, dh)


def test_rnn_backward_names_wrong_outputs():
    rnn = TanhRNN(2, 3)
    x = np.random.default_rng(4).normal(size=(4, 5, 2))
    outputs, dh = rnn.forward(x)[0], np.ones((4, 3, 5))
    with pytest.raises(TypeError, match=r"rnn.forward\(x, h0\)\[0\].*tuple of 2"):
        rnn_backward(rnn, x, rnn.forward(x), dh)
    bad = outputs.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="outputs must be finite"):
        rnn_backward(rnn, x, bad, dh)
    with pytest.raises(ValueError, match=r"outputs must lie in \[-1, 1\]"):
        rnn_backward(rnn, x, outputs * 3, dh)
    with pytest.raises(TypeError, match="rnn must be an lstm_train.TanhRNN"):
        rnn_backward(LSTM(2, 3), x, outputs, dh)


def test_backward_of_an_empty_sequence_is_zero():
    """trace supports T = 0, and so does BPTT: with no step, L = sum(dc_last * c_T) and
    c_T = c_0, so dL/dc_0 = dc_last, dL/dh_0 = 0, and every parameter gradient is 0."""
    lstm, H, B = LSTM(2, 3), 3, 4
    x = np.zeros((0, B, 2))
    c0, dc_last = np.ones((H, B)), np.arange(12.0).reshape(H, B)
    trace = lstm.trace(x, None, c0)
    grads, dh0, dc0 = lstm_backward(lstm, x, trace, np.zeros((0, H, B)), None, c0, dc_last)
    assert set(grads) == {"Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"}
    for name, g in grads.items():
        assert g.shape == getattr(lstm, name).shape and not g.any(), name
    np.testing.assert_array_equal(dh0, np.zeros((H, B)))
    np.testing.assert_array_equal(dc0, dc_last)
    assert dc0 is not dc_last  # a new array
    _, _, dc0 = lstm_backward(lstm, x, trace, np.zeros((0, H, B)))
    np.testing.assert_array_equal(dc0, np.zeros((H, B)))
    rnn = TanhRNN(2, 3)
    grads, dh0 = rnn_backward(rnn, x, rnn.forward(x)[0], np.zeros((0, H, B)))
    np.testing.assert_array_equal(grads["W"], np.zeros((3, 5)))
    np.testing.assert_array_equal(grads["b"], np.zeros((3, 1)))
    np.testing.assert_array_equal(dh0, np.zeros((H, B)))


def test_backward_refuses_gradients_that_overflow():
    """A huge dL/dh: every term of a bias gradient has one sign, so their sum overflows
    in any order, on every machine; refused by name (before: inf and a RuntimeWarning)."""
    lstm = LSTM(1, 1)
    lstm.Wf, lstm.Wi, lstm.Wc, lstm.Wo = (np.zeros((1, 2)) for _ in range(4))
    lstm.bc = np.ones((1, 1))  # g = tanh(1) > 0, so c, tanh(c) and every do_pre are > 0
    x = np.zeros((1, 64, 1))
    for dtype, huge in ((np.float64, 1e308), (np.float32, 3e38)):
        trace = lstm.trace(x.astype(dtype))
        name = np.dtype(dtype).name
        with pytest.raises(ValueError, match=f"lstm_backward's gradients overflow {name}"):
            lstm_backward(lstm, x.astype(dtype), trace, np.full((1, 1, 64), huge, dtype))
    rnn = TanhRNN(1, 1)
    rnn.W = np.zeros((1, 2))
    out = rnn.forward(x)[0]  # h = 0: da = dh > 0 everywhere
    with pytest.raises(ValueError, match="rnn_backward's gradients overflow float64"):
        rnn_backward(rnn, x, out, np.full((1, 1, 64), 1e308))


def test_backward_of_a_large_but_representable_dh_is_exact():
    """BPTT is linear in dh: 1e200 dh gives 1e200 times the gradients of dh, no refusal."""
    model, rng = small_model("lstm", I=2, H=3, O=1)
    x, dh = rng.normal(size=(5, 4, 2)), rng.normal(size=(5, 3, 4))
    trace = model.cell.trace(x)
    small = lstm_backward(model.cell, x, trace, dh)
    large = lstm_backward(model.cell, x, trace, dh * 1e200)
    for name in small[0]:
        np.testing.assert_allclose(large[0][name], small[0][name] * 1e200, rtol=1e-12)
    np.testing.assert_allclose(large[1], small[1] * 1e200, rtol=1e-12)


def test_an_int_seed_works_where_a_generator_is_expected():
    """adding_problem(42, ...), Regressor(rng=42), train, init_for_training and reset_sum
    raised AttributeError; an int seed now means np.random.default_rng(seed)."""
    gen = np.random.default_rng
    for seed in (42, np.int64(42)):
        for got, want in zip(adding_problem(seed, 4, 10), adding_problem(gen(42), 4, 10),
                             strict=True):
            np.testing.assert_array_equal(got, want)
        for got, want in zip(reset_sum(seed, 3, 20), reset_sum(gen(42), 3, 20), strict=True):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(Regressor(LSTM(2, 3), rng=seed).Wy,
                                      Regressor(LSTM(2, 3), rng=gen(42)).Wy)
        np.testing.assert_array_equal(init_for_training(LSTM(2, 3), seed).Wf,
                                      init_for_training(LSTM(2, 3), gen(42)).Wf)
    np.testing.assert_array_equal(Regressor(LSTM(2, 3)).Wy, Regressor(LSTM(2, 3), rng=0).Wy)

    def task(r):
        return adding_problem(r, 4, 6)
    a, b = small_model("lstm", I=2, H=3, O=1)[0], small_model("lstm", I=2, H=3, O=1)[0]
    np.testing.assert_array_equal(train(a, task, 3, 7), train(b, task, 3, gen(7)))
    assert_same_parameters(a, snapshot(b))


@pytest.mark.parametrize("rng,error", [(True, TypeError), (1.5, TypeError), ("42", TypeError),
                                       (None, TypeError), ([1, 2], TypeError), (-1, ValueError),
                                       (np.random.RandomState(0), TypeError)])
def test_a_generator_of_another_type_is_refused(rng, error):
    model, task, _, _ = fixed_task()
    before = snapshot(model)
    calls = [lambda: adding_problem(rng, 4, 10), lambda: reset_sum(rng, 4, 10),
             lambda: init_for_training(model.cell, rng), lambda: train(model, task, 2, rng)]
    if rng is not None:  # Regressor's rng=None is its documented default, seed 0
        calls.append(lambda: Regressor(LSTM(2, 3), rng=rng))
    for call in calls:
        with pytest.raises(error, match="rng"):
            call()
    assert_same_parameters(model, before)


def test_set_parameters_gives_our_messages_and_assigns_all_or_nothing():
    model, _, _, _ = fixed_task()
    before = snapshot(model)
    with pytest.raises(TypeError, match="params must be a dict of name -> array; got list"):
        model.set_parameters([np.zeros((1, 3))])
    with pytest.raises(TypeError, match="Wy must be a real numeric array"):
        model.set_parameters({"Wy": "abc"})
    with pytest.raises(TypeError, match="Wy must be a numeric array"):
        model.set_parameters({"Wy": [[1.0, 2.0], [3.0]]})  # ragged
    with pytest.raises(ValueError, match=r"unknown names \[0, 'Wq'\]"):
        model.set_parameters({0: np.zeros(3), "Wq": np.zeros(3)})  # keys of mixed types
    with pytest.raises(ValueError, match=r"Wy must have shape \(1, 3\); got \(3,\)"):
        model.set_parameters({"Wy": np.zeros(3)})
    with pytest.raises(ValueError, match="by must be finite"):  # Wy is fine, by is not
        model.set_parameters({"Wy": np.ones((1, 3)), "by": np.array([[np.nan]])})
    assert_same_parameters(model, before)  # not even Wy was assigned
    source = np.ones((1, 3))
    model.set_parameters({"Wy": source})
    source[0, 0] = 5.0
    np.testing.assert_array_equal(model.Wy, np.ones((1, 3)))  # a copy


def test_train_checks_every_argument_before_the_first_step():
    model, task, _, _ = fixed_task()
    before = snapshot(model)
    calls = []

    def counting(r):
        calls.append(1)
        return task(r)

    for steps, error in ((-1, ValueError), (0, ValueError), (1.5, TypeError), (True, TypeError),
                         ("3", TypeError), (None, TypeError)):
        with pytest.raises(error, match="steps must be a positive integer"):
            train(model, counting, steps, 0)
    with pytest.raises(TypeError, match="model must be an lstm_train.Regressor; got LSTM"):
        train(model.cell, counting, 2, 0)
    with pytest.raises(TypeError, match="task must be a function"):
        train(model, task(None), 2, 0)
    with pytest.raises(TypeError, match="callback must be a function"):
        train(model, counting, 2, 0, callback=5)
    assert not calls
    assert_same_parameters(model, before)


@pytest.mark.parametrize("failure", ["bad targets at step 2", "a list at step 2", "lr = 1e308"])
def test_a_failed_train_call_changes_nothing(failure):
    """If step 2 fails, the parameters (and the generator) are put back as they were."""
    model, task, x, y = fixed_task()
    before = snapshot(model)
    rng = np.random.default_rng(5)
    rng_state = rng.bit_generator.state
    calls = []

    def task_failing(r):
        calls.append(r.random())
        if len(calls) == 3 and failure == "bad targets at step 2":
            return x, np.zeros((2, 5))
        if len(calls) == 3 and failure == "a list at step 2":
            return [x, y]
        return x, y

    lr = 1e308 if failure == "lr = 1e308" else 0.01  # step 0 makes the weights ~1e308
    with pytest.raises((ValueError, TypeError)) as info:
        train(model, task_failing, 5, rng, lr=lr)
    assert "train stopped at step" in "".join(getattr(info.value, "__notes__", []))
    assert_same_parameters(model, before)
    assert rng.bit_generator.state == rng_state
    assert len(calls) >= 2  # it did run some steps


def test_tasks_and_models_check_their_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        adding_problem(rng, 0, 10)
    with pytest.raises(ValueError, match="T >= 2"):
        adding_problem(rng, 4, 1)
    with pytest.raises(TypeError, match="T must be a positive integer"):
        adding_problem(rng, 4, 10.0)
    with pytest.raises(ValueError, match="3 <= min_length <= max_length"):
        reset_sum(rng, 4, 10, min_length=8, max_length=5)
    with pytest.raises(ValueError, match="output_size must be a positive integer; got 0"):
        Regressor(LSTM(2, 3), output_size=0)
    with pytest.raises(TypeError, match="every_step must be True or False"):
        Regressor(LSTM(2, 3), every_step="no")
    with pytest.raises(TypeError, match="cell must be an lstm_core.LSTM"):
        init_for_training("lstm", rng)
    cell = LSTM(2, 3)
    before = {n: getattr(cell, n).copy() for n in ("Wf", "bf")}
    for bias, error in ((np.nan, ValueError), (np.inf, ValueError), ("1", TypeError),
                        (True, TypeError), (None, TypeError)):
        with pytest.raises(error, match="forget_bias must be a finite number"):
            init_for_training(cell, rng, forget_bias=bias)
        for name, value in before.items():  # refused before any weight was drawn
            np.testing.assert_array_equal(getattr(cell, name), value)
    model, _, x, _ = fixed_task()
    with pytest.raises(TypeError, match="grads must be True or False"):
        model.loss_and_grads(x, np.zeros((1, 5)), grads="no")


def test_loss_and_grads_checks_targets_and_masks():
    model, _, x, _ = fixed_task()
    every, _, _, y_every = fixed_task("rnn", every_step=True)
    cases = [
        (model, np.zeros(5), None, ValueError, r"y \(the targets\) must have shape \(1, 5\)"),
        (model, np.full((1, 5), np.nan), None, ValueError, "y .* must be finite"),
        (model, np.full((1, 5), -np.inf), None, ValueError, "y .* must be finite"),
        (model, np.full((1, 5), "a"), None, TypeError, "real numeric array"),
        (model, np.full((1, 5), 1e200), None, ValueError, "the squared error overflows float64"),
        (every, y_every, np.ones((5, 4)), ValueError, r"mask must have shape \(4, 5\)"),
        (every, y_every, np.full((4, 5), np.nan), ValueError, "mask must be finite"),
        (every, y_every, np.full((4, 5), 0.5), ValueError, "mask must hold 0 or 1"),
        (every, y_every, -np.ones((4, 5)), ValueError, "mask must hold 0 or 1"),
        (every, y_every, np.zeros((4, 5)), ValueError, "the mask selects no step"),
    ]
    for m, y, mask, error, message in cases:
        with pytest.raises(error, match=message):
            m.loss_and_grads(x, y, mask)
    # float32: a float64 target beyond float32's range, or one whose square overflows there
    with pytest.raises(ValueError, match="does not fit float32"):
        model.loss_and_grads(x.astype(np.float32), np.full((1, 5), 1e300))
    with pytest.raises(ValueError, match="the squared error overflows float32"):
        model.loss_and_grads(x.astype(np.float32), np.full((1, 5), 1e30, np.float32))
    # nothing to average, or no last step to read
    with pytest.raises(ValueError, match="T = 0"):
        model.loss_and_grads(np.zeros((0, 5, 2)), np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"B = 0, so the loss would be 0 / 0"):
        model.loss_and_grads(np.zeros((4, 0, 2)), np.zeros((1, 0)))
    # a boolean mask is the same as its 0/1 floats
    mask = np.random.default_rng(1).random((4, 5)) < 0.5
    mask[-1] = True
    assert every.loss(x, y_every, mask) == every.loss(x, y_every, mask.astype(float))


def test_read_out_weights_that_could_overflow_are_refused():
    """|h_t| < 1 bounds the predictions by sum |W_y| + |b_y|: refused when that bound could
    overflow, whatever the summation order; huge predictions against the targets too."""
    model, _, x, y = fixed_task()
    model.Wy = np.full((1, 3), 1e308)
    for run in (lambda: model.loss_and_grads(x, y), lambda: model.predict(x)):
        with pytest.raises(ValueError, match="the read-out W_y h \\+ b_y could overflow"):
            run()
    model.Wy = np.full((1, 3), 1e200)  # representable predictions, squares beyond float64
    with pytest.raises(ValueError, match="the squared error overflows float64"):
        model.loss_and_grads(x, y)
