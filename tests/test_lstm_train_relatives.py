"""Tests for lstm_train's BPTT of the LSTM's relatives: the GRU (PyTorch's form and Cho's) and
the peephole LSTM (coupled or not). Gradients against central finite differences, against
steps computed by hand, and against live PyTorch autograd (torch.nn.GRU itself; the peephole
LSTM and Cho's GRU written in torch operations, since PyTorch has neither); the relatives in
Regressor, init_for_training and train; bad inputs; and lesson 8's committed training runs
(data/relatives.npz) against scripts/train_relatives.py."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from grad_support import numerical_grads, rel_error

from lstm_core import GRU, LSTM, PeepholeLSTM
from lstm_data import DATA, load_data
from lstm_train import (
    Regressor,
    TanhRNN,
    adding_problem,
    gru_backward,
    init_for_training,
    lstm_backward,
    peephole_backward,
    train,
)

KINDS = ("gru", "gru_cho", "peephole", "cifg")
NAMES = {
    "gru": ["Wr", "Wz", "Wn", "br", "bz", "bn", "bhn"],
    "gru_cho": ["Wr", "Wz", "Wn", "br", "bz", "bn"],  # one bias for n_t: no b_hn
    "peephole": ["Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo", "pf", "pi", "po"],
    "cifg": ["Wf", "Wc", "Wo", "bf", "bc", "bo", "pf", "po"],  # i_t = 1 - f_t
}


def make_cell(kind, I, H):
    return {"gru": lambda: GRU(I, H), "gru_cho": lambda: GRU(I, H, reset_after=False),
            "peephole": lambda: PeepholeLSTM(I, H),
            "cifg": lambda: PeepholeLSTM(I, H, coupled=True)}[kind]()


def small_model(kind, I=3, H=4, O=2, every_step=False, seed=0):
    rng = np.random.default_rng(seed)
    model = Regressor(init_for_training(make_cell(kind, I, H), rng), O, every_step=every_step,
                      rng=rng)
    for p in model.parameters().values():  # non-zero biases and peepholes: their gradients count
        p += rng.normal(0.0, 0.4, p.shape)
    return model, rng


def backward(cell, x, dh, h0=None, c0=None, dc_last=None):
    """(grads, dh0, dc0) of L = sum(dh * h) + sum(dc_last * c_T) by our BPTT; dc0 None for a GRU."""
    if isinstance(cell, GRU):
        grads, dh0 = gru_backward(cell, x, cell.trace(x, h0), dh, h0)
        return grads, dh0, None
    return peephole_backward(cell, x, cell.trace(x, h0, c0), dh, h0, c0, dc_last)


# ---- gradients: central finite differences ---------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
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
    want = NAMES[kind] + ["Wy", "by"]
    assert list(params) == want and set(grads) == set(want)
    numeric = numerical_grads(lambda: model.loss(x, y, mask), params)
    for name in want:
        assert grads[name].shape == params[name].shape
        assert np.linalg.norm(numeric[name]) > 1e-6, name  # the check is not vacuous
        assert rel_error(grads[name], numeric[name]) < 1e-6, name
    assert loss == pytest.approx(model.loss(x, y, mask), rel=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_initial_states_and_final_cell_gradients_match_finite_differences(kind):
    """dL/dh_0 (and for the peephole LSTM dL/dc_0 and a gradient arriving at c_T), for
    L = sum(dh * h) + sum(dc_last * c_T), with the problem statement's standard normal weights
    (saturated gates too) and non-zero states; |h_0| > 1 for the GRU (h_t mixes it in)."""
    rng = np.random.default_rng(5)
    np.random.seed(5)
    cell = make_cell(kind, 2, 3)
    for name in NAMES[kind]:
        if name[0] != "W":
            setattr(cell, name, rng.normal(0, 1, (3, 1)))
    x = rng.normal(0, 1, (5, 2, 2))
    state = {"h0": rng.normal(0, 1.5, (3, 2))}
    lstm_like = not isinstance(cell, GRU)
    if lstm_like:
        state["c0"] = rng.normal(0, 1, (3, 2))
    dh = rng.normal(0, 1, (5, 3, 2))
    dc_last = rng.normal(0, 1, (3, 2)) if lstm_like else None

    def loss():
        h0, c0 = state["h0"], state.get("c0")
        tr = cell.trace(x, h0, c0) if lstm_like else cell.trace(x, h0)
        return float(np.sum(dh * tr.h) + (np.sum(dc_last * tr.c[-1]) if lstm_like else 0.0))

    grads, dh0, dc0 = backward(cell, x, dh, state["h0"], state.get("c0"), dc_last)
    numeric = numerical_grads(loss, state)
    assert rel_error(dh0, numeric["h0"]) < 1e-6
    if lstm_like:
        assert rel_error(dc0, numeric["c0"]) < 1e-6
    params = {n: getattr(cell, n) for n in NAMES[kind]}
    numeric = numerical_grads(loss, params)
    for name in params:
        assert rel_error(grads[name], numeric[name]) < 1e-6, name


# ---- gradients: one step by hand ------------------------------------------------------------


def _s(a):
    return 1 / (1 + math.exp(-a))


@pytest.mark.parametrize("coupled", [False, True])
def test_peephole_step_gradients_by_hand(coupled):
    """One unit, one input, one step, L = h_1, written out with floats:

    f = s(wf.[h0, x] + pf c0 + bf), i = s(...) or 1 - f, g = tanh(wc.[h0, x] + bc),
    c = f c0 + i g, o = s(wo.[h0, x] + po c + bo), h = o tanh(c)."""
    lstm = PeepholeLSTM(1, 1, coupled=coupled)
    h0, x, c0 = 0.3, -0.7, 0.9
    w = {"Wf": (0.4, -0.6), "Wi": (0.8, 0.5), "Wc": (-0.9, 1.1), "Wo": (0.2, 0.7)}
    b = {"bf": 0.5, "bi": -0.2, "bc": 0.1, "bo": 0.3}
    p = {"pf": 0.6, "pi": -0.4, "po": 0.8}
    for name in lstm._names()[0]:
        setattr(lstm, name, np.array([w[name]]))
    for name in lstm._names()[1]:
        setattr(lstm, name, np.array([[b[name]]]))
    for name in lstm._names()[2]:
        setattr(lstm, name, np.array([[p[name]]]))

    def pre(gate):
        return w[gate][0] * h0 + w[gate][1] * x + b["b" + gate[1]]

    f = _s(pre("Wf") + p["pf"] * c0)
    i = 1 - f if coupled else _s(pre("Wi") + p["pi"] * c0)
    g = math.tanh(pre("Wc"))
    c = f * c0 + i * g
    o = _s(pre("Wo") + p["po"] * c)
    h = o * math.tanh(c)
    do_pre = math.tanh(c) * o * (1 - o)  # dh/do_pre
    dc = o * (1 - math.tanh(c) ** 2) + p["po"] * do_pre  # through h_1 and through o's peephole
    df_pre = dc * ((c0 - g) if coupled else c0) * f * (1 - f)
    di_pre = 0.0 if coupled else dc * g * i * (1 - i)
    dg_pre = dc * i * (1 - g**2)
    want = {"pf": df_pre * c0, "pi": di_pre * c0, "po": do_pre * c,
            "bf": df_pre, "bi": di_pre, "bc": dg_pre, "bo": do_pre,
            "Wf": [df_pre * h0, df_pre * x], "Wi": [di_pre * h0, di_pre * x],
            "Wc": [dg_pre * h0, dg_pre * x], "Wo": [do_pre * h0, do_pre * x]}
    want_dh0 = (w["Wf"][0] * df_pre + w["Wi"][0] * di_pre + w["Wc"][0] * dg_pre
                + w["Wo"][0] * do_pre)
    want_dc0 = dc * f + p["pf"] * df_pre + p["pi"] * di_pre

    xs, h0s, c0s = np.array([[x]]), np.array([[h0]]), np.array([[c0]])
    trace = lstm.trace(xs, h0s, c0s)
    assert trace.h[0, 0, 0] == pytest.approx(h, rel=1e-14)
    grads, dh0, dc0 = peephole_backward(lstm, xs, trace, np.ones((1, 1, 1)), h0s, c0s)
    assert set(grads) == set(NAMES["cifg" if coupled else "peephole"])
    for name, value in grads.items():
        np.testing.assert_allclose(value, np.reshape(want[name], value.shape), rtol=1e-12,
                                   atol=1e-15, err_msg=name)
    assert dh0[0, 0] == pytest.approx(want_dh0, rel=1e-12)
    assert dc0[0, 0] == pytest.approx(want_dc0, rel=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_step_gradients_by_hand(reset_after):
    """One unit, one input, one step, L = h_1 = (1 - z) n + z h0, with
    PyTorch's n = tanh(wnx x + bn + r (wnh h0 + bhn)) or Cho's n = tanh(wnh r h0 + wnx x + bn)."""
    gru = GRU(1, 1, reset_after=reset_after)
    h0, x = 0.6, -1.2
    gru.Wr, gru.Wz = np.array([[0.5, -0.3]]), np.array([[-0.8, 0.9]])  # on [h0, x]
    gru.Wn = np.array([[1.3, 0.7]])
    gru.br, gru.bz, gru.bn = np.array([[0.2]]), np.array([[0.4]]), np.array([[-0.1]])
    gru.bhn = np.array([[0.25 if reset_after else 0.0]])
    r = _s(0.5 * h0 - 0.3 * x + 0.2)
    z = _s(-0.8 * h0 + 0.9 * x + 0.4)
    q = 1.3 * h0 + gru.bhn[0, 0]  # PyTorch: r scales W_nh h0 + b_hn
    n = math.tanh(0.7 * x - 0.1 + r * q) if reset_after else math.tanh(1.3 * r * h0 + 0.7 * x - 0.1)
    h = (1 - z) * n + z * h0
    dz_pre = (h0 - n) * z * (1 - z)
    dn_pre = (1 - z) * (1 - n**2)
    if reset_after:
        dr_pre = dn_pre * q * r * (1 - r)
        dWn = [dn_pre * r * h0, dn_pre * x]
        dh0_n = dn_pre * r * 1.3
    else:
        dr_pre = dn_pre * 1.3 * h0 * r * (1 - r)
        dWn = [dn_pre * r * h0, dn_pre * x]  # W_nh's input is r h0 here too, as a product
        dh0_n = dn_pre * 1.3 * r
    want = {"Wr": [dr_pre * h0, dr_pre * x], "Wz": [dz_pre * h0, dz_pre * x], "Wn": dWn,
            "br": dr_pre, "bz": dz_pre, "bn": dn_pre, "bhn": dn_pre * r}
    want_dh0 = z + 0.5 * dr_pre - 0.8 * dz_pre + dh0_n

    xs, h0s = np.array([[x]]), np.array([[h0]])
    trace = gru.trace(xs, h0s)
    assert trace.h[0, 0, 0] == pytest.approx(h, rel=1e-14)
    grads, dh0 = gru_backward(gru, xs, trace, np.ones((1, 1, 1)), h0s)
    assert set(grads) == set(NAMES["gru" if reset_after else "gru_cho"])
    for name, value in grads.items():
        np.testing.assert_allclose(value, np.reshape(want[name], value.shape), rtol=1e-12,
                                   err_msg=name)
    assert dh0[0, 0] == pytest.approx(want_dh0, rel=1e-12)


def test_zero_peepholes_give_the_lstms_gradients():
    """With p = 0 a PeepholeLSTM computes what the LSTM with its other weights does, and
    peephole_backward gives lstm_backward's gradients (plus non-zero peephole gradients)."""
    rng = np.random.default_rng(8)
    lstm = init_for_training(LSTM(3, 5), rng)
    peep = PeepholeLSTM(3, 5)
    for name in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"):
        value = getattr(lstm, name) + (rng.normal(0, 0.5, (5, 1)) if name[0] == "b" else 0)
        setattr(lstm, name, value)
        setattr(peep, name, value.copy())
    x, dh = rng.normal(size=(7, 4, 3)), rng.normal(size=(7, 5, 4))
    h0, c0, dc_last = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    want, want_dh0, want_dc0 = lstm_backward(lstm, x, lstm.trace(x, h0, c0), dh, h0, c0, dc_last)
    got, dh0, dc0 = peephole_backward(peep, x, peep.trace(x, h0, c0), dh, h0, c0, dc_last)
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-12, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(dh0, want_dh0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dc0, want_dc0, rtol=1e-12, atol=1e-14)
    assert all(np.abs(got[p]).max() > 1e-3 for p in ("pf", "pi", "po"))


