"""Tests for lstm_train: gradients against finite differences and PyTorch autograd
(committed fixtures and live), the optimizer, the toy tasks, bad inputs, and (slow) that
scripts/train_adding.py reproduces the committed weights of lesson 6."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

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
