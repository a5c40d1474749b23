"""Tests for lstm_core: by hand, against PyTorch (committed fixtures and live), properties,
and every bad input named in issue 2. Expected numbers never come from lstm_core itself."""

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_core import LSTM, Gates, sigmoid

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "lstm_core_reference.npz"
GATE_NAMES = ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo")
PROPERTIES = settings(max_examples=30, derandomize=True, deadline=None)


def random_lstm(I, H, seed, scale=1.0):
    """An LSTM whose eight attributes are drawn from a seeded generator (biases non-zero)."""
    rng = np.random.default_rng(seed)
    lstm = LSTM(I, H)
    for name in GATE_NAMES:
        shape = (H, H + I) if name[0] == "W" else (H, 1)
        setattr(lstm, name, scale * rng.normal(size=shape))
    return lstm


def by_hand(weights, xs, h0, c0):
    """The equations with Python floats and math.exp / math.tanh, one unit at a time.
    weights: name -> nested lists; xs: list of input lists; h0, c0: lists of H floats."""

    def sig(v):
        return 1.0 / (1.0 + math.exp(-v))

    def pre(name, z, j):  # row j of W z + b
        W, b = weights["W" + name], weights["b" + name]
        return sum(W[j][k] * z[k] for k in range(len(z))) + b[j][0]

    h, c, hs = list(h0), list(c0), []
    for x in xs:
        z = h + list(x)  # [h_{t-1}; x_t], hidden state first
        H = len(h)
        f = [sig(pre("f", z, j)) for j in range(H)]
        i = [sig(pre("i", z, j)) for j in range(H)]
        g = [math.tanh(pre("c", z, j)) for j in range(H)]
        o = [sig(pre("o", z, j)) for j in range(H)]
        c = [f[j] * c[j] + i[j] * g[j] for j in range(H)]
        h = [o[j] * math.tanh(c[j]) for j in range(H)]
        hs.append(dict(f=f, i=i, g=g, o=o, c=c, h=h))
    return hs


# ---- by hand and the problem statement's contract -------------------------------------

HAND_WEIGHTS = {  # H = 2, I = 1: each W is (2, 3) acting on [h1, h2, x]
    "Wf": [[0.5, -0.2, 0.3], [0.1, 0.4, -0.6]],
    "Wi": [[-0.3, 0.8, 0.2], [0.7, -0.5, 0.9]],
    "Wc": [[0.6, 0.1, -0.4], [-0.2, 0.3, 0.5]],
    "Wo": [[0.2, -0.7, 0.8], [0.4, 0.6, -0.1]],
    "bf": [[1.0], [0.5]], "bi": [[-0.5], [0.0]], "bc": [[0.2], [-0.1]], "bo": [[0.3], [0.7]],
}


def hand_lstm():
    lstm = LSTM(1, 2)
    for name, value in HAND_WEIGHTS.items():
        setattr(lstm, name, np.array(value))
    return lstm