# ---- gradients: live PyTorch autograd --------------------------------------------------------


def torch_gru_loss_and_grads(torch, params, x, y, mask, every):
    """The model in PyTorch: torch.nn.GRU (float64) with our weights, a linear read-out, the
    mean squared error; the gradients by autograd, back in lstm_train's names and layout."""
    T, B, I = x.shape
    H = params["Wy"].shape[1]
    gru = GRU(I, H)
    for name in NAMES["gru"]:
        setattr(gru, name, params[name])
    module = torch.nn.GRU(I, H).double()
    module.load_state_dict({k: torch.from_numpy(v) for k, v in gru.to_torch().items()})
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
    w_hh, w_ih = module.weight_hh_l0.grad.numpy(), module.weight_ih_l0.grad.numpy()
    b_ih, b_hh = module.bias_ih_l0.grad.numpy(), module.bias_hh_l0.grad.numpy()
    grads = {}
    for k, gate in enumerate("rzn"):  # PyTorch's rows r, z, n
        rows = slice(k * H, (k + 1) * H)
        grads["W" + gate] = np.hstack([w_hh[rows], w_ih[rows]])  # ours act on [h; x]
        grads["b" + gate] = b_ih[rows, None]  # b_r = b_ir + b_hr: the same gradient as b_ir
    grads["bhn"] = b_hh[2 * H:, None]
    grads["Wy"], grads["by"] = Wy.grad.numpy(), by.grad.numpy()
    return float(loss.detach()), grads


