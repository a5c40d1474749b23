"""Lesson 7's exercise: PyTorch's weight_hh_l0, built by hand from W_f, W_i, W_c, W_o.

The expected array is PyTorch's own, read from the state dict the lesson loaded; the hints
compare each row block of the answer with the blocks of the four matrices of `lstm`.
"""

import numpy as np

from lstm_exercises import array, checked, right, wrong

ORDER = "ifgo"  # PyTorch's row blocks: input gate, forget gate, candidate, output gate
NAMES = {"i": "i (lstm.Wi)", "f": "f (lstm.Wf)", "g": "g (lstm.Wc)", "o": "o (lstm.Wo)"}


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-7)  # float32 is fine


def _shape(value):
    if isinstance(value, (str, bytes)):
        return None
    try:
        return np.asarray(value, dtype=float).shape
    except (TypeError, ValueError):
        return None


def _block_source(block, matrices, H, I):
    """Which gate and which H columns of its W a (H, H) block is: (gate, first column,
    transposed), or None."""
    for gate, W in matrices.items():
        for start in range(I + 1):  # every window of H neighbouring columns of W (H + I wide)
            window = W[:, start:start + H]
            if _close(block, window):
                return gate, start, False
            if _close(block.T, window):
                return gate, start, True
    return None


@checked("my_weight_hh", what="in the cell above, replace the ... with an expression that "
         "builds the (4H, H) array from lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo, run it, then run "
         "this check again")
def check(my_weight_hh, lstm, state_dict):
    """Right when my_weight_hh equals state_dict["weight_hh_l0"] (to float32 precision)."""
    H, I = lstm.hidden_size, lstm.input_size
    theirs = state_dict["weight_hh_l0"]
    if isinstance(my_weight_hh, np.ndarray) and np.shares_memory(my_weight_hh, theirs):
        return wrong("that is PyTorch's own weight_hh_l0, read from the file: build it from "
                     "our four matrices lstm.Wi, lstm.Wf, lstm.Wc, lstm.Wo instead")
    shape, want = _shape(my_weight_hh), (4 * H, H)
    if isinstance(my_weight_hh, (str, bytes)):
        return wrong(f"my_weight_hh should be an array of shape {want}; got the text "
                     f"{my_weight_hh!r}: write the expression itself, without quotes")
    hints = {
        (H, 4 * H): f"shape {(H, 4 * H)} is the transpose (Keras' recurrent_kernel layout); "
                    f"PyTorch stacks the gates as row blocks: {want}",
        (4 * H, H + I): f"shape {(4 * H, H + I)} keeps all H + I = {H + I} columns of each W; "
                        f"weight_hh_l0 holds only those that multiply h_(t-1): {want}",
        (4 * H, I): f"shape {(4 * H, I)} is the columns that multiply x_t, PyTorch's "
                    f"weight_ih_l0; weight_hh_l0 multiplies h_(t-1): {want}",
        (H, 4 * H + 4 * I): "the four W side by side; PyTorch stacks the gates as row "
                            f"blocks (np.vstack), then keeps the h_(t-1) columns: {want}",
    }
    if shape in hints and shape != want:  # (4H, I) is the right shape when I = H
        return wrong(hints[shape])
    answer = array("my_weight_hh", my_weight_hh, want)
    if _close(answer, np.asarray(theirs, dtype=float)):
        return right(f"my_weight_hh {want} equals PyTorch's weight_hh_l0 from the file: row "
                     f"blocks i, f, g, o, each the first {H} columns of its W (the columns "
                     "that multiply h_(t-1))")
    matrices = {"i": lstm.Wi, "f": lstm.Wf, "g": lstm.Wc, "o": lstm.Wo}
    found = [_block_source(answer[p * H:(p + 1) * H], matrices, H, I) for p in range(4)]
    rows = [f"rows {p * H}..{(p + 1) * H - 1}" for p in range(4)]
    for p, source in enumerate(found):
        if source is None:
            return wrong(f"{rows[p]} are not H neighbouring columns of any of lstm.Wi, "
                         f"lstm.Wf, lstm.Wc, lstm.Wo; block {p} should be the first {H} "
                         f"columns of W for gate {NAMES[ORDER[p]]}")
    for p, (gate, _, transposed) in enumerate(found):
        if transposed:
            return wrong(f"{rows[p]} hold the transpose of the block of {NAMES[gate]}: keep "
                         "W's rows as they are (one row per unit)")
    gates = [gate for gate, _, _ in found]
    if gates != list(ORDER):
        return wrong(f"your row blocks come from the gates {', '.join(gates)}; PyTorch's order "
                     f"is i, f, g, o: rows 0..{H - 1} the input gate i, rows {H}..{2 * H - 1} "
                     "the forget gate f")
    shifted = [(p, gate, start) for p, (gate, start, _) in enumerate(found) if start != 0]
    if not shifted:  # every block right, yet not the file's array: lstm is another model
        return wrong("not the weight_hh_l0 of this state dict: pass the lstm made from it, "
                     "LSTM.from_torch(state_dict)")
    p, gate, start = shifted[0]
    return wrong(f"{rows[p]} are columns {start}..{start + H - 1} of {NAMES[gate]}; W acts on "
                 f"[h_(t-1); x_t], so the columns that multiply h_(t-1) are the first {H}, "
                 f"0..{H - 1}")