def test_one_step_matches_hand_arithmetic():
    h0, c0, x = [0.1, -0.3], [0.5, -1.2], [0.7]
    want = by_hand(HAND_WEIGHTS, [x], h0, c0)[0]
    # the same step written out for unit 0 only, to show the arithmetic in full
    z = [0.1, -0.3, 0.7]
    f0 = 1 / (1 + math.exp(-(0.5 * z[0] - 0.2 * z[1] + 0.3 * z[2] + 1.0)))
    i0 = 1 / (1 + math.exp(-(-0.3 * z[0] + 0.8 * z[1] + 0.2 * z[2] - 0.5)))
    g0 = math.tanh(0.6 * z[0] + 0.1 * z[1] - 0.4 * z[2] + 0.2)
    o0 = 1 / (1 + math.exp(-(0.2 * z[0] - 0.7 * z[1] + 0.8 * z[2] + 0.3)))
    c_0 = f0 * 0.5 + i0 * g0
    assert want["h"][0] == pytest.approx(o0 * math.tanh(c_0), abs=1e-15)

    lstm = hand_lstm()
    s = lstm.step(np.array(x), np.array([h0]).T, np.array([c0]).T)
    assert isinstance(s, Gates)
    for name in ("f", "i", "g", "o", "c", "h"):
        assert getattr(s, name).shape == (2, 1)
        np.testing.assert_allclose(getattr(s, name)[:, 0], want[name], rtol=0, atol=1e-14)
    outputs, h, c = lstm.forward(np.array([x]), np.array([h0]).T, np.array([c0]).T)
    np.testing.assert_allclose(h[:, 0], want["h"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(c[:, 0], want["c"], rtol=0, atol=1e-14)


def test_example_1_shape_contract():
    np.random.seed(42)
    input_sequence = np.array([[1.0], [2.0], [3.0]])
    lstm = LSTM(input_size=1, hidden_size=1)
    assert [getattr(lstm, n).shape for n in GATE_NAMES] == [(1, 2)] * 4 + [(1, 1)] * 4
    assert all(not getattr(lstm, n).any() for n in ("bf", "bi", "bc", "bo"))
    outputs, final_h, final_c = lstm.forward(input_sequence, np.zeros((1, 1)), np.zeros((1, 1)))
    assert outputs.shape == (3, 1, 1)
    assert final_h.shape == (1, 1) and final_c.shape == (1, 1)
    assert np.all(np.abs(outputs) < 1) and np.isfinite(final_c).all()
    assert np.abs(final_c) < 3  # |c_t| <= |c_{t-1}| + 1 over three steps from 0
    assert final_h == outputs[-1]
    # the same weights by hand
    weights = {n: getattr(lstm, n).tolist() for n in GATE_NAMES}
    want = by_hand(weights, input_sequence.tolist(), [0.0], [0.0])
    np.testing.assert_allclose(outputs[:, 0, 0], [s["h"][0] for s in want], rtol=0, atol=1e-14)


def test_assigning_the_eight_attributes_changes_forward():
    lstm = hand_lstm()
    xs = [[0.5], [-1.0], [2.0], [0.3]]
    h0, c0 = [0.2, -0.1], [0.4, 0.9]
    before, _, _ = lstm.forward(np.array(xs), np.array([h0]).T, np.array([c0]).T)
    want = by_hand(HAND_WEIGHTS, xs, h0, c0)
    np.testing.assert_allclose(before[:, :, 0], [s["h"] for s in want], rtol=0, atol=1e-14)

    changed = dict(HAND_WEIGHTS, Wo=[[1.5, 0.0, -2.0], [0.3, 0.3, 0.3]], bf=[[-2.0], [3.0]])
    lstm.Wo = np.array(changed["Wo"])
    lstm.bf = changed["bf"]  # a nested list is accepted too
    after, h, c = lstm.forward(np.array(xs), np.array([h0]).T, np.array([c0]).T)
    want = by_hand(changed, xs, h0, c0)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after[:, :, 0], [s["h"] for s in want], rtol=0, atol=1e-14)
    np.testing.assert_allclose(c[:, 0], want[-1]["c"], rtol=0, atol=1e-14)
    tr = lstm.trace(np.array(xs), np.array([h0]).T, np.array([c0]).T)
    np.testing.assert_allclose(tr.f[:, :, 0], [s["f"] for s in want], rtol=0, atol=1e-14)


# ---- against PyTorch: the committed fixtures -----------------------------------------


def load_make_fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", HERE / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines CASES; imports torch only inside main()
    return module


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURES, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_fixture_file_matches_its_script(reference):
    cases = load_make_fixtures().CASES
    np.testing.assert_array_equal(reference["cases"], cases,
                                  err_msg="rerun python tests/make_fixtures.py")
    assert FIXTURES.stat().st_size < 1_000_000


def fixture_case(reference, k):
    T, B, I, H, bias, init, scale, batched = reference["cases"][k].tolist()
    case = {key.split("/")[1]: value for key, value in reference.items()
            if key.startswith(f"case{k}/")}
    sd = {key: value for key, value in case.items() if key.endswith("_l0")}
    x, h0, c0 = case["x"], case["h0"][0].T, case["c0"][0].T  # torch (1, B, H) -> ours (H, B)
    if not batched:
        x = x[:, 0, :]  # (T, I): the problem statement's unbatched call
    want = (case["outputs"].transpose(0, 2, 1), case["h_n"][0].T, case["c_n"][0].T)
    return sd, x, h0, c0, want, bool(bias)


@pytest.mark.parametrize("k", range(len(load_make_fixtures().CASES)))
def test_matches_torch_fixtures(reference, k):
    sd, x, h0, c0, (want_out, want_h, want_c), bias = fixture_case(reference, k)
    lstm = LSTM.from_torch(sd)
    assert set(sd) == ({"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"} if bias
                       else {"weight_ih_l0", "weight_hh_l0"})
    outputs, h, c = lstm.forward(x, h0, c0)
    np.testing.assert_allclose(outputs, want_out, rtol=0, atol=1e-10)
    np.testing.assert_allclose(h, want_h, rtol=0, atol=1e-10)
    np.testing.assert_allclose(c, want_c, rtol=0, atol=1e-10)
    tr = lstm.trace(x, h0, c0)
    np.testing.assert_allclose(tr.h, want_out, rtol=0, atol=1e-10)
    np.testing.assert_allclose(tr.c[-1], want_c, rtol=0, atol=1e-10)
    # and back to PyTorch's layout
    exported = lstm.to_torch()
    for key in ("weight_ih_l0", "weight_hh_l0"):
        np.testing.assert_array_equal(exported[key], sd[key])
    bias_sum = sd["bias_ih_l0"] + sd["bias_hh_l0"] if bias else 0.0
    np.testing.assert_allclose(exported["bias_ih_l0"] + exported["bias_hh_l0"], bias_sum,
                               rtol=0, atol=1e-15)


# ---- against PyTorch, live (required in CI: LSTM_REQUIRE_TORCH=1) ----------------------


def torch_run(torch, module, x, h0, c0):
    """torch.nn.LSTM on our layout: x (T, B, I), states (H, B) -> outputs (T, H, B)."""
    with torch.no_grad():
        out, (h_n, c_n) = module(torch.from_numpy(x), (torch.from_numpy(h0.T[None].copy()),
                                                       torch.from_numpy(c0.T[None].copy())))
    return out.numpy().transpose(0, 2, 1), h_n[0].numpy().T, c_n[0].numpy().T


@pytest.mark.torch_live
def test_matches_torch_live_over_random_shapes(torch):
    rng = np.random.default_rng(7)
    torch.manual_seed(7)
    for trial in range(24):
        T = int(rng.choice([1, 2, 5, 17, 60, 150, 300]))
        B, I, H = (int(v) for v in rng.integers(1, [6, 10, 20]))
        module = torch.nn.LSTM(I, H, bias=bool(trial % 5)).double()
        with torch.no_grad():
            for p in module.parameters():
                p.mul_(float(rng.uniform(0.5, 4.0)))
        x = rng.normal(0, 2, size=(T, B, I))
        h0, c0 = rng.normal(0, 0.8, size=(H, B)), rng.normal(0, 2, size=(H, B))
        want = torch_run(torch, module, x, h0, c0)
        source = module if trial % 2 else module.state_dict()  # the module or its state_dict
        got = LSTM.from_torch(source).forward(x, h0, c0)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-10, err_msg=f"trial {trial}")