@pytest.mark.torch_live
def test_gru_gradients_match_torch_live(torch):
    """Random shapes, weight scales, read-outs (last step, every step, masked): loss to 1e-12,
    every gradient to 1e-9 of torch.nn.GRU's autograd, in float64."""
    rng = np.random.default_rng(21)
    for _ in range(8):
        T, B, I, H, O = (int(v) for v in rng.integers(1, [30, 6, 5, 9, 3], endpoint=True))
        every, masked = int(rng.integers(0, 2)), int(rng.integers(0, 2))
        scale = float(rng.uniform(0.5, 2.5))
        params = {name: rng.normal(0.0, scale / np.sqrt(H + I), (H, H + I) if name[0] == "W"
                                   else (H, 1)) for name in NAMES["gru"]}
        params["Wy"], params["by"] = rng.normal(0, 1, (O, H)), rng.normal(0, 0.5, (O, 1))
        x = rng.normal(0.0, 1.5, (T, B, I))
        y = rng.normal(0.0, 1.0, (T, O, B) if every else (O, B))
        mask = np.ones((T, B))
        if masked:
            mask = (rng.random((T, B)) < 0.5).astype(float)
            mask[-1] = 1.0
        want_loss, want = torch_gru_loss_and_grads(torch, params, x, y, mask, every)
        model = Regressor(GRU(I, H), O, every_step=bool(every))
        model.set_parameters(params)
        loss, grads = model.loss_and_grads(x, y, mask if every else None)
        assert loss == pytest.approx(want_loss, rel=1e-12)
        assert set(grads) == set(want)
        for name, value in want.items():
            np.testing.assert_allclose(grads[name], value, rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.torch_live
def test_gru_initial_state_gradient_matches_torch_live(torch):
    rng = np.random.default_rng(22)
    gru = GRU(3, 5)
    gru.br, gru.bz, gru.bn, gru.bhn = (rng.normal(0, 1, (5, 1)) for _ in range(4))
    x, h0, dh = rng.normal(size=(9, 4, 3)), rng.normal(0, 1.5, (5, 4)), rng.normal(size=(9, 5, 4))
    module = torch.nn.GRU(3, 5).double()
    module.load_state_dict({k: torch.from_numpy(v) for k, v in gru.to_torch().items()})
    h0_t = torch.tensor(h0.T[None].copy(), requires_grad=True)  # (1, B, H)
    out, _ = module(torch.from_numpy(x), h0_t)
    (out * torch.from_numpy(dh.transpose(0, 2, 1).copy())).sum().backward()
    grads, dh0 = gru_backward(gru, x, gru.trace(x, h0), dh, h0)
    np.testing.assert_allclose(dh0, h0_t.grad[0].numpy().T, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads["bhn"][:, 0], module.bias_hh_l0.grad[10:].numpy(),
                               rtol=1e-10, atol=1e-13)


def torch_cell_loss(torch, kind, P, x, h0, c0, dh, dc_last):
    """L = sum(dh * h) + sum(dc_last * c_T) for the relatives PyTorch has no module for,
    written in torch operations (columns (H, B), as lstm_core): the peephole LSTM, coupled or
    not, and Cho's GRU. Autograd then differentiates it."""
    h, c, loss = h0, c0, 0.0
    for t in range(x.shape[0]):
        z = torch.cat([h, x[t].T], 0)  # [h_{t-1}; x_t], (H + I, B)
        if kind == "gru_cho":
            H = h.shape[0]
            r = torch.sigmoid(P["Wr"] @ z + P["br"])
            u = torch.sigmoid(P["Wz"] @ z + P["bz"])
            n = torch.tanh(P["Wn"][:, :H] @ (r * h) + P["Wn"][:, H:] @ x[t].T + P["bn"])
            h = (1 - u) * n + u * h
        else:
            f = torch.sigmoid(P["Wf"] @ z + P["pf"] * c + P["bf"])
            i = 1 - f if kind == "cifg" else torch.sigmoid(P["Wi"] @ z + P["pi"] * c + P["bi"])
            g = torch.tanh(P["Wc"] @ z + P["bc"])
            c = f * c + i * g
            o = torch.sigmoid(P["Wo"] @ z + P["po"] * c + P["bo"])
            h = o * torch.tanh(c)
        loss = loss + (dh[t] * h).sum()
    return loss + ((dc_last * c).sum() if kind != "gru_cho" else 0.0)


@pytest.mark.torch_live
@pytest.mark.parametrize("kind", ["peephole", "cifg", "gru_cho"])
def test_relatives_without_a_torch_module_match_torch_autograd_live(torch, kind):
    rng = np.random.default_rng(23 + KINDS.index(kind))
    for _ in range(4):
        T, B, I, H = (int(v) for v in rng.integers(1, [25, 5, 4, 7], endpoint=True))
        cell = make_cell(kind, I, H)
        for name in NAMES[kind]:
            setattr(cell, name, rng.normal(0, 1.5 / np.sqrt(H + I) if name[0] == "W" else 0.7,
                                           (H, H + I) if name[0] == "W" else (H, 1)))
        x, dh = rng.normal(0, 1.5, (T, B, I)), rng.normal(size=(T, H, B))
        h0, c0, dc_last = (rng.normal(size=(H, B)) for _ in range(3))
        if kind == "gru_cho":
            c0 = dc_last = None
        P = {n: torch.tensor(getattr(cell, n), requires_grad=True) for n in NAMES[kind]}
        h0_t = torch.tensor(h0, requires_grad=True)
        c0_t = None if c0 is None else torch.tensor(c0, requires_grad=True)
        loss = torch_cell_loss(torch, kind, P, torch.from_numpy(x), h0_t, c0_t,
                               torch.from_numpy(dh), None if dc_last is None
                               else torch.from_numpy(dc_last))
        loss.backward()
        grads, dh0, dc0 = backward(cell, x, dh, h0, c0, dc_last)
        assert set(grads) == set(P)
        for name, p in P.items():
            np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=name)
        np.testing.assert_allclose(dh0, h0_t.grad.numpy(), rtol=1e-9, atol=1e-12)
        if c0 is not None:
            np.testing.assert_allclose(dc0, c0_t.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---- the relatives in Regressor, init_for_training and train ---------------------------------


def test_init_for_training_gives_each_relative_the_lstms_start():
    lstm = init_for_training(LSTM(2, 6), 3)
    peep = init_for_training(PeepholeLSTM(2, 6), 3)
    for name in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"):  # the same draws, same order
        np.testing.assert_array_equal(getattr(peep, name), getattr(lstm, name), err_msg=name)
    for name in ("pf", "pi", "po"):
        np.testing.assert_array_equal(getattr(peep, name), np.zeros((6, 1)))
    x = np.random.default_rng(0).normal(size=(10, 3, 2))
    np.testing.assert_allclose(peep.forward(x)[0], lstm.forward(x)[0], rtol=1e-12, atol=1e-14)
    cifg = init_for_training(PeepholeLSTM(2, 6, coupled=True), 3, forget_bias=2.0)
    assert cifg.Wi is None and cifg.bi is None and cifg.pi is None
    np.testing.assert_array_equal(cifg.bf, np.full((6, 1), 2.0))
    gru = init_for_training(GRU(2, 6), 3, forget_bias=1.5)
    np.testing.assert_array_equal(gru.bz, np.full((6, 1), 1.5))  # z_t keeps h_{t-1}: f's job
    for name in ("br", "bn", "bhn"):
        np.testing.assert_array_equal(getattr(gru, name), np.zeros((6, 1)))
    assert abs(gru.Wr.std() - 1 / np.sqrt(8)) < 0.1  # N(0, 1/(H + I))
    cho = init_for_training(GRU(2, 6, reset_after=False), 3)
    np.testing.assert_array_equal(cho.bhn, np.zeros((6, 1)))  # not a parameter of Cho's form


@pytest.mark.parametrize("kind", KINDS)
def test_each_relative_learns_a_tiny_problem(kind):
    model, rng = small_model(kind, I=2, H=3, O=1, seed=7)
    x, y = rng.normal(size=(5, 8, 2)), rng.normal(size=(1, 8))
    before = model.loss(x, y)
    losses = train(model, lambda r: (x, y), 200, rng, lr=0.05)
    assert losses[0] == pytest.approx(before)
    assert model.loss(x, y) < 0.1 * before


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_train_call_restores_a_relatives_parameters(kind):
    model, rng = small_model(kind, I=2, H=3, O=1)
    before = {k: v.copy() for k, v in model.parameters().items()}
    x, y = rng.normal(size=(4, 5, 2)), rng.normal(size=(1, 5))
    calls = []

    def task(r):
        calls.append(1)
        return (x, y) if len(calls) < 3 else (x, np.zeros((2, 5)))  # bad targets at step 2

    with pytest.raises(ValueError, match="y \\(the targets\\)"):
        train(model, task, 5, rng)
    for name, value in model.parameters().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_set_parameters_knows_each_relatives_names():
    for kind in KINDS:
        model, _ = small_model(kind, I=2, H=3, O=1)
        assert list(model.parameters()) == NAMES[kind] + ["Wy", "by"]
        model.set_parameters({NAMES[kind][-1]: np.full((3, 1), 0.5)})
        np.testing.assert_array_equal(getattr(model.cell, NAMES[kind][-1]), np.full((3, 1), 0.5))
    cho, _ = small_model("gru_cho", I=2, H=3, O=1)
    with pytest.raises(ValueError, match=r"unknown names \['bhn'\]"):
        cho.set_parameters({"bhn": np.ones((3, 1))})
    cifg, _ = small_model("cifg", I=2, H=3, O=1)
    with pytest.raises(ValueError, match=r"unknown names \['Wi'\]"):
        cifg.set_parameters({"Wi": np.ones((3, 5))})
    with pytest.raises(ValueError, match=r"pf must have shape \(3, 1\)"):
        small_model("peephole", I=2, H=3, O=1)[0].set_parameters({"pf": np.ones((3, 5))})


@pytest.mark.parametrize("kind", KINDS)
def test_float32_inputs_train_a_relative_in_float32(kind):
    model, rng = small_model(kind, I=2, H=5, O=1, seed=9)
    x, y = rng.normal(size=(12, 4, 2)), rng.normal(size=(1, 4))
    loss64, g64 = model.loss_and_grads(x, y)
    loss32, g32 = model.loss_and_grads(x.astype(np.float32), y.astype(np.float32))
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for name, g in g32.items():
        assert g.dtype == np.float32, name
        np.testing.assert_allclose(g, g64[name], rtol=1e-3, atol=1e-5, err_msg=name)


def test_predict_and_the_fast_forward_agree_with_the_trace():
    x, _ = adding_problem(0, 3, 12)
    for kind in KINDS:
        model, _ = small_model(kind, I=2, H=4, O=1)
        state, h = model._run(x, keep_gates=True)
        _, h_fast = model._run(x)
        np.testing.assert_allclose(h_fast, h, rtol=1e-12, atol=1e-14, err_msg=kind)
        np.testing.assert_allclose(model.predict(x), model.Wy @ h[-1] + model.by, rtol=1e-12)


# ---- bad inputs --------------------------------------------------------------------------------


def test_backward_functions_refuse_the_wrong_cell_by_name():
    x, dh = np.zeros((3, 2, 2)), np.zeros((3, 4, 2))
    peep, gru, lstm = PeepholeLSTM(2, 4), GRU(2, 4), LSTM(2, 4)
    with pytest.raises(TypeError, match="lstm is a PeepholeLSTM.*use peephole_backward"):
        lstm_backward(peep, x, peep.trace(x), dh)
    with pytest.raises(TypeError, match=r"PeepholeLSTM; got LSTM \(use lstm_backward\)"):
        peephole_backward(lstm, x, lstm.trace(x), dh)
    with pytest.raises(TypeError, match="gru must be an lstm_core.GRU; got PeepholeLSTM"):
        gru_backward(peep, x, gru.trace(x), dh)
    with pytest.raises(TypeError, match="lstm must be an lstm_core.PeepholeLSTM; got GRU"):
        peephole_backward(gru, x, peep.trace(x), dh)
    with pytest.raises(TypeError, match="LSTM or an lstm_train.TanhRNN, or one of the LSTM's "
                                        "relatives lstm_core.PeepholeLSTM and lstm_core.GRU"):
        Regressor("gru", 1)
    with pytest.raises(TypeError, match="cell must be an lstm_core.LSTM"):
        init_for_training(object(), 0)
    Regressor(TanhRNN(2, 3))  # still fine


def test_gru_backward_names_a_wrong_trace():
    gru = GRU(2, 3)
    rng = np.random.default_rng(4)
    x, dh = rng.normal(size=(4, 5, 2)), rng.normal(size=(4, 3, 5))
    trace = gru.trace(x)
    with pytest.raises(TypeError, match=r"GRUGates that gru.trace\(x, h0\) returns.*tuple of 2"):
        gru_backward(gru, x, gru.forward(x), dh)
    lstm = LSTM(2, 3)
    with pytest.raises(TypeError, match="GRUGates.*got Gates"):  # an LSTM's trace
        gru_backward(gru, x, lstm.trace(x), dh)
    for name in "rznh":
        bad = getattr(trace, name).copy()
        bad[1, 2, 3] = np.nan
        with pytest.raises(ValueError, match=f"trace.{name} must be finite"):
            gru_backward(gru, x, trace._replace(**{name: bad}), dh)
    with pytest.raises(ValueError, match=r"trace.z must lie in \[0, 1\]"):
        gru_backward(gru, x, trace._replace(z=trace.z_pre + 5), dh)
    with pytest.raises(ValueError, match=r"trace.n must lie in \[-1, 1\]"):
        gru_backward(gru, x, trace._replace(n=trace.n * 3 + 2), dh)
    with pytest.raises(ValueError, match=r"trace.r must have shape \(4, 3, 5\)"):
        gru_backward(gru, x, gru.trace(x[:3]), dh)
    with pytest.raises(ValueError, match=r"dh must have shape \(4, 3, 5\)"):
        gru_backward(gru, x, trace, np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="dh must be finite"):
        gru_backward(gru, x, trace, np.full((4, 3, 5), np.inf))
    with pytest.raises(ValueError, match="initial_hidden_state must be a column"):
        gru_backward(gru, x, trace, dh, np.zeros(3))
    # h_t mixes h_{t-1} in: with |h_0| = 4, h_t may reach 4, but not 5
    h0 = np.full((3, 5), 4.0)
    tr = gru.trace(x, h0)
    gru_backward(gru, x, tr, dh, h0)
    with pytest.raises(ValueError, match=r"trace.h must lie in \[-4.0, 4.0\]"):
        gru_backward(gru, x, tr._replace(h=tr.h + 1.5 * np.sign(tr.h)), dh, h0)


def test_peephole_backward_names_a_wrong_trace():
    lstm = PeepholeLSTM(2, 3)
    rng = np.random.default_rng(4)
    x, dh = rng.normal(size=(4, 5, 2)), rng.normal(size=(4, 3, 5))
    trace = lstm.trace(x)
    with pytest.raises(TypeError, match=r"Gates that lstm.trace\(x, h0, c0\).*tuple of 3"):
        peephole_backward(lstm, x, lstm.forward(x), dh)
    with pytest.raises(TypeError, match="got GRUGates"):
        peephole_backward(lstm, x, GRU(2, 3).trace(x), dh)
    with pytest.raises(ValueError, match=r"trace.o must lie in \[0, 1\]"):
        peephole_backward(lstm, x, trace._replace(o=trace.o_pre + 3), dh)
    with pytest.raises(ValueError, match=r"dc_last must have shape \(3, 5\)"):
        peephole_backward(lstm, x, trace, dh, dc_last=np.ones(3))
    with pytest.raises(ValueError, match="initial_cell_state must be a column"):
        peephole_backward(lstm, x, trace, dh, None, np.ones((3, 4)))
    lstm.pf = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"PeepholeLSTM.pf must have shape \(3, 1\)"):
        peephole_backward(lstm, x, trace, dh)


