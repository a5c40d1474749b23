"""Tests for lstm_text: the cross-entropy gradients against finite differences and PyTorch's
autograd, the labels against snippets checked by hand, the baselines' bits per character
computed by hand, the carried state against one long pass, sampling, and bad inputs."""

import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import lstm_text
from lstm_core import LSTM
from lstm_data import LessonDataError
from lstm_text import (
    CharLSTM,
    Vocab,
    bits_per_char,
    correlations,
    load_char_model,
    ngram_log2probs,
    rank_units,
    read_corpus,
    sample,
    save_char_model,
    split_files,
    stream_segments,
    token_labels,
    train_tbptt,
    unigram_log2probs,
)

ROOT = Path(__file__).resolve().parent.parent


def small_model(V=5, H=4, seed=3, scale=0.4):
    """A model with weights large enough that every gate and the read-out matter."""
    vocab = Vocab("abcde"[:V]) if V <= 5 else Vocab([chr(65 + k) for k in range(V)])
    model = CharLSTM(vocab, H, rng=seed)
    rng = np.random.default_rng(seed + 100)
    for p in model.parameters().values():
        p += rng.normal(0, scale, p.shape)
    return model


def segment(V=5, T=6, B=3, H=4, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, V, (T, B)), rng.integers(0, V, (T, B)),
            rng.normal(0, 0.5, (H, B)), rng.normal(0, 0.5, (H, B)))


# ---- gradients ------------------------------------------------------------------------

def test_cross_entropy_gradients_match_finite_differences():
    model = small_model()
    inputs, targets, h0, c0 = segment()
    loss, grads, _ = model.loss_and_grads(inputs, targets, h0, c0)
    assert set(grads) == set(model.parameters())
    rng = np.random.default_rng(0)
    eps = 1e-6
    for name, p in model.parameters().items():
        assert grads[name].shape == p.shape
        for _ in range(6):
            idx = tuple(int(rng.integers(0, s)) for s in p.shape)
            old = p[idx]
            p[idx] = old + eps
            up = model.loss_and_grads(inputs, targets, h0, c0, grads=False)[0]
            p[idx] = old - eps
            down = model.loss_and_grads(inputs, targets, h0, c0, grads=False)[0]
            p[idx] = old
            fd = (up - down) / (2 * eps)
            assert abs(fd - grads[name][idx]) <= 1e-7 + 1e-5 * abs(fd), (name, idx)


def test_the_loss_is_the_mean_negative_log_probability_of_each_target():
    model = small_model()
    inputs, targets, h0, c0 = segment()
    loss = model.loss_and_grads(inputs, targets, h0, c0, grads=False)[0]
    outputs, _, _ = model.lstm.forward(model.one_hot(inputs), h0, c0)  # (T, H, B)
    y = np.einsum("vh,thb->tvb", model.Wy, outputs) + model.by
    p = np.exp(y) / np.exp(y).sum(axis=1, keepdims=True)
    T, B = inputs.shape
    by_hand = -np.mean([math.log(p[t, targets[t, b], b]) for t in range(T) for b in range(B)])
    assert loss == pytest.approx(by_hand, rel=1e-12)
    # float32 computes the same loss to float32 precision, and the same gradients
    loss32, g32, _ = model.loss_and_grads(inputs, targets, h0, c0, dtype=np.float32)
    _, g64, _ = model.loss_and_grads(inputs, targets, h0, c0)
    assert loss32 == pytest.approx(loss, rel=1e-5)
    for name in g64:
        assert g32[name].dtype == np.float32
        np.testing.assert_allclose(g32[name], g64[name], atol=1e-5)