@pytest.mark.torch_live
def test_to_torch_round_trip_live(torch):
    lstm = random_lstm(I=3, H=5, seed=3, scale=1.5)
    module = torch.nn.LSTM(3, 5).double()
    module.load_state_dict({k: torch.from_numpy(v) for k, v in lstm.to_torch().items()})
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 4, 3))
    h0, c0 = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    for g, w in zip(lstm.forward(x, h0, c0), torch_run(torch, module, x, h0, c0), strict=True):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-10)
    again = LSTM.from_torch(module)
    for name in GATE_NAMES:
        np.testing.assert_allclose(getattr(again, name), getattr(lstm, name), rtol=0, atol=1e-15)


@pytest.mark.torch_live
def test_bias_false_live(torch):
    module = torch.nn.LSTM(2, 3, bias=False).double()
    lstm = LSTM.from_torch(module)
    assert all(not getattr(lstm, b).any() for b in ("bf", "bi", "bc", "bo"))
    x = np.random.default_rng(0).normal(size=(30, 2))
    h0, c0 = np.full((3, 1), 0.3), np.full((3, 1), -0.5)
    for g, w in zip(lstm.forward(x, h0, c0), torch_run(torch, module, x[:, None], h0, c0),
                    strict=True):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-10)


@pytest.mark.torch_live
@pytest.mark.parametrize("kwargs, word", [
    ({"num_layers": 2}, "layer"),
    ({"bidirectional": True}, "direction"),
    ({"proj_size": 2}, "proj_size"),
])
def test_rejects_what_the_core_cannot_represent_live(torch, kwargs, word):
    module = torch.nn.LSTM(4, 3, **kwargs)
    with pytest.raises(ValueError, match=word):
        LSTM.from_torch(module)
    with pytest.raises(ValueError, match=word):
        LSTM.from_torch(module.state_dict())


# ---- properties -------------------------------------------------------------------------


@st.composite
def problems(draw, max_T=12):
    """A random LSTM, input and non-zero initial states (numbers from a seeded generator)."""
    T = draw(st.integers(1, max_T))
    B, I, H = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.1, 1.0, 3.0, 10.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lstm = random_lstm(I, H, seed, scale)
    x = rng.normal(0, 2, size=(T, B, I))
    return lstm, x, rng.normal(size=(H, B)), rng.normal(0, 3, size=(H, B))


@PROPERTIES
@given(problems())
def test_gates_and_states_stay_in_range(problem):
    lstm, x, h0, c0 = problem
    tr = lstm.trace(x, h0, c0)
    for name in ("f", "i", "o"):
        gate, pre = getattr(tr, name), getattr(tr, name + "_pre")
        assert np.all((gate >= 0) & (gate <= 1))
        # Strictly inside (0, 1) only for moderate pre-activations: in float64
        # sigma(40) = (1 + tanh(20)) / 2 rounds to exactly 1.0 (tanh(20) is 1 - 8e-18,
        # below half an ulp of 1), and sigma(-40) to 0.0. Saturation is not a bug.
        moderate = np.abs(pre) < 30
        assert np.all((gate[moderate] > 0) & (gate[moderate] < 1))
    assert np.all(np.abs(tr.g) <= 1) and np.all(np.abs(tr.h) <= 1)
    c_prev = np.concatenate([c0[None], tr.c[:-1]])
    assert np.all(np.abs(tr.c) <= np.abs(c_prev) + 1 + 1e-12 * (np.abs(c_prev) + 1))