def test_backward_of_an_empty_sequence_is_zero():
    H, B = 3, 4
    x = np.zeros((0, B, 2))
    for kind in KINDS:
        cell = make_cell(kind, 2, H)
        if isinstance(cell, GRU):
            grads, dh0 = gru_backward(cell, x, cell.trace(x), np.zeros((0, H, B)))
        else:
            dc_last = np.arange(12.0).reshape(H, B)
            grads, dh0, dc0 = peephole_backward(cell, x, cell.trace(x), np.zeros((0, H, B)),
                                                dc_last=dc_last)
            np.testing.assert_array_equal(dc0, dc_last)  # c_T is c_0
            assert dc0 is not dc_last
        assert set(grads) == set(NAMES[kind])
        for name, g in grads.items():
            assert g.shape == getattr(cell, name).shape and not g.any(), (kind, name)
        np.testing.assert_array_equal(dh0, np.zeros((H, B)))


def test_backward_refuses_gradients_that_overflow():
    """A huge dL/dh whose bias-gradient terms all have one sign: refused by name."""
    x = np.zeros((1, 64, 1))
    gru = GRU(1, 1)
    gru.Wr, gru.Wz, gru.Wn = (np.zeros((1, 2)) for _ in range(3))
    gru.bn = np.ones((1, 1))  # n = tanh(1) > 0 and h0 = 0: dz = dh (h0 - n) < 0 everywhere
    with pytest.raises(ValueError, match="gru_backward's gradients overflow float64"):
        gru_backward(gru, x, gru.trace(x), np.full((1, 1, 64), 1e308))
    peep = PeepholeLSTM(1, 1)
    peep.Wf, peep.Wi, peep.Wc, peep.Wo = (np.zeros((1, 2)) for _ in range(4))
    peep.bc = np.ones((1, 1))
    with pytest.raises(ValueError, match="peephole_backward's gradients overflow float32"):
        peephole_backward(peep, x.astype(np.float32), peep.trace(x.astype(np.float32)),
                          np.full((1, 1, 64), 3e38, np.float32))


