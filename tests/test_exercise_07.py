"""Lesson 7's exercise, in a kernel: the stored state, the solution, right and wrong answers;
the check against PyTorch's own array on random state dicts; and the live PyTorch line: the
stored lesson ran the live check, a kernel with torch runs it, and a kernel without torch says
so while every other cell prints exactly what is stored. The lesson has one live cell per
PyTorch model (section 3's one layer, section 5's two layers); each is checked so."""

import re

import nbformat
import numpy as np
import pytest
from exercise_support import NOTEBOOKS, feedback, solution_code, stored_exercise, text_of
from nbclient import NotebookClient

from lstm_core import LSTM
from lstm_exercises import lesson07

NOTEBOOK = "07_inside_pytorch_lstm.ipynb"
LIVE_MARKER = "# NBVAL_IGNORE_OUTPUT"
NO_TORCH = "import sys\nsys.modules['torch'] = None  # as if torch were not installed"


def test_stored_notebook_shows_not_answered_yet():
    answer, shown = stored_exercise(NOTEBOOK)
    assert answer.count("= ...") == 1
    assert shown.startswith("Not answered yet")


@pytest.mark.slow
def test_in_the_lesson_the_solution_is_right_and_wrong_answers_get_their_hint():
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    got = feedback(NOTEBOOK, [
        solution_code(nb),
        "my_weight_hh = np.concatenate([W[:, :H] for W in (lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo)])",
        "my_weight_hh = np.vstack([lstm.Wf, lstm.Wi, lstm.Wc, lstm.Wo])[:, :H]",  # equations' order
        "my_weight_hh = np.vstack([lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo])[:, -H:]",  # last columns
        "my_weight_hh = np.vstack([lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo])",  # all columns
        "my_weight_hh = np.vstack([lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo])[:, :H].T",  # transposed
        "my_weight_hh = w_hh",  # PyTorch's own
        "my_weight_hh = 'vstack'",
        "my_weight_hh = ...",
    ])
    assert got[0].startswith("Right!") and got[1].startswith("Right!"), got[:2]
    assert got[2].startswith("Not yet right") and "PyTorch's order is i, f, g, o" in got[2]
    assert "come from the gates f, i, g, o" in got[2], got[2]
    assert got[3].startswith("Not yet right") and "columns 3..10" in got[3], got[3]
    assert got[4].startswith("Not yet right") and "all H + I = 11 columns" in got[4], got[4]
    assert got[5].startswith("Not yet right") and "the transpose" in got[5], got[5]
    assert got[6].startswith("Not yet right") and "PyTorch's own" in got[6], got[6]
    assert got[7].startswith("Not yet right") and "without quotes" in got[7], got[7]
    assert got[8].startswith("Not answered yet"), got[8]
    assert all("Traceback" not in g for g in got)


def random_model(H=4, I=3, seed=0):
    """A PyTorch-layout state dict (float32, as PyTorch saves it) and our LSTM made from it."""
    rng = np.random.default_rng(seed)
    sd = {"weight_ih_l0": rng.normal(size=(4 * H, I)), "weight_hh_l0": rng.normal(size=(4 * H, H)),
          "bias_ih_l0": rng.normal(size=4 * H), "bias_hh_l0": rng.normal(size=4 * H)}
    sd = {k: v.astype(np.float32) for k, v in sd.items()}
    return LSTM.from_torch(sd), sd


def blocks(lstm, order="ifgo", columns=None):
    W = {"i": lstm.Wi, "f": lstm.Wf, "g": lstm.Wc, "o": lstm.Wo}
    columns = columns or slice(0, lstm.hidden_size)
    return np.vstack([W[g][:, columns] for g in order])