@PROPERTIES
@given(problems())
def test_batch_equals_loop_over_sequences(problem):
    lstm, x, h0, c0 = problem
    outputs, h, c = lstm.forward(x, h0, c0)
    for b in range(x.shape[1]):
        out_b, h_b, c_b = lstm.forward(x[:, b], h0[:, b:b + 1], c0[:, b:b + 1])
        np.testing.assert_allclose(out_b[:, :, 0], outputs[:, :, b], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(h_b[:, 0], h[:, b], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(c_b[:, 0], c[:, b], rtol=1e-12, atol=1e-13)


@PROPERTIES
@given(problems(max_T=40))
def test_fast_path_equals_readable_path(problem):
    lstm, x, h0, c0 = problem
    outputs, h, c = lstm.forward(x, h0, c0)
    tr = lstm.trace(x, h0, c0)
    np.testing.assert_allclose(outputs, tr.h, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(h, tr.h[-1], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(c, tr.c[-1], rtol=1e-11, atol=1e-12)


@PROPERTIES
@given(problems(max_T=8))
def test_float32_in_gives_float32_out(problem):
    lstm, x, h0, c0 = problem
    x32, h32, c32 = x.astype(np.float32), h0.astype(np.float32), c0.astype(np.float32)
    got = lstm.forward(x32, h32, c32)
    assert all(v.dtype == np.float32 for v in got)
    tr = lstm.trace(x32, h32, c32)
    assert all(v.dtype == np.float32 for v in tr)
    assert lstm.step(x32[0], h32, c32).h.dtype == np.float32
    # the float64 run on the same (float32-rounded) numbers
    want = lstm.forward(x32.astype(np.float64), h32.astype(np.float64), c32.astype(np.float64))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=0, atol=2e-3 * max(1.0, np.abs(w).max()))
    np.testing.assert_allclose(got[0], tr.h, rtol=0, atol=1e-4 * max(1.0, np.abs(c0).max()))


@PROPERTIES
@given(problems())
def test_step_agrees_with_trace(problem):
    lstm, x, h, c = problem
    tr = lstm.trace(x, h, c)
    for t in range(x.shape[0]):
        s = lstm.step(x[t], h, c)
        for name in Gates._fields:
            np.testing.assert_allclose(getattr(s, name), getattr(tr, name)[t], rtol=0, atol=0)
        h, c = s.h, s.c
    # one sequence: x_t of shape (I,)
    s = lstm.step(x[0, 0], h[:, :1], c[:, :1])
    assert s.h.shape == (lstm.hidden_size, 1)


# ---- a stable sigmoid, and huge inputs ---------------------------------------------------


def test_sigmoid_is_stable_at_extremes():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        values = sigmoid(np.array([1e6, -1e6, 800.0, -800.0, 0.0]))
        np.testing.assert_array_equal(values, [1.0, 0.0, 1.0, 0.0, 0.5])
        assert sigmoid(-1e6) == 0.0 and sigmoid(1e6) == 1.0
        assert sigmoid(np.float32(-1e6)) == 0.0
        lstm = random_lstm(3, 4, seed=1, scale=1e3)
        x = np.array([[1e6, -1e6, 3.0], [-1e6, 1e6, 0.0]])
        outputs, h, c = lstm.forward(x)
        tr = lstm.trace(x)
    assert np.isfinite(outputs).all() and np.isfinite(c).all()
    np.testing.assert_allclose(outputs, tr.h, rtol=0, atol=1e-12)
    assert set(np.unique(tr.f)) <= {0.0, 1.0}  # saturated, not NaN


def test_sigmoid_values():
    for v in (-30.0, -3.0, -0.5, 0.0, 0.25, 2.0, 30.0):
        # absolute accuracy: for very negative v, 1 + tanh(v / 2) cancels, so sigma(-30)
        # (about 9.4e-14) is right to 1e-16 absolute but only to 2e-4 relative
        assert sigmoid(v) == pytest.approx(1 / (1 + math.exp(-v)), rel=1e-12, abs=1e-16)


# ---- empty sequences (documented in forward's docstring) ---------------------------------


@pytest.mark.parametrize("B", [None, 3])
def test_empty_sequence_returns_initial_states(B):
    lstm = random_lstm(2, 4, seed=5)
    batch = 1 if B is None else B
    x = np.empty((0, 2)) if B is None else np.empty((0, B, 2))
    h0, c0 = np.full((4, batch), 0.25), np.full((4, batch), -2.0)
    outputs, h, c = lstm.forward(x, h0, c0)
    assert outputs.shape == (0, 4, batch)
    np.testing.assert_array_equal(h, h0)
    np.testing.assert_array_equal(c, c0)
    assert h is not h0 and c is not c0
    tr = lstm.trace(x, h0, c0)
    assert all(field.shape == (0, 4, batch) for field in tr)
    outputs, h, c = lstm.forward(np.empty((0, 2)))  # no states: zeros
    assert outputs.shape == (0, 4, 1) and not h.any() and not c.any()


# ---- bad input: our own error, naming what was expected and what came ---------------------

H_, I_ = 3, 2


def good():
    return random_lstm(I_, H_, seed=0), np.ones((4, I_)), np.zeros((H_, 1)), np.zeros((H_, 1))


@pytest.mark.parametrize("x, error, word", [
    (np.ones((4, I_ + 1)), ValueError, "input_size=2"),
    (np.ones((4, 2, I_ + 1)), ValueError, "input_size=2"),
    (np.ones(4), ValueError, "1-D"),
    (np.ones((1, 4, 2, I_)), ValueError, "4-D"),
    (np.float64(1.0), ValueError, "0-D"),
    (np.array([["a", "b"]] * 4), TypeError, "<U1"),
    (np.ones((4, I_)) * 1j, TypeError, "complex"),
    (np.array([[1.0, None]] * 4), TypeError, "object"),
    ([[1.0, 2.0], [3.0]], TypeError, "numeric"),
    (np.array([[1.0, np.nan]] * 4), ValueError, "finite"),
    (np.array([[1.0, np.inf]] * 4), ValueError, "finite"),
])
def test_bad_x(x, error, word):
    lstm, _, h0, c0 = good()
    with pytest.raises(error, match=word):
        lstm.forward(x, h0, c0)
    with pytest.raises(error, match=word):
        lstm.trace(x, h0, c0)


@pytest.mark.parametrize("which", ["h0", "c0"])
@pytest.mark.parametrize("state, error, word", [
    (np.zeros(H_), ValueError, r"\(3, 1\)"),
    (np.zeros((1, H_)), ValueError, "shape"),
    (np.zeros((H_ + 1, 1)), ValueError, "hidden_size"),
    (np.zeros((H_, 2)), ValueError, "batch"),
    (np.zeros((H_, 1, 1)), ValueError, "shape"),
    (np.full((H_, 1), np.nan), ValueError, "finite"),
    (np.full((H_, 1), -np.inf), ValueError, "finite"),
    (np.full((H_, 1), "0"), TypeError, "numeric"),
    (np.zeros((H_, 1), complex), TypeError, "complex"),
])
def test_bad_states(which, state, error, word):
    lstm, x, h0, c0 = good()
    kwargs = {"h0": h0, "c0": c0, which: state}
    with pytest.raises(error, match=word):
        lstm.forward(x, kwargs["h0"], kwargs["c0"])
    with pytest.raises(error, match=word):
        lstm.step(x[0], kwargs["h0"], kwargs["c0"])


@pytest.mark.parametrize("x_t, error, word", [
    (np.ones(I_ + 1), ValueError, "input_size=2"),
    (np.ones((1, 1, I_)), ValueError, "x_t"),
    (np.float64(1.0), ValueError, "x_t"),
    ([[1.0], [2.0, 3.0]], TypeError, "numeric"),
    (np.array(["a", "b"]), TypeError, "numeric"),
])
def test_bad_step_input(x_t, error, word):
    lstm, _, h0, c0 = good()
    with pytest.raises(error, match=word):
        lstm.step(x_t, h0, c0)


@pytest.mark.parametrize("size, error", [
    (0, ValueError), (-2, ValueError), (2.0, TypeError), (2.5, TypeError),
    (True, TypeError), (np.bool_(True), TypeError), ("3", TypeError), (None, TypeError),
])
@pytest.mark.parametrize("which", ["input_size", "hidden_size"])
def test_bad_sizes(which, size, error):
    kwargs = {"input_size": 2, "hidden_size": 3, which: size}
    with pytest.raises(error, match=f"{which} must be a positive integer"):
        LSTM(**kwargs)


def test_numpy_integer_sizes_are_fine():
    lstm = LSTM(np.int64(2), np.int32(3))
    assert (lstm.input_size, lstm.hidden_size) == (2, 3) and type(lstm.hidden_size) is int


@pytest.mark.parametrize("name, value, error, word", [
    ("Wf", np.zeros((H_, H_)), ValueError, r"LSTM\.Wf must have shape \(3, 5\)"),
    ("Wc", np.zeros((H_ + I_, H_)), ValueError, "hidden, hidden \\+ input"),
    ("bi", np.zeros(H_), ValueError, r"LSTM\.bi must have shape \(3, 1\)"),
    ("bo", np.zeros((1, H_)), ValueError, "got \\(1, 3\\)"),
    ("Wo", np.full((H_, H_ + I_), np.nan), ValueError, "LSTM.Wo must be finite"),
    ("bf", np.full((H_, 1), np.inf), ValueError, "LSTM.bf must be finite"),
    ("Wi", "weights", TypeError, "LSTM.Wi must be a real numeric"),
    ("bc", np.zeros((H_, 1), complex), TypeError, "complex"),
])
def test_bad_weights_assigned(name, value, error, word):
    lstm, x, h0, c0 = good()
    setattr(lstm, name, value)
    for call in (lambda: lstm.forward(x, h0, c0), lambda: lstm.trace(x, h0, c0),
                 lambda: lstm.step(x[0], h0, c0), lstm.to_torch):
        with pytest.raises(error, match=word):
            call()


def torch_layout(I=2, H=3, seed=0):
    rng = np.random.default_rng(seed)
    return {"weight_ih_l0": rng.normal(size=(4 * H, I)),
            "weight_hh_l0": rng.normal(size=(4 * H, H)),
            "bias_ih_l0": rng.normal(size=4 * H), "bias_hh_l0": rng.normal(size=4 * H)}


def test_from_torch_without_torch_round_trip():
    sd = torch_layout()
    lstm = LSTM.from_torch(sd)
    assert (lstm.input_size, lstm.hidden_size) == (2, 3)
    # PyTorch's rows are i, f, g, o: the forget gate is the second block of three rows
    np.testing.assert_array_equal(lstm.Wf, np.hstack([sd["weight_hh_l0"], sd["weight_ih_l0"]])[3:6])
    np.testing.assert_array_equal(lstm.bc[:, 0], (sd["bias_ih_l0"] + sd["bias_hh_l0"])[6:9])
    back = lstm.to_torch()
    assert all(v.dtype == np.float64 for v in back.values())
    again = LSTM.from_torch(back)
    for name in GATE_NAMES:
        np.testing.assert_array_equal(getattr(again, name), getattr(lstm, name))


def _without(sd, key):
    return {k: v for k, v in sd.items() if k != key}


@pytest.mark.parametrize("change, error, word", [
    (lambda sd: _without(sd, "weight_hh_l0"), ValueError, "missing"),
    (lambda sd: _without(sd, "weight_ih_l0"), ValueError, "missing"),
    (lambda sd: _without(sd, "bias_hh_l0"), ValueError, "both bias_ih_l0 and bias_hh_l0"),
    (lambda sd: {**sd, "weight_ih_l0": np.zeros((13, 2))}, ValueError, "4H"),
    (lambda sd: {**sd, "weight_hh_l0": np.zeros((12, 4))}, ValueError, r"\(12, 4\)"),
    (lambda sd: {**sd, "weight_ih_l0": np.zeros(12)}, ValueError, "2-D"),
    (lambda sd: {**sd, "weight_ih_l0": np.zeros((0, 2))}, ValueError, "4H"),
    (lambda sd: {**sd, "bias_ih_l0": np.zeros(11)}, ValueError, "bias_ih_l0 of shape"),
    (lambda sd: {**sd, "bias_hh_l0": np.zeros((12, 1))}, ValueError, "bias_hh_l0 of shape"),
    (lambda sd: {**sd, "weight_hh_l0": np.full((12, 3), np.nan)}, ValueError, "finite"),
    (lambda sd: {**sd, "bias_ih_l0": np.full(12, np.inf)}, ValueError, "finite"),
    (lambda sd: {**sd, "weight_ih_l0": np.full((12, 2), "w")}, TypeError, "numeric"),
    (lambda sd: {**sd, "weight_ih_l1": np.zeros((12, 3))}, ValueError, "one layer"),
    (lambda sd: {**sd, "weight_ih_l0_reverse": np.zeros((12, 2))}, ValueError, "direction"),
    (lambda sd: {**sd, "weight_hr_l0": np.zeros((2, 3))}, ValueError, "proj_size"),
    (lambda sd: list(sd.values()), TypeError, "mapping"),
    (lambda sd: None, TypeError, "NoneType"),
])
def test_bad_state_dict(change, error, word):
    with pytest.raises(error, match=word):
        LSTM.from_torch(change(torch_layout()))


# ---- issue 8: overflow, threads, memory, torch tensors and state dicts ------------------

def test_products_that_overflow_are_refused_by_both_paths():
    """The issue's case: 3e308 - 3e308 overflows or not by the CPU's BLAS kernel. The
    bound sum |W| |z| is machine-independent, so both paths refuse it everywhere."""
    lstm = LSTM(2, 1)
    for name in ("Wf", "Wi", "Wc", "Wo"):
        setattr(lstm, name, np.array([[0.5, 3.0, -3.0]]))
    x = np.full((3, 2), 1e308)  # finite, so the input check lets it through
    for run in (lstm.forward, lstm.trace, lambda x: lstm.step(x[0], np.zeros((1, 1)),
                                                             np.zeros((1, 1)))):
        with pytest.raises(ValueError, match="overflow float64"):
            run(x)


def test_large_state_or_weights_also_count_in_the_bound():
    lstm = random_lstm(2, 3, seed=4)
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match="overflow"):
        lstm.forward(x, np.full((3, 1), 1e308))
    lstm.Wo = np.full((3, 5), 1e308)  # finite weights whose row sums overflow
    for run in (lstm.forward, lstm.trace):
        with pytest.raises(ValueError, match="overflow"):
            run(x)


def test_float32_bound_is_float32s():
    lstm = random_lstm(2, 3, seed=5)
    for name in GATE_NAMES[:4]:
        setattr(lstm, name, np.ones((3, 5)))  # each row sums 2 x 1e38 + 3 |h|: > float32 max / 4
    x = np.full((2, 2), 1e38, np.float32)  # finite in float32, but not its sums
    with pytest.raises(ValueError, match="overflow float32"):
        lstm.forward(x)
    out = lstm.forward(x.astype(np.float64))[0]
    assert np.isfinite(out).all()


MAGNITUDES = st.integers(-300, 308).map(lambda e: 10.0 ** e)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(w=MAGNITUDES, x_scale=MAGNITUDES, h_scale=MAGNITUDES, seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_forward_and_trace_agree_over_extreme_magnitudes(w, x_scale, h_scale, seed, dtype):
    """Either both paths refuse with the overflow error, or both return finite states that
    agree to within the round-off bound of the pre-activations, |error| <= n u S.
    (Near-cancelling products of huge magnitude make that bound wide: no order of
    summation is "right" then, and the test asserts only what holds on every machine.)"""
    T, B, I, H = 4, 2, 3, 2
    rng = np.random.default_rng(seed)
    lstm = random_lstm(I, H, seed, scale=1.0)
    for name in GATE_NAMES:
        setattr(lstm, name, getattr(lstm, name) * w)
    with np.errstate(over="ignore"):  # building the inputs, not under test
        x = (rng.normal(size=(T, B, I)) * x_scale).astype(dtype)
        h0 = (rng.normal(size=(H, B)) * h_scale).astype(dtype)
    if not (np.isfinite(x).all() and np.isfinite(h0).all()):
        return  # the inputs themselves overflowed the dtype: the input check's business
    results = []
    for run in (lstm.forward, lstm.trace):
        try:
            results.append(run(x, h0))
        except ValueError as e:  # the products, or weights cast to float32, overflow
            assert "overflow" in str(e) or "does not fit float32" in str(e)
            results.append(str(e))
    forward, trace = results
    if isinstance(forward, str) or isinstance(trace, str):
        assert forward == trace  # the same refusal
        return
    outputs, h, c = forward
    for field in (trace.f, trace.i, trace.o):
        assert np.isfinite(field).all() and (field >= 0).all() and (field <= 1).all()
    assert np.isfinite(outputs).all() and np.isfinite(c).all()
    assert (np.abs(outputs) <= 1).all()
    # S: the bound on every pre-activation's terms, computed independently in float64
    W = np.abs(np.vstack([getattr(lstm, n) for n in GATE_NAMES[:4]]))
    z_max = np.concatenate([np.full(H, max(1.0, np.abs(h0).max())), np.full(I, np.abs(x).max())])
    S = (W @ z_max).max() + max(np.abs(getattr(lstm, n)).max() for n in GATE_NAMES[4:])
    u = np.finfo(dtype).eps
    tol = 10 * T * (H + I + 1) * u * max(S, 1.0)  # per-step gate error <= n u S, summed over T
    np.testing.assert_allclose(outputs, trace.h, rtol=0, atol=tol)
    np.testing.assert_allclose(c, trace.c[-1], rtol=0, atol=tol * (1 + T))


def test_forward_from_threads_gives_each_thread_its_own_answer():
    """One LSTM object, several threads, different inputs: each gets what a call alone
    gives (the old shared workspace gave wrong outputs in 20 of 20 trials)."""
    import threading

    lstm = random_lstm(4, 8, seed=6, scale=0.5)
    rng = np.random.default_rng(7)
    xs = [rng.normal(size=(400, 16, 4)) for _ in range(4)]
    alone = [lstm.forward(x)[0] for x in xs]
    got = [None] * len(xs)

    def work(k):
        for _ in range(5):
            got[k] = lstm.forward(xs[k])[0]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(len(xs)):
        np.testing.assert_allclose(got[k], alone[k], rtol=0, atol=1e-12)


def test_forward_keeps_nothing_and_allocates_little_beyond_its_outputs():
    import tracemalloc

    from lstm_core import PROJECTION_CHUNK

    lstm = random_lstm(1, 4, seed=8)
    x = np.random.default_rng(9).normal(size=(100_000, 1, 1))  # projection: 12.8 MB
    before = dict(vars(lstm))
    tracemalloc.start()
    outputs = lstm.forward(x)[0]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert {k: type(v) for k, v in vars(lstm).items()} == {k: type(v) for k, v in
                                                            before.items()}
    assert set(vars(lstm)) == {"input_size", "hidden_size", *GATE_NAMES}
    # the outputs, one chunk of the projection (8 bytes a number), and small change
    assert peak <= outputs.nbytes + 8 * PROJECTION_CHUNK + 1_000_000, peak


def test_chunked_projection_equals_the_readable_path_across_chunk_edges(monkeypatch):
    import lstm_core

    monkeypatch.setattr(lstm_core, "PROJECTION_CHUNK", 3 * 4 * 2 * 2)  # 3 steps a chunk
    lstm = random_lstm(3, 2, seed=10)
    x = np.random.default_rng(11).normal(size=(10, 2, 3))
    h0, c0 = np.full((2, 2), 0.3), np.full((2, 2), -0.2)
    outputs, h, c = lstm.forward(x, h0, c0)
    trace = lstm.trace(x, h0, c0)
    np.testing.assert_allclose(outputs, trace.h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c, trace.c[-1], rtol=0, atol=1e-12)


def test_weights_beyond_float32_are_named_on_a_float32_call():
    lstm = random_lstm(2, 3, seed=12)
    lstm.Wi = np.full((3, 5), 1e39)
    with pytest.raises(ValueError, match="LSTM.Wi does not fit float32"):
        lstm.forward(np.ones((2, 2), np.float32))


def test_masked_arrays_are_refused_not_unmasked():
    lstm = random_lstm(2, 3, seed=13)
    x = np.ma.masked_array(np.ones((2, 2)), mask=[[0, 1], [0, 0]])
    with pytest.raises(TypeError, match="masked"):
        lstm.forward(x)


def test_impossible_sizes_get_a_clear_memory_error():
    with pytest.raises(MemoryError, match="hidden_size"):
        LSTM(1, 10**7)


def test_sigmoid_refuses_non_numbers():
    with pytest.raises(TypeError, match="numeric"):
        sigmoid("1.0")


@pytest.mark.torch_live
def test_tensors_that_require_grad_are_accepted_everywhere(torch):
    lstm = random_lstm(3, 2, seed=14)
    x = np.random.default_rng(15).normal(size=(5, 3))
    xt = torch.tensor(x, requires_grad=True)
    h0 = torch.zeros(2, 1, dtype=torch.float64, requires_grad=True)
    np.testing.assert_array_equal(lstm.forward(xt, h0, h0)[0], lstm.forward(x)[0])
    np.testing.assert_array_equal(lstm.trace(xt).h, lstm.trace(x).h)
    np.testing.assert_array_equal(lstm.step(xt[0], h0, h0).h,
                                  lstm.step(x[0], np.zeros((2, 1)), np.zeros((2, 1))).h)


@pytest.mark.torch_live
def test_from_torch_of_a_bfloat16_module(torch):
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 2)
    lstm = LSTM.from_torch(module.to(torch.bfloat16))
    # the bfloat16 weights, widened exactly to float64
    np.testing.assert_array_equal(lstm.Wi[:, 2:], module.weight_ih_l0.detach().double().numpy()[:2])


@pytest.mark.torch_live
def test_from_torch_of_an_lstm_cell_is_one_step(torch):
    torch.manual_seed(1)
    cell = torch.nn.LSTMCell(3, 4).double()
    x = torch.randn(2, 3, dtype=torch.float64)  # a batch of 2
    h0, c0 = torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    with torch.no_grad():
        h1, c1 = cell(x, (h0, c0))
    for source in (cell, cell.state_dict()):
        lstm = LSTM.from_torch(source)
        step = lstm.step(x.numpy(), h0.numpy().T, c0.numpy().T)
        np.testing.assert_allclose(step.h, h1.numpy().T, rtol=0, atol=1e-12)
        np.testing.assert_allclose(step.c, c1.numpy().T, rtol=0, atol=1e-12)


@pytest.mark.torch_live
def test_from_torch_refuses_a_gru_module_by_name(torch):
    with pytest.raises(ValueError, match="GRU"):
        LSTM.from_torch(torch.nn.GRU(3, 4))


def test_whole_model_state_dict_names_the_keys_and_the_prefix():
    sd = {"lstm." + k: v for k, v in torch_layout().items()}
    sd["fc.weight"], sd["fc.bias"] = np.zeros((1, 3)), np.zeros(1)
    with pytest.raises(ValueError, match=r"fc\.weight.*prefix='lstm\.'.*model\.lstm"):
        LSTM.from_torch(sd)
    lstm = LSTM.from_torch(sd, prefix="lstm.")
    np.testing.assert_array_equal(lstm.to_torch()["weight_ih_l0"],
                                  torch_layout()["weight_ih_l0"])
    with pytest.raises(ValueError, match="no state_dict key starts with prefix 'rnn.'"):
        LSTM.from_torch(sd, prefix="rnn.")
    with pytest.raises(TypeError, match="prefix must be a str"):
        LSTM.from_torch(sd, prefix=1)


def test_unknown_l0_keys_are_refused():
    with pytest.raises(ValueError, match="unexpected state_dict keys.*weight_xx_l0"):
        LSTM.from_torch({**torch_layout(), "weight_xx_l0": np.zeros(3)})


def test_an_lstm_cell_state_dict_without_torch():
    sd = {k[:-3]: v for k, v in torch_layout().items()}  # weight_ih, weight_hh, bias_ih, ...
    a, b = LSTM.from_torch(sd), LSTM.from_torch(torch_layout())
    for name in GATE_NAMES:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_state_dict_with_non_string_keys_is_read_or_refused_clearly():
    sd = {**torch_layout(), 7: np.zeros(3)}
    with pytest.raises(ValueError, match="unexpected state_dict keys.*'7'"):
        LSTM.from_torch(sd)