@pytest.mark.torch_live
def test_loss_and_gradients_match_torch_autograd(torch):
    model = small_model(V=5, H=4)
    inputs, targets, h0, c0 = segment(T=7, B=2)
    loss, grads, (h_T, c_T) = model.loss_and_grads(inputs, targets, h0, c0)
    lstm = torch.nn.LSTM(5, 4).double()
    lstm.load_state_dict({k: torch.from_numpy(v) for k, v in model.lstm.to_torch().items()})
    head = torch.nn.Linear(4, 5).double()
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(model.Wy))
        head.bias.copy_(torch.from_numpy(model.by[:, 0]))
    x = torch.from_numpy(model.one_hot(inputs))  # (T, B, V)
    state = (torch.from_numpy(h0.T.copy())[None], torch.from_numpy(c0.T.copy())[None])
    out, (hn, cn) = lstm(x, state)
    torch_loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, 5),
                                                   torch.from_numpy(targets).reshape(-1))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    np.testing.assert_allclose(h_T, hn[0].detach().numpy().T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_T, cn[0].detach().numpy().T, rtol=1e-12, atol=1e-14)
    # torch's gradients in its layout, read back into Wf, ... (one bias: dL/db_ih = dL/db)
    as_lstm = LSTM.from_torch({"weight_ih_l0": lstm.weight_ih_l0.grad, "weight_hh_l0":
                               lstm.weight_hh_l0.grad, "bias_ih_l0": lstm.bias_ih_l0.grad,
                               "bias_hh_l0": torch.zeros(16, dtype=torch.float64)})
    for name in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"):
        np.testing.assert_allclose(grads[name], getattr(as_lstm, name), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(grads["Wy"], head.weight.grad.numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(grads["by"][:, 0], head.bias.grad.numpy(), rtol=1e-10,
                               atol=1e-15)


# ---- the carried state ------------------------------------------------------------------

def test_segments_with_the_carried_state_equal_one_long_pass():
    model = small_model()
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 5, (24, 3))
    inputs, targets = ids[:-1], ids[1:]  # (23, 3)
    whole, _, (h_end, c_end) = model.loss_and_grads(inputs, targets, grads=False)
    total, state = 0.0, (None, None)
    for a, b in ((0, 5), (5, 12), (12, 23)):  # segments of 5, 7 and 11 steps
        loss, _, state = model.loss_and_grads(inputs[a:b], targets[a:b], *state)
        total += loss * (b - a)
    assert total / 23 == pytest.approx(whole, rel=1e-12)
    np.testing.assert_allclose(state[0], h_end, rtol=1e-12)
    np.testing.assert_allclose(state[1], c_end, rtol=1e-12)


def test_run_and_log2probs_in_chunks_equal_one_long_trace():
    model = small_model()
    ids = np.random.default_rng(6).integers(0, 5, 50)
    trace = model.lstm.trace(model.one_hot(ids[:, None]))
    c, h = model.run(ids, chunk=7)
    np.testing.assert_allclose(c, trace.c[:, :, 0], rtol=1e-6)
    np.testing.assert_allclose(h, trace.h[:, :, 0], rtol=1e-6, atol=1e-7)
    by_hand = []
    for t in range(1, 50):
        y = model.Wy @ trace.h[t - 1, :, 0] + model.by[:, 0]
        by_hand.append((y[ids[t]] - np.log(np.exp(y).sum())) / math.log(2))
    np.testing.assert_allclose(model.log2probs(ids, chunk=9), by_hand, rtol=1e-10)
    np.testing.assert_allclose(model.log2probs(ids, chunk=1000), by_hand, rtol=1e-10)


def test_read_is_lstm_forward_on_one_hot_inputs_for_streams_side_by_side(monkeypatch):
    model = small_model(scale=1.0)
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 5, (30, 3))  # 3 streams of 30 characters
    h0, c0 = rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.5, (4, 3))
    cells = np.empty((30, 4, 3))
    outputs, h, c = model.read(ids, h0, c0, cells=cells)
    x = model.one_hot(ids)  # (T, B, V): W_x x_t by a product, as LSTM.forward computes it
    ref_outputs, ref_h, ref_c = model.lstm.forward(x, h0, c0)
    trace = model.lstm.trace(x, h0, c0)  # the readable path, one equation a line
    np.testing.assert_allclose(outputs, ref_outputs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(outputs, trace.h, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cells, trace.c, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h, ref_h, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c, ref_c, rtol=1e-12, atol=1e-15)
    for s in range(3):  # each stream alone: the streams do not mix
        alone, _, _ = model.read(ids[:, s:s + 1], h0[:, s:s + 1], c0[:, s:s + 1])
        np.testing.assert_allclose(alone[:, :, 0], outputs[:, :, s], rtol=1e-12, atol=1e-15)
    monkeypatch.setattr(lstm_text, "PROJECTION_CHUNK", 4 * 4 * 3 * 7)  # 7 steps' W_x x_t at once
    np.testing.assert_array_equal(model.read(ids, h0, c0)[0], outputs)
    np.testing.assert_array_equal(h0, model.read(ids[:0], h0, c0)[1])  # T = 0: the states
    with pytest.raises(ValueError, match=r"cells must be a float64 array of shape \(30, 4, 3\)"):
        model.read(ids, cells=np.empty((30, 4, 3), np.float32))
    with pytest.raises(TypeError, match=r"integer character indices \(T, B\)"):
        model.read(ids[:, 0])
    model.lstm.Wf[0, 0] = 1e308  # products that would overflow are refused, as by forward
    with pytest.raises(ValueError, match="overflow"):
        model.read(ids)


def test_streams_are_contiguous_and_each_segment_continues_the_last():
    ids = np.arange(101)
    segments = list(stream_segments(ids, batch_size=4, seq_len=5))
    assert len(segments) == 25 // 5  # 100 predictions, 25 per stream
    for k, (inputs, targets) in enumerate(segments):
        assert inputs.shape == targets.shape == (5, 4)
        np.testing.assert_array_equal(targets, inputs + 1)  # the next character
        np.testing.assert_array_equal(inputs[:, 0], np.arange(5 * k, 5 * k + 5))
        np.testing.assert_array_equal(inputs[0], 25 * np.arange(4) + 5 * k)  # stream b at 25b
    with pytest.raises(ValueError, match="too short for 4 streams"):
        stream_segments(np.arange(10), 4, 5)


def test_training_lowers_the_loss_and_is_seeded():
    text = "def f(x):\n    return (x + 1)\n" * 40
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    runs = []
    for _ in range(2):
        model = CharLSTM(vocab, 16, rng=7)
        losses = train_tbptt(model, ids, 60, batch_size=4, seq_len=20, lr=1e-2, dtype=np.float64)
        runs.append((losses, model.Wy.copy()))
    losses = runs[0][0]
    assert losses[-10:].mean() < 0.5 * losses[:5].mean()
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    with pytest.raises(TypeError, match="CharLSTM"):
        train_tbptt(LSTM(3, 2), ids, 1)


def test_making_a_model_leaves_numpys_global_generator_alone():
    np.random.seed(3)
    before = np.random.get_state()[1].copy()
    CharLSTM(Vocab("ab"), 3, rng=0)
    assert (np.random.get_state()[1] == before).all()


# ---- labels by tokenize, checked by hand ---------------------------------------------------

def labels_of(source):
    return {k: "".join(str(min(v, 9)) for v in a) for k, a in token_labels(source).items()}


def test_strings_and_comments_by_hand():
    src = 'x = "a#b" + r\'c\'  # say "hi"\ny = """(\n)"""\n'
    got = labels_of(src)
    # line 1: x = "a#b" + r'c'  # say "hi"   (29 characters with its newline)
    # lines 2-3: y = """(  and  )"""   (the newline inside the triple quotes is in the string)
    assert got["in_string"] == ("0000" "11111" "000" "1111" + "0" * 13
                                + "0000" "11111" + "1111" "0")
    assert got["in_comment"] == "0" * 18 + "1" * 10 + "0" + "0" * 14
    assert got["bracket_depth"] == "0" * len(src)  # brackets in strings do not count


def test_f_strings_are_one_literal_as_on_python_3_11():
    src = 'f"{a[1]}" + f\'{b:{w}}\'\n'
    got = labels_of(src)
    assert got["in_string"] == "111111111" + "000" + "1111111111" + "0"
    assert got["bracket_depth"] == "0" * len(src)


def test_bracket_depth_counts_after_each_character():
    src = "f(a[1], {2: (3,\n  4)})\n"
    got = labels_of(src)
    #        f ( a [ 1 ] ,   { 2 :   ( 3 , \n     4 ) } ) \n
    assert got["bracket_depth"] == "0112211122223333" + "3332100"


def test_columns_and_indentation_levels_by_hand():
    src = "if a:\n    b = 1\n    if c:\n        d\n# note\ne\n"
    got = labels_of(src)
    assert got["column"] == ("012345" "0123456789" "0123456789" "0123456789"
                             "0123456" "01")
    # the comment line keeps the level of the statement before it: tokenize's DEDENTs come
    # with the next statement (e)
    assert got["indent_level"] == ("000000" "1111111111" "1111111111" "2222222222"
                                   "2222222" "00")


def test_labels_of_every_character_of_the_corpus_files():
    for name, source in split_files(read_corpus("heldout"))[:3]:
        labels = token_labels(source)
        assert all(len(v) == len(source) for v in labels.values()), name
        assert labels["bracket_depth"].min() == 0 and labels["bracket_depth"][-1] == 0
        assert labels["indent_level"].min() == 0
        assert set(np.unique(labels["in_string"])) == {0, 1}
        text = np.array(list(source))
        assert (text[labels["in_comment"] == 1][:1] == "#").all()


def test_tokenize_errors_and_bad_sources_are_refused():
    with pytest.raises(ValueError, match="complete Python source"):
        token_labels("x = (1,\n")
    with pytest.raises(TypeError, match="must be a str"):
        token_labels(b"x = 1\n")


# ---- baselines, by hand -------------------------------------------------------------------

def test_unigram_and_ngram_bits_per_character_by_hand():
    vocab = Vocab("abc")
    train, test = vocab.encode("abab"), vocab.encode("abc")
    # unigram, add-one: p(a) = p(b) = (2 + 1) / (4 + 3), p(c) = 1 / 7; predicted: b, then c
    uni = unigram_log2probs(train, test, 3)
    np.testing.assert_allclose(2.0 ** uni, [3 / 7, 1 / 7])
    assert bits_per_char(uni) == pytest.approx(-(math.log2(3 / 7) + math.log2(1 / 7)) / 2)
    # bigram, Witten-Bell: after a, C(ab) = 2, C(a) = 2, U(a) = 1: (2 + 3/7) / 3 = 17/21;
    # after b, C(bc) = 0, C(b) = 1, U(b) = 1: (0 + 1/7) / 2 = 1/14
    np.testing.assert_allclose(2.0 ** ngram_log2probs(train, test, 3, 2), [17 / 21, 1 / 14])
    # trigram: at t = 1 no full context (the bigram's 17/21); at t = 2 the context "ab" was
    # followed once, by a: (0 + 1 * 1/14) / (1 + 1) = 1/28
    tri = ngram_log2probs(train, test, 3, 3)
    np.testing.assert_allclose(2.0 ** tri, [17 / 21, 1 / 28])
    assert bits_per_char(tri) == pytest.approx(-(math.log2(17 / 21) + math.log2(1 / 28)) / 2)
    np.testing.assert_allclose(ngram_log2probs(train, test, 3, 1), uni)


def test_ngram_probabilities_sum_to_one_over_the_vocabulary():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 4, 300)
    context = train[100:103]
    total = sum(2.0 ** ngram_log2probs(train, np.r_[context, k], 4, 4)[-1] for k in range(4))
    assert total == pytest.approx(1.0, rel=1e-12)


