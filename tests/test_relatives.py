"""Tests for the LSTM's relatives in lstm_core: PeepholeLSTM (and its coupled gate), GRU and
LSTMStack, by hand, against committed PyTorch fixtures and live PyTorch, and bad inputs."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from lstm_core import GRU, LSTM, LSTMStack, PeepholeLSTM

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "relatives_reference.npz"


def sig(v):
    return 1.0 / (1.0 + math.exp(-v))


# ---- PeepholeLSTM, by hand ------------------------------------------------------------

def random_weights(obj, names, rng, scale=0.7):
    for name in names:
        shape = getattr(obj, name).shape
        setattr(obj, name, scale * rng.normal(size=shape))


@pytest.mark.parametrize("coupled", [False, True])
def test_peephole_step_matches_hand_arithmetic(coupled):
    rng = np.random.default_rng(0)
    m = PeepholeLSTM(1, 2, coupled=coupled)
    gates = "fco" if coupled else "fico"
    random_weights(m, [f"W{g}" for g in gates] + [f"b{g}" for g in gates]
                   + (["pf", "po"] if coupled else ["pf", "pi", "po"]), rng)
    x, h0, c0 = [0.8], [0.3, -0.5], [1.2, -0.7]
    W = {g: getattr(m, f"W{g}").tolist() for g in gates}
    b = {g: getattr(m, f"b{g}")[:, 0].tolist() for g in gates}
    p = {g: getattr(m, f"p{g}")[:, 0].tolist() for g in ("fo" if coupled else "fio")}
    z = h0 + x
    c, h = [], []
    for j in range(2):
        def pre(g, j=j):
            return sum(W[g][j][k] * z[k] for k in range(3)) + b[g][j]
        f = sig(pre("f") + p["f"][j] * c0[j])
        i = 1 - f if coupled else sig(pre("i") + p["i"][j] * c0[j])
        cj = f * c0[j] + i * math.tanh(pre("c"))
        o = sig(pre("o") + p["o"][j] * cj)  # the output gate sees c_t
        c.append(cj)
        h.append(o * math.tanh(cj))
    step = m.step(np.array(x), np.array(h0)[:, None], np.array(c0)[:, None])
    np.testing.assert_allclose(step.c[:, 0], c, rtol=0, atol=1e-14)
    np.testing.assert_allclose(step.h[:, 0], h, rtol=0, atol=1e-14)
    if coupled:
        np.testing.assert_array_equal(step.i, 1 - step.f)
        assert m.Wi is None and m.bi is None and m.pi is None


def test_zero_peepholes_compute_the_plain_lstm():
    rng = np.random.default_rng(1)
    m, plain = PeepholeLSTM(3, 4), LSTM(3, 4)
    for name in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"):
        setattr(plain, name, getattr(m, name))
    x = rng.normal(size=(9, 2, 3))
    np.testing.assert_allclose(m.forward(x)[0], plain.forward(x)[0], rtol=0, atol=1e-12)
    m.pf = np.full((4, 1), 0.5)  # and a peephole changes the result
    assert np.abs(m.forward(x)[0] - plain.forward(x)[0]).max() > 1e-3


def test_peephole_forward_equals_trace_and_steps():
    rng = np.random.default_rng(2)
    m = PeepholeLSTM(2, 3)
    random_weights(m, ["pf", "pi", "po", "bf"], rng)
    x = rng.normal(size=(6, 2))
    out, h, c = m.forward(x)
    tr = m.trace(x)
    np.testing.assert_array_equal(out, tr.h)
    hs, cs = np.zeros((3, 1)), np.zeros((3, 1))
    for x_t in x:
        s = m.step(x_t, hs, cs)
        hs, cs = s.h, s.c
    np.testing.assert_allclose(hs, h, rtol=0, atol=1e-14)
    np.testing.assert_allclose(cs, c, rtol=0, atol=1e-14)
    empty = m.forward(np.zeros((0, 2)))
    assert empty[0].shape == (0, 3, 1) and not empty[1].any()


@pytest.mark.parametrize("call, error, word", [
    (lambda: PeepholeLSTM(2, 3, coupled="yes"), TypeError, "coupled"),
    (lambda: PeepholeLSTM.from_torch({}), TypeError, "no peephole"),
    (lambda: PeepholeLSTM(2, 3).to_torch(), TypeError, "no peephole"),
])
def test_peephole_bad_inputs(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_peephole_bad_weights_and_overflow():
    m = PeepholeLSTM(2, 3)
    m.pf = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"PeepholeLSTM.pf must have shape \(3, 1\)"):
        m.forward(np.zeros((2, 2)))
    m.pf = np.full((3, 1), 1e308)
    with pytest.raises(ValueError, match="overflow"):
        m.forward(np.zeros((2, 2)), None, np.ones((3, 1)))


# ---- GRU --------------------------------------------------------------------------------

def test_gru_step_matches_hand_arithmetic_in_both_forms():
    rng = np.random.default_rng(3)
    for reset_after in (True, False):
        m = GRU(1, 2, reset_after=reset_after)
        random_weights(m, ["Wr", "Wz", "Wn", "br", "bz", "bn"] + (["bhn"] if reset_after else []),
                       rng)
        x, h0 = [0.6], [0.4, -0.9]
        Wr, Wz, Wn = m.Wr.tolist(), m.Wz.tolist(), m.Wn.tolist()
        br, bz, bn, bhn = (getattr(m, n)[:, 0].tolist() for n in ("br", "bz", "bn", "bhn"))
        z_col = h0 + x
        r = [sig(sum(Wr[j][k] * z_col[k] for k in range(3)) + br[j]) for j in range(2)]
        u = [sig(sum(Wz[j][k] * z_col[k] for k in range(3)) + bz[j]) for j in range(2)]
        if reset_after:
            n = [math.tanh(Wn[j][2] * x[0] + bn[j]
                           + r[j] * (Wn[j][0] * h0[0] + Wn[j][1] * h0[1] + bhn[j]))
                 for j in range(2)]
        else:
            rh = [r[0] * h0[0], r[1] * h0[1]]
            n = [math.tanh(Wn[j][0] * rh[0] + Wn[j][1] * rh[1] + Wn[j][2] * x[0] + bn[j])
                 for j in range(2)]
        h = [(1 - u[j]) * n[j] + u[j] * h0[j] for j in range(2)]
        step = m.step(np.array(x), np.array(h0)[:, None])
        np.testing.assert_allclose(step.h[:, 0], h, rtol=0, atol=1e-14)
        np.testing.assert_allclose(step.z[:, 0], u, rtol=0, atol=1e-14)


def test_the_two_reset_forms_differ_and_agree_when_the_reset_gate_is_open():
    rng = np.random.default_rng(4)
    a, b = GRU(3, 4), GRU(3, 4, reset_after=False)
    for name in ("Wr", "Wz", "Wn", "br", "bz", "bn"):
        setattr(b, name, getattr(a, name))
    x, h0 = rng.normal(size=(5, 3)), rng.normal(size=(4, 1)) * 0.5
    assert np.abs(a.forward(x, h0)[0] - b.forward(x, h0)[0]).max() > 1e-2
    a.br = b.br = np.full((4, 1), 60.0)  # r_t = 1 to the last bit: no reset at all
    np.testing.assert_allclose(a.forward(x, h0)[0], b.forward(x, h0)[0], rtol=0, atol=1e-13)


def test_gru_forward_equals_trace_and_empty_sequence():
    rng = np.random.default_rng(5)
    m = GRU(3, 5)
    random_weights(m, ["bhn", "bn"], rng)
    x, h0 = rng.normal(size=(12, 4, 3)), rng.normal(size=(5, 4))
    out, h = m.forward(x, h0)
    tr = m.trace(x, h0)
    np.testing.assert_allclose(out, tr.h, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(h, out[-1])
    assert set(tr._fields) == {"r", "z", "n", "h", "r_pre", "z_pre", "n_pre"}
    assert all(getattr(tr, f).shape == (12, 5, 4) for f in tr._fields)
    out, h = m.forward(np.zeros((0, 4, 3)), h0)
    assert out.shape == (0, 5, 4)
    np.testing.assert_array_equal(h, h0)


@pytest.mark.parametrize("call, error, word", [
    (lambda: GRU(2, 0), ValueError, "hidden_size"),
    (lambda: GRU(2, 3, reset_after=1), TypeError, "reset_after"),
    (lambda: GRU(2, 3).forward(np.zeros((4, 3))), ValueError, "input_size=2"),
    (lambda: GRU(2, 3).forward(np.full((4, 2), np.nan)), ValueError, "finite"),
    (lambda: GRU(2, 3).forward(np.full((4, 2), 1e308)), ValueError, "overflow"),
    (lambda: GRU(2, 3).forward(np.zeros((4, 2)), np.zeros(3)), ValueError, r"\(3, 1\)"),
    (lambda: GRU(2, 3).step(np.zeros((1, 1, 2)), np.zeros((3, 1))), ValueError, "x_t"),
    (lambda: GRU(2, 3, reset_after=False).to_torch(), ValueError, "reset_after=True"),
    (lambda: GRU.from_torch({"weight_ih_l0": np.zeros((12, 2)),
                             "weight_hh_l0": np.zeros((12, 3))}), ValueError, "3H"),
    (lambda: GRU.from_torch([1, 2]), TypeError, "mapping"),
])
def test_gru_bad_inputs(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_gru_bhn_must_stay_zero_in_chos_form():
    m = GRU(2, 3, reset_after=False)
    m.bhn = np.ones((3, 1))
    with pytest.raises(ValueError, match="bhn must stay zero"):
        m.forward(np.zeros((2, 2)))


def test_gru_torch_layout_round_trip_without_torch():
    rng = np.random.default_rng(6)
    sd = {"weight_ih_l0": rng.normal(size=(9, 2)), "weight_hh_l0": rng.normal(size=(9, 3)),
          "bias_ih_l0": rng.normal(size=9), "bias_hh_l0": rng.normal(size=9)}
    m = GRU.from_torch(sd)
    np.testing.assert_array_equal(m.Wz, np.hstack([sd["weight_hh_l0"], sd["weight_ih_l0"]])[3:6])
    np.testing.assert_allclose(m.br[:, 0], sd["bias_ih_l0"][:3] + sd["bias_hh_l0"][:3])
    np.testing.assert_array_equal(m.bn[:, 0], sd["bias_ih_l0"][6:])
    np.testing.assert_array_equal(m.bhn[:, 0], sd["bias_hh_l0"][6:])  # stays inside r * (...)
    back = GRU.from_torch(m.to_torch())
    for name in ("Wr", "Wz", "Wn", "br", "bz", "bn", "bhn"):
        np.testing.assert_allclose(getattr(back, name), getattr(m, name), rtol=0, atol=1e-15)


# ---- LSTMStack ----------------------------------------------------------------------------

def test_stack_is_layers_feeding_each_other():
    rng = np.random.default_rng(7)
    a, b = LSTM(3, 4), LSTM(4, 4)
    stack = LSTMStack([a, b])
    x = rng.normal(size=(8, 2, 3))
    out_a, h_a, c_a = a.forward(x)
    out_b, h_b, c_b = b.forward(out_a.transpose(0, 2, 1))
    out, h, c = stack.forward(x)
    np.testing.assert_array_equal(out, out_b)
    np.testing.assert_array_equal(h, np.stack([h_a, h_b]))
    np.testing.assert_array_equal(c, np.stack([c_a, c_b]))
    traces = stack.trace(x)
    np.testing.assert_allclose(traces[1].h, out_b, rtol=0, atol=1e-13)


@pytest.mark.parametrize("call, error, word", [
    (lambda: LSTMStack([]), TypeError, "non-empty"),
    (lambda: LSTMStack([GRU(2, 3)]), TypeError, "LSTM layers"),
    (lambda: LSTMStack([LSTM(2, 3), LSTM(4, 3)]), ValueError, "input_size 4"),
    (lambda: LSTMStack([LSTM(2, 3), LSTM(3, 3)]).forward(np.zeros((4, 2)), np.zeros((3, 1))),
     ValueError, r"num_layers=2, hidden_size=3, batch=1"),
    (lambda: LSTMStack.from_torch({"weight_ih_l1": np.zeros((12, 3))}), ValueError,
     "numbered 0, 1"),
    (lambda: LSTMStack.from_torch({"fc.weight": np.zeros(3)}), ValueError, "no LSTM layer"),
    (lambda: LSTMStack.from_torch(3), TypeError, "mapping"),
])
def test_stack_bad_inputs(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_stack_refuses_projection_and_reverse_keys():
    rng = np.random.default_rng(8)
    sd = LSTMStack([LSTM(2, 3), LSTM(3, 3)]).to_torch()
    for extra in ("weight_hr_l0", "weight_ih_l0_reverse"):
        with pytest.raises(ValueError, match=f"unexpected state_dict keys.*{extra}"):
            LSTMStack.from_torch({**sd, extra: rng.normal(size=(3, 3))})


# ---- against PyTorch: committed fixtures and live -------------------------------------

def load_script():
    spec = importlib.util.spec_from_file_location("make_rel", HERE / "make_relatives_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURES, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_fixture_file_matches_its_script(reference):
    np.testing.assert_array_equal(reference["cases"], load_script().CASES,
                                  err_msg="rerun python tests/make_relatives_fixtures.py")


def ours(torch_states):  # torch (L, B, H) -> ours (L, H, B)
    return torch_states.transpose(0, 2, 1)


def check_against(model_out, case, kind):
    outputs = case["outputs"].transpose(0, 2, 1)  # (T, H, B)
    np.testing.assert_allclose(model_out[0], outputs, rtol=0, atol=1e-10)
    if kind == 0:
        np.testing.assert_allclose(model_out[1], case["h_n"][0].T, rtol=0, atol=1e-10)
    else:
        np.testing.assert_allclose(model_out[1], ours(case["h_n"]), rtol=0, atol=1e-10)
        np.testing.assert_allclose(model_out[2], ours(case["c_n"]), rtol=0, atol=1e-10)


def run_case(case, kind):
    sd = {k: v for k, v in case.items() if k.startswith(("weight", "bias"))}
    if kind == 0:
        model = GRU.from_torch(sd)
        out = model.forward(case["x"], case["h0"][0].T)
        np.testing.assert_allclose(model.trace(case["x"], case["h0"][0].T).h, out[0],
                                   rtol=0, atol=1e-12)
    else:
        model = LSTMStack.from_torch(sd)
        out = model.forward(case["x"], ours(case["h0"]), ours(case["c0"]))
    return model, out


@pytest.mark.parametrize("k", range(len(load_script().CASES)))
def test_matches_torch_fixtures(reference, k):
    kind = int(reference["cases"][k][0])
    case = {key.split("/")[1]: v for key, v in reference.items() if key.startswith(f"case{k}/")}
    model, out = run_case(case, kind)
    check_against(out, case, kind)
    exported = model.to_torch()
    for key in case:
        if key.startswith("weight"):
            np.testing.assert_array_equal(exported[key], case[key])


@pytest.mark.torch_live
@pytest.mark.parametrize("seed", range(6))
def test_matches_torch_live_over_random_shapes(torch, seed):
    rng = np.random.default_rng(100 + seed)
    torch.manual_seed(seed)
    T, B, I, H, L = (int(rng.integers(1, n)) for n in (40, 5, 6, 9, 4))
    for kind, Module in ((0, torch.nn.GRU), (1, torch.nn.LSTM)):
        layers = 1 if kind == 0 else L
        module = Module(I, H, num_layers=layers, bias=bool(seed % 3)).double()
        x = rng.normal(size=(T, B, I))
        h0, c0 = rng.normal(size=(layers, B, H)), rng.normal(size=(layers, B, H))
        with torch.no_grad():
            if kind == 0:
                out, h_n = module(torch.from_numpy(x), torch.from_numpy(h0))
                case = {"outputs": out.numpy(), "h_n": h_n.numpy()}
            else:
                out, (h_n, c_n) = module(torch.from_numpy(x),
                                         (torch.from_numpy(h0), torch.from_numpy(c0)))
                case = {"outputs": out.numpy(), "h_n": h_n.numpy(), "c_n": c_n.numpy()}
        case.update({k: v.numpy() for k, v in module.state_dict().items()}, x=x, h0=h0, c0=c0)
        model, got = run_case(case, kind)
        check_against(got, case, kind)
        back = Module(I, H, num_layers=layers, bias=True).double()
        sd = model.to_torch()
        back.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
        with torch.no_grad():
            again = back(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0))
                         if kind else torch.from_numpy(h0))[0]
        np.testing.assert_allclose(again.numpy(), out.numpy(), rtol=0, atol=1e-10)


@pytest.mark.torch_live
def test_from_torch_modules_and_cells_live(torch):
    torch.manual_seed(9)
    cell = torch.nn.GRUCell(3, 4).double()
    x, h0 = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    with torch.no_grad():
        h1 = cell(x, h0)
    got = GRU.from_torch(cell).step(x.numpy(), h0.numpy().T).h
    np.testing.assert_allclose(got, h1.numpy().T, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="expected a torch.nn.GRU; got a LSTM"):
        GRU.from_torch(torch.nn.LSTM(3, 4))
    with pytest.raises(ValueError, match="one layer in one direction"):
        GRU.from_torch(torch.nn.GRU(3, 4, num_layers=2))
    with pytest.raises(ValueError, match="one direction"):
        LSTMStack.from_torch(torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True))
    with pytest.raises(ValueError, match="proj_size"):
        LSTMStack.from_torch(torch.nn.LSTM(3, 4, num_layers=2, proj_size=2))
    with pytest.raises(ValueError, match="LSTMStack"):
        LSTM.from_torch(torch.nn.LSTM(3, 4, num_layers=2))
    stack = LSTMStack.from_torch(torch.nn.LSTM(3, 4, num_layers=2))
    assert [type(layer) for layer in stack.layers] == [LSTM, LSTM]