@pytest.mark.parametrize("make, state, hint", [
    (lambda lstm, sd: blocks(lstm), "right", "equals PyTorch's weight_hh_l0"),
    (lambda lstm, sd: blocks(lstm).astype(np.float32), "right", ""),
    (lambda lstm, sd: blocks(lstm).tolist(), "right", ""),
    (lambda lstm, sd: sd["weight_hh_l0"].astype(np.float64), "right", ""),  # the same numbers
    (lambda lstm, sd: lstm.to_torch()["weight_hh_l0"], "right", ""),
    (lambda lstm, sd: blocks(lstm, "figo"), "wrong", "come from the gates f, i, g, o"),
    (lambda lstm, sd: blocks(lstm, "ifog"), "wrong", "PyTorch's order is i, f, g, o"),
    (lambda lstm, sd: blocks(lstm, "iigo"), "wrong", "come from the gates i, i, g, o"),
    (lambda lstm, sd: blocks(lstm, columns=slice(3, 7)), "wrong", "columns 3..6 of i (lstm.Wi)"),
    (lambda lstm, sd: blocks(lstm, columns=slice(1, 5)), "wrong", "columns 1..4"),
    (lambda lstm, sd: blocks(lstm).T, "wrong", "the transpose"),
    (lambda lstm, sd: np.vstack([b.T for b in np.split(blocks(lstm), 4)]), "wrong",
     "transpose of the block"),
    (lambda lstm, sd: blocks(lstm, columns=slice(None)), "wrong", "all H + I = 7 columns"),
    (lambda lstm, sd: blocks(lstm, columns=slice(4, 7)), "wrong", "weight_ih_l0"),
    (lambda lstm, sd: np.hstack([lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo]), "wrong", "side by side"),
    (lambda lstm, sd: sd["weight_hh_l0"], "wrong", "PyTorch's own"),
    (lambda lstm, sd: sd["weight_hh_l0"][:], "wrong", "PyTorch's own"),  # a view of it
    (lambda lstm, sd: np.zeros((16, 4)), "wrong", "not H neighbouring columns"),
    (lambda lstm, sd: np.zeros((5, 5)), "wrong", "should have shape (16, 4)"),
    (lambda lstm, sd: np.full((16, 4), np.nan), "wrong", "finite"),
    (lambda lstm, sd: "np.vstack", "wrong", "the expression itself, without quotes"),
    (lambda lstm, sd: None, "wrong", "shape (16, 4)"),
    (lambda lstm, sd: [[1, 2], [3]], "wrong", "shape (16, 4)"),
    (lambda lstm, sd: ..., "unanswered", "replace the ..."),
])
def test_check_against_pytorchs_own_array(make, state, hint):
    lstm, sd = random_model()
    before = {k: v.copy() for k, v in sd.items()}
    answer = make(lstm, sd)
    result = lesson07.check(answer, lstm, sd)
    assert result.state == state and hint in result.message, result.message
    assert all(np.array_equal(sd[k], before[k]) for k in sd)  # the check changes nothing
    if state == "right":  # the formula: PyTorch's own array, to float32 precision
        np.testing.assert_allclose(np.asarray(answer, dtype=float), sd["weight_hh_l0"], rtol=1e-6)


@pytest.mark.parametrize("H, I", [(1, 1), (3, 5), (8, 3), (4, 4)])
def test_every_size_the_solution_is_right_and_a_swap_is_wrong(H, I):
    lstm, sd = random_model(H, I, seed=H + I)
    assert lesson07.check(blocks(lstm), lstm, sd).state == "right"
    assert lesson07.check(blocks(lstm, "figo"), lstm, sd).state == "wrong"
    inputs = lesson07.check(blocks(lstm, columns=slice(H, H + I)), lstm, sd)  # weight_ih_l0
    assert inputs.state == "wrong" and "columns" in inputs.message, inputs.message


# ---- the live PyTorch line ---------------------------------------------------------------

def live_cells(nb):
    cells = [k for k, cell in enumerate(nb.cells) if cell.source.startswith(LIVE_MARKER)]
    assert len(cells) == 2, cells  # the one-layer and the two-layer model
    return cells


def sanitized(text):
    return re.sub(r"0x[0-9a-fA-F]+", "0xADDRESS", text)  # as tests/nbval_sanitize.cfg


def run_lesson(prelude=None, until=None):
    """The lesson executed in a fresh kernel (after `prelude`, if given), up to cell `until`."""
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    cells = nb.cells[:until]
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    with client.setup_kernel():
        if prelude:
            client.execute_cell(nbformat.v4.new_code_cell(prelude), 0)
        for k, cell in enumerate(cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, k)
    return cells


def test_the_stored_lesson_ran_the_live_check():
    """Whoever re-executed the lesson had torch: the stored line says the live check ran."""
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    for k in live_cells(nb):
        line = text_of(nb.cells[k].outputs)
        assert line.startswith("checked live against torch "), line


@pytest.mark.slow
@pytest.mark.torch_live
def test_with_torch_the_live_check_runs(torch):
    nb = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    cells = run_lesson(until=live_cells(nb)[-1] + 1)
    for k in live_cells(nb):
        assert text_of(cells[k].outputs).startswith(
            f"checked live against torch {torch.__version__}: "), k


@pytest.mark.slow
def test_without_torch_the_lesson_says_so_and_prints_the_same_elsewhere():
    stored = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    ran = run_lesson(prelude=NO_TORCH)
    k_live = live_cells(stored)
    for k in k_live:
        assert text_of(ran[k].outputs).startswith(
            "torch not installed: compared with the stored outputs only (made by torch 2.13.0)")
    for k, (old, new) in enumerate(zip(stored.cells, ran, strict=True)):
        if old.cell_type == "code" and k not in k_live:
            assert sanitized(text_of(new.outputs)) == sanitized(text_of(old.outputs)), k