def test_the_ngram_counts_of_every_order_are_the_counts_of_the_text():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 3, 200)
    tables = lstm_text._ngram_counts(ids, 5, 3)  # from one sort, of the 5-grams
    assert sorted(tables) == [2, 3, 4, 5]
    for n, (grams, counts) in tables.items():
        direct = Counter(tuple(int(v) for v in ids[k:k + n]) for k in range(len(ids) - n + 1))
        digits = [tuple(int(g) // 3 ** (n - 1 - j) % 3 for j in range(n)) for g in grams]
        assert dict(zip(digits, counts.tolist(), strict=True)) == direct
        assert np.all(np.diff(grams) > 0)  # sorted and distinct
    assert lstm_text._ngram_counts(ids[:3], 5, 3).keys() == {2, 3}  # up to the text's length


def test_a_text_shorter_than_the_ngram_order_uses_the_contexts_it_has():
    rng = np.random.default_rng(4)
    train, short = rng.integers(0, 4, 300), rng.integers(0, 4, 3)
    np.testing.assert_array_equal(ngram_log2probs(train, short, 4, 6),
                                  ngram_log2probs(train, short, 4, 3))


def test_the_baselines_run_where_numpys_intp_has_32_bits(monkeypatch):
    """Pyodide (wasm32), where the lessons also run: np.bincount casts its input to intp,
    int32 there, and refuses int64 ids. The same check here, with numpy's own bincount."""
    rng = np.random.default_rng(2)
    train, test = rng.integers(0, 6, 500), rng.integers(0, 6, 40)  # int64 ids
    expected = unigram_log2probs(train, test, 6), ngram_log2probs(train, test, 6, 3)
    real = np.bincount

    def bincount_with_32_bit_intp(x, *args, **kwargs):
        x = np.asarray(x)
        if not np.can_cast(x.dtype, np.int32, "safe"):
            raise TypeError(f"Cannot cast array data from {x.dtype!r} to dtype('int32') "
                            "according to the rule 'safe'")
        return real(x, *args, **kwargs)

    monkeypatch.setattr(np, "bincount", bincount_with_32_bit_intp)
    with pytest.raises(TypeError, match="Cannot cast"):  # the stand-in refuses as wasm32 does
        np.bincount(train)
    np.testing.assert_array_equal(unigram_log2probs(train, test, 6), expected[0])
    np.testing.assert_array_equal(ngram_log2probs(train, test, 6, 3), expected[1])


def test_bad_baseline_inputs_are_refused():
    with pytest.raises(ValueError, match="keys beyond int64"):
        ngram_log2probs(np.arange(3), np.arange(3), 96, 12)
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        unigram_log2probs(np.array([0, 5]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="at least 2 characters"):
        unigram_log2probs(np.array([0, 1]), np.array([0]), 3)
    with pytest.raises(ValueError, match="log2 probabilities"):
        bits_per_char([0.5])


# ---- correlations --------------------------------------------------------------------------

def test_correlations_match_numpy_and_rank_by_magnitude():
    rng = np.random.default_rng(1)
    label = rng.normal(size=200)
    values = np.stack([label + rng.normal(0, s, 200) for s in (3, 0.1, 1)], axis=1)
    values[:, 2] *= -1
    values = np.c_[values, np.full(200, 0.7)]  # a constant unit
    r = correlations(values, label)
    for k in range(3):
        assert r[k] == pytest.approx(np.corrcoef(values[:, k], label)[0, 1], rel=1e-12)
    assert r[3] == 0
    order, ranked = rank_units(values, label)
    assert order.tolist() == [1, 2, 0, 3] and ranked[1] < 0
    with pytest.raises(ValueError, match="constant"):
        correlations(values, np.ones(200))
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        correlations(values, label[:10])


# ---- sampling ------------------------------------------------------------------------------

def test_sampling_is_seeded_and_its_step_is_lstm_core_s():
    model = small_model(scale=1.0)
    a = sample(model, "ab", 40, temperature=1.0, rng=3)
    assert a == sample(model, "ab", 40, temperature=1.0, rng=3) and len(a) == 40
    assert a != sample(model, "ab", 40, temperature=1.0, rng=4)
    assert set(a) <= set(model.vocab.chars)
    # at a tiny temperature the sample is the likeliest character at every step
    greedy, h, c = [], None, None
    ids = model.vocab.encode("ab")
    _, h, c = model.lstm.forward(model.one_hot(ids[:, None]))
    for _ in range(10):
        k = int(np.argmax(model.Wy @ h[:, 0] + model.by[:, 0]))
        greedy.append(model.vocab.chars[k])
        gates = model.lstm.step(np.eye(5)[k], h, c)
        h, c = gates.h, gates.c
    assert sample(model, "ab", 10, temperature=1e-3, rng=0) == "".join(greedy)


def test_sampling_refuses_bad_arguments():
    model = small_model()
    with pytest.raises(ValueError, match="temperature"):
        sample(model, "a", 5, temperature=0)
    with pytest.raises(ValueError, match="prime"):
        sample(model, "", 5)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        sample(model, "az", 5)
    with pytest.raises(TypeError, match="CharLSTM"):
        sample(LSTM(2, 2), "a", 5)


# ---- bad inputs ----------------------------------------------------------------------------

def test_vocab_and_model_inputs_are_checked():
    vocab = Vocab("abc")
    assert vocab.decode(vocab.encode("cab")) == "cab"
    with pytest.raises(ValueError, match="2 characters outside the vocabulary.*'z'"):
        vocab.encode("azbz")
    with pytest.raises(ValueError, match="distinct and sorted"):
        Vocab("ba")
    with pytest.raises(TypeError, match="single characters"):
        Vocab(["ab"])
    model = CharLSTM(vocab, 3)
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        model.loss_and_grads(np.array([[0, 3]]), np.array([[0, 1]]))
    with pytest.raises(TypeError, match=r"integer character indices \(T, B\)"):
        model.loss_and_grads(np.zeros((2, 2)), np.zeros((2, 2), int))
    with pytest.raises(ValueError, match="same non-empty shape"):
        model.loss_and_grads(np.zeros((2, 2), int), np.zeros((3, 2), int))
    with pytest.raises(ValueError, match=r"h0 must be a finite float array of shape \(3, 2\)"):
        model.loss_and_grads(np.zeros((2, 2), int), np.zeros((2, 2), int), np.zeros((3, 1)))
    with pytest.raises(TypeError, match="float32 or float64"):
        model.loss_and_grads(np.zeros((2, 2), int), np.zeros((2, 2), int), dtype=np.int64)
    with pytest.raises(ValueError, match=r"Wy must have shape \(3, 3\)"):
        model.set_parameters({**model.parameters(), "Wy": np.zeros((3, 4))})
    with pytest.raises(ValueError, match="corpus' \"train\"|'train' or 'heldout'"):
        read_corpus("test")


def test_a_model_file_of_inconsistent_sizes_is_refused(tmp_path):
    model = CharLSTM(Vocab("abc"), 4)
    meta = dict(load_char_model()[1])
    for name in [*model.parameters(), "vocab"]:
        meta.pop(name)
    meta["hidden_size"] = np.int64(4)
    save_char_model(tmp_path / "char_lstm.npz", model, **meta)
    loaded, _ = load_char_model(folder=tmp_path)
    np.testing.assert_array_equal(loaded.lstm.Wf, model.lstm.Wf.astype(np.float32))
    arrays = dict(np.load(tmp_path / "char_lstm.npz", allow_pickle=False))
    arrays["vocab"] = arrays["vocab"][:2]  # Wy (2, H) would still pass; Wf (H, H + 3) not
    arrays["Wy"], arrays["by"] = arrays["Wy"][:2], arrays["by"][:2]
    np.savez(tmp_path / "char_lstm.npz", **arrays)
    with pytest.raises(LessonDataError, match=r"(?s)expected \(H, H \+ V\) = \(4, 6\).*"
                                               "python scripts/train_char_lstm.py"):
        load_char_model(folder=tmp_path)


# ---- the committed files ------------------------------------------------------------------

def test_the_corpus_files_are_the_standard_library_files():
    train, heldout = split_files(read_corpus("train")), split_files(read_corpus("heldout"))
    assert len(train) == 157 and heldout[1][0] == "json/decoder.py"
    assert not {n for n, _ in train} & {n for n, _ in heldout}
    assert sum(len(read_corpus(p)) for p in ("train", "heldout")) <= 5_000_000
    if sys.version_info[:3] == (3, 11, 7):  # the release that made them: the very same bytes
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_corpus.py"), "--check"],
                       check=True, capture_output=True)


@pytest.mark.slow
def test_the_trained_model_scores_what_its_file_says():
    model, data = load_char_model()
    text = read_corpus("heldout")
    ids = model.vocab.encode(text)
    assert bits_per_char(model.log2probs(ids)) == pytest.approx(float(data["heldout_bpc"]),
                                                               rel=1e-9)
    train_ids = model.vocab.encode(read_corpus("train"))
    assert bits_per_char(unigram_log2probs(train_ids, ids, len(model.vocab))) == pytest.approx(
        float(data["unigram_bpc"]), rel=1e-12)
    assert float(data["heldout_bpc"]) < float(data["ngram_bpc"].min())
    assert lstm_text.LABELS.keys() == token_labels("x\n").keys()


def test_a_run_stopped_by_its_callback_equals_a_shorter_run():
    text = "for k in range(10):\n    print(k)\n" * 30
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    short = CharLSTM(vocab, 8, rng=1)
    train_tbptt(short, ids, 12, batch_size=2, seq_len=10, dtype=np.float64)
    stopped = CharLSTM(vocab, 8, rng=1)

    class Stop(Exception):
        pass

    def stop_after_12(step, loss, norm):
        if step + 1 == 12:
            raise Stop

    with pytest.raises(Stop):
        train_tbptt(stopped, ids, 50, batch_size=2, seq_len=10, dtype=np.float64,
                    callback=stop_after_12)
    for name, p in short.parameters().items():
        np.testing.assert_array_equal(p, stopped.parameters()[name])


# ---- the figures (lstm_viz.text) -------------------------------------------------------------

def figure_inputs():
    src = "def f(a):\n    return (a +\n            1)  # one\n\nx = 'abc'\n"
    rng = np.random.default_rng(0)
    values = rng.uniform(-2, 2, (len(src), 3))
    return src, values, token_labels(src)


def test_the_coloured_text_has_one_cell_per_character():
    from lstm_viz.text import GUTTER, TextGrid

    src, values, _ = figure_inputs()
    grid = TextGrid(src, cols=20)
    colors = np.random.default_rng(1).uniform(0, 1, (len(src), 3))
    image = grid.image(0, grid.n_lines, colors)
    assert image.shape == (grid.n_lines * grid.cell_h, (GUTTER + 20) * grid.cell_w, 3)
    for k in (0, 4, 10, 25, len(src) - 1):  # the cell's corner pixel is the character's colour
        row, col = grid.line_of[k], grid.col_of[k] + GUTTER
        corner = image[row * grid.cell_h, col * grid.cell_w]
        np.testing.assert_allclose(corner, colors[k] * 255, atol=1)
    assert grid.image(0, 3, colors, scale=2).shape == (6 * grid.cell_h, 2 * image.shape[1], 3)
    assert grid.window_around(len(src) - 1, 2) == grid.n_lines - 2


def test_cell_text_figure_moves_and_reads_out():
    from lstm_viz import CellTextFigure

    src, values, labels = figure_inputs()
    view = CellTextFigure(src, values, [("unit 1 (a label)", 1), 2], unit=1, t=3, labels=labels)
    assert view.figure.get_size_inches()[0] * view.figure.dpi <= 848
    view.set(unit=2, t=22)  # the a of "    return (a +"
    assert view.value_at() == values[22, 2]
    readout = view.readout.get_text()
    assert f"c_t[2] = {values[22, 2]:+.3f}" in readout and "character 'a'" in readout
    assert "line 2, column 12" in readout and "bracket_depth 1" in readout
    view.png(dpi=160)  # a HiDPI canvas draws the same layout with twice the pixels
    view.reset()
    assert view.values == {"unit": 1, "t": 3}
    with pytest.raises(ValueError, match=r"\(len\(text\), H\)"):
        CellTextFigure(src, values[:5], [0])
    with pytest.raises(ValueError, match="not among the dropdown's units"):
        CellTextFigure(src, values, [0, 1], unit=2)
    with pytest.raises(ValueError, match="character position"):
        CellTextFigure(src, values, [0], t=len(src))
    view.close()


def test_select_figure_counts_what_it_highlights():
    from lstm_viz import SelectFigure

    src, values, labels = figure_inputs()
    binary = {"in_string": labels["in_string"], "in_comment": labels["in_comment"]}
    view = SelectFigure(src, values, [0, 1], unit=0, threshold=0.5, t=0, labels=binary,
                        threshold_grid=(-2.0, 2.0, 0.5))
    for side, threshold in (("above", 0.5), ("below", -1.0), ("above", 2.0)):
        view.set(side=side, threshold=threshold)
        on = values[:, 0] > threshold if side == "above" else values[:, 0] < threshold
        np.testing.assert_array_equal(view.firing(), on)
        shares, n_on = view.counts()
        assert n_on == on.sum()
        if n_on:
            lab = binary["in_string"] == 1
            assert shares["in_string"] == pytest.approx(((on & lab).sum() / on.sum(),
                                                         (on & lab).sum() / lab.sum()))
        assert f"fires on {n_on} of {len(src)}" in view.readout.get_text()
    view.close()
