"""Train lesson 9's character-level LSTM on Python source and save it to data/char_lstm.npz.

    python scripts/train_char_lstm.py                  # 28 minutes of training, then 1 minute
    python scripts/train_char_lstm.py --steps 7000     # exactly 7000 steps (however long)

The model is lstm_text.CharLSTM: lstm_core.LSTM(V, 128) on one-hot characters and a softmax
read-out, trained by truncated BPTT (lstm_text.train_tbptt: 32 streams of the training text,
segments of 50 characters, the state carried from segment to segment) with lstm_train's
BPTT, Adam and gradient clipping, in float32, one BLAS thread. Then, on the held-out files
(never read in training), the model's bits per character and the count baselines' (unigram,
n-grams of order 2 to 8).

The budget is time: the machine is shared, so how many steps fit in 28 minutes varies from
run to run (and from minute to minute). The training stops at --max-minutes (28) or at
--steps (20000), whichever comes first, and the file records the steps done. Every step is
seeded and the learning rate depends on the step only (lr / sqrt(1 + step / 2000)), so a run
that stopped after N steps is exactly `--steps N --max-minutes 1000` on the same machine: the
same weights.

The file (lstm_data's spec "char_lstm.npz"; load it with lstm_text.load_char_model, or
np.load(path, allow_pickle=False)): Wf, Wi, Wc, Wo (H, H + V) and bf, bi, bc, bo (H, 1) in the
problem statement's layout (z_t = [h_{t-1}; x_t], hidden columns first), the read-out Wy (V, H)
and by (V, 1), all float32; vocab (V,) uint32 code points; the training settings, time and
loss curve; the held-out bits per character of the model and of the baselines.

"""

import argparse
import hashlib
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lstm_text import (  # noqa: E402
    CharLSTM,
    Vocab,
    bits_per_char,
    load_char_model,
    ngram_log2probs,
    read_corpus,
    save_char_model,
    train_tbptt,
    unigram_log2probs,
)

SEED = 0
HIDDEN = 128
BATCH = 32  # streams read side by side
SEQ_LEN = 50  # characters per segment (truncated BPTT)
STEPS = 20000  # at most; the 28 minutes reached 11747 on this shared machine (load 3 to 29)
LR, LR_DECAY_STEPS, CLIP = 3e-3, 2000, 5.0  # Adam, lr / sqrt(1 + step / 2000), clip at 5
ORDERS = tuple(range(2, 9))  # the n-gram baselines
CURVE_EVERY = 50  # the saved loss curve: the mean of each 50 steps
OUT = ROOT / "data" / "char_lstm.npz"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--max-minutes", type=float, default=28.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    train_text, heldout_text = read_corpus("train"), read_corpus("heldout")
    vocab = Vocab.from_text(train_text)
    train_ids, heldout_ids = vocab.encode(train_text), vocab.encode(heldout_text)
    print(f"corpus: {len(train_ids):,} training characters, {len(heldout_ids):,} held-out, "
          f"{len(vocab)} distinct characters", flush=True)

    model = CharLSTM(vocab, HIDDEN, rng=SEED)
    start = time.perf_counter()
    load_start = os.getloadavg()
    deadline = start + 60 * args.max_minutes
    window = []

    class Stop(Exception):
        pass

    def log(step, loss, norm):
        window.append(loss)
        done = step + 1
        if done % 100 == 0 or done == args.steps:
            elapsed = time.perf_counter() - start
            print(f"step {done:5d}/{args.steps}  train {np.mean(window) / np.log(2):.3f} bpc  "
                  f"|grad| {norm:6.2f}  {elapsed / 60:5.1f} min  "
                  f"{done * BATCH * SEQ_LEN / elapsed:6.0f} chars/s  "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
            window.clear()
        if time.perf_counter() > deadline:
            raise Stop(done)

    losses = []

    def keep(step, loss, norm):
        losses.append(loss)
        log(step, loss, norm)

    stopped_early = False
    with threadpool_limits(1):  # one thread: faster than two on a shared 2-core machine
        try:
            train_tbptt(model, train_ids, args.steps, batch_size=BATCH, seq_len=SEQ_LEN, lr=LR,
                        clip=CLIP, dtype=np.float32, lr_decay_steps=LR_DECAY_STEPS,
                        callback=keep)
        except Stop as e:
            stopped_early = True
            print(f"stopped after {e.args[0]} of at most {args.steps} steps: the "
                  f"{args.max_minutes} minute budget is spent", flush=True)
    train_seconds = time.perf_counter() - start
    steps_done = len(losses)
    losses = np.array(losses)
    curve = losses[:steps_done // CURVE_EVERY * CURVE_EVERY].reshape(-1, CURVE_EVERY).mean(1)

    # The file holds float32 weights: evaluate the model with its weights rounded so
    model.set_parameters({k: v.astype(np.float32) for k, v in model.parameters().items()})
    metadata = dict(
        hidden_size=HIDDEN, seed=SEED, batch_size=BATCH, seq_len=SEQ_LEN,
        steps=args.steps, steps_done=steps_done, lr=LR, lr_decay_steps=LR_DECAY_STEPS,
        clip=CLIP, max_minutes=args.max_minutes,
        train_chars=len(train_ids), chars_seen=steps_done * BATCH * SEQ_LEN,
        train_seconds=train_seconds, curve_every=CURVE_EVERY,
        loss_curve_bpc=(curve / np.log(2)).astype(np.float32),
        load_average_start=np.float64(load_start[0]),
        load_average_end=np.float64(os.getloadavg()[0]),
        python_version=platform.python_version(), numpy_version=np.__version__,
        machine=f"{platform.machine()}, {os.cpu_count()} cores, 1 BLAS thread, float32",
        corpus_sha256=hashlib.sha256(train_text.encode()).hexdigest(),
        heldout_sha256=hashlib.sha256(heldout_text.encode()).hexdigest(),
        ngram_orders=np.array(ORDERS),
    )
    eval_start = time.perf_counter()
    metadata["heldout_bpc"] = np.float64(bits_per_char(model.log2probs(heldout_ids)))
    metadata["unigram_bpc"] = np.float64(bits_per_char(
        unigram_log2probs(train_ids, heldout_ids, len(vocab))))
    metadata["ngram_bpc"] = np.array([bits_per_char(ngram_log2probs(
        train_ids, heldout_ids, len(vocab), n)) for n in ORDERS])
    save_char_model(args.out, model, **metadata)
    saved, data = load_char_model(args.out.name, args.out.parent)  # lstm_data's checks pass
    assert np.isclose(bits_per_char(saved.log2probs(heldout_ids[:2000])),
                      bits_per_char(model.log2probs(heldout_ids[:2000])), rtol=1e-12)
    print(f"training: {steps_done} steps in {train_seconds / 60:.1f} min"
          f"{' (the time budget)' if stopped_early else ''}; evaluation "
          f"{time.perf_counter() - eval_start:.0f} s")
    print(f"held-out bits per character: LSTM {metadata['heldout_bpc']:.3f}, unigram "
          f"{metadata['unigram_bpc']:.3f}, " + ", ".join(
              f"{n}-gram {b:.3f}" for n, b in zip(ORDERS, metadata["ngram_bpc"], strict=True)))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