# ---- lesson 8's committed training runs (data/relatives.npz) --------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("train_relatives",
                                                  ROOT / "scripts" / "train_relatives.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines things; main() is not run
    return module


@pytest.fixture(scope="module")
def relatives():
    return load_data("relatives.npz")  # lstm_data's checked loader, allow_pickle=False


def trained_model(script, relatives, variant):
    model, _ = script.make_model(variant, 0)
    model.set_parameters({name: relatives[f"{variant}_{name}"] for name in model.parameters()})
    return model


def test_committed_relatives_file_matches_its_script(script, relatives):
    assert (DATA / "relatives.npz").stat().st_size < 200_000  # small
    settings = {"T": script.T, "hidden_size": script.HIDDEN, "batch_size": script.BATCH,
                "steps": script.STEPS, "lr": script.LR, "clip": script.CLIP,
                "forget_bias": script.FORGET_BIAS, "test_seed": script.TEST_SEED,
                "test_batch": script.TEST_BATCH}
    for name, value in settings.items():
        assert relatives[name] == value, name
    assert relatives["seeds"].tolist() == list(script.SEEDS)
    assert relatives["variants"].tolist() == list(script.VARIANTS)
    assert relatives["labels"].tolist() == [label for label, _ in script.VARIANTS.values()]
    V, S = len(script.VARIANTS), len(script.SEEDS)
    assert relatives["losses"].shape == (V, S, script.STEPS)
    assert relatives["test_mse"].shape == (V, S)


def test_committed_relatives_results_hold(script, relatives):
    """What lesson 8 builds on: every variant and seed beats the mean baseline by far, and the
    seed-0 test errors are those of the committed weights, recomputed (not only read)."""
    x, y = script.test_batch()
    baseline = float(np.mean((y - 1.0) ** 2))
    assert baseline == pytest.approx(float(relatives["baseline_test_mse"]))
    assert (relatives["test_mse"] < baseline / 100).all()
    for v, variant in enumerate(script.VARIANTS):
        model = trained_model(script, relatives, variant)
        assert model.loss(x, y) == pytest.approx(float(relatives["test_mse"][v, 0]), rel=1e-9)


@pytest.mark.slow
def test_training_script_reproduces_the_committed_losses(script, relatives):
    """The first 100 steps of every variant's seed-0 run, retrained with the script's code:
    the same losses as the committed file (stored as float32)."""
    for v, variant in enumerate(script.VARIANTS):
        _, losses = script.run(variant, 0, steps=100)
        np.testing.assert_allclose(losses, relatives["losses"][v, 0, :100], rtol=1e-5,
                                   err_msg=variant)
