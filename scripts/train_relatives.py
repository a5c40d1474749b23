"""Train lesson 8's LSTM relatives on the adding problem and save them to data/relatives.npz.

Four variants with the same budget: the LSTM, the peephole LSTM (Gers & Schmidhuber 2000),
the LSTM with coupled input and forget gates (CIFG, i_t = 1 - f_t; Greff et al. 2015) and the
GRU (Cho et al. 2014, PyTorch's form). Each has H = HIDDEN units, lstm_train's initialisation
(the same N(0, 1/(H + I)) weights, a forget bias of 1: b_f for the LSTMs, the update gate's
b_z for the GRU), the same batches (one seed draws the initial weights, then the batches),
Adam and clipped gradients, for each seed in SEEDS. The adding problem is lesson 6's, at
T = 50 instead of 100 so that the 12 runs fit in a few minutes.

Saved: every loss curve (float32), each model's mean squared error on one fixed test batch,
and the trained parameters of seed 0 of every variant (lesson 8's figure). Load with
lstm_data.load_data("relatives.npz") (np.load with allow_pickle=False, then checked).

    python scripts/train_relatives.py            # about 4 minutes on 2 busy cores

tests/test_lstm_train_relatives.py checks the committed file against this script.
"""

import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_core import GRU, LSTM, PeepholeLSTM
from lstm_train import Regressor, adding_problem, init_for_training, train

T = 50  # sequence length of the adding problem
HIDDEN = 16
BATCH = 32
STEPS = 1000
LR = 1e-2
CLIP = 1.0
FORGET_BIAS = 1.0  # b_f of the LSTMs, b_z of the GRU (the gate that keeps)
SEEDS = (0, 1, 2)
TEST_SEED, TEST_BATCH = 1000, 1000
# the variants: the prefix of their names in the file, their label, and how to build one
VARIANTS = {
    "lstm": ("LSTM", lambda: LSTM(2, HIDDEN)),
    "peephole": ("peephole LSTM", lambda: PeepholeLSTM(2, HIDDEN)),
    "cifg": ("coupled (CIFG)", lambda: PeepholeLSTM(2, HIDDEN, coupled=True)),
    "gru": ("GRU", lambda: GRU(2, HIDDEN)),
}
OUT = Path(__file__).resolve().parent.parent / "data" / "relatives.npz"


def make_model(variant, seed):
    """The model and the generator that then draws its batches, from one seed."""
    rng = np.random.default_rng(seed)
    cell = init_for_training(VARIANTS[variant][1](), rng, forget_bias=FORGET_BIAS)
    return Regressor(cell, 1, rng=rng), rng


def run(variant, seed, steps=STEPS):
    """Train one model; returns (model, losses)."""
    model, rng = make_model(variant, seed)
    with threadpool_limits(1):  # small matrices: one thread is faster and repeatable
        losses = train(model, lambda r: adding_problem(r, BATCH, T), steps, rng, lr=LR,
                       clip=CLIP)
    return model, losses


def test_batch():
    return adding_problem(np.random.default_rng(TEST_SEED), TEST_BATCH, T)


def main():
    start_all = time.perf_counter()
    x_test, y_test = test_batch()
    out = {"T": T, "hidden_size": HIDDEN, "batch_size": BATCH, "steps": STEPS, "lr": LR,
           "clip": CLIP, "forget_bias": FORGET_BIAS, "seeds": np.array(SEEDS),
           "test_seed": TEST_SEED, "test_batch": TEST_BATCH,
           "variants": np.array(list(VARIANTS)),
           "labels": np.array([label for label, _ in VARIANTS.values()]),
           "baseline_test_mse": np.mean((y_test - 1.0) ** 2)}  # always predict the mean, 1
    losses = np.empty((len(VARIANTS), len(SEEDS), STEPS), np.float32)
    test_mse = np.empty((len(VARIANTS), len(SEEDS)))
    for v, variant in enumerate(VARIANTS):
        for s, seed in enumerate(SEEDS):
            start = time.perf_counter()
            model, curve = run(variant, seed)
            losses[v, s] = curve
            test_mse[v, s] = model.loss(x_test, y_test)
            print(f"{variant:8s} seed {seed}: last-100 train mse {curve[-100:].mean():.4f}, "
                  f"test mse {test_mse[v, s]:.4f} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
            if s == 0:
                for name, value in model.parameters().items():
                    out[f"{variant}_{name}"] = value
    out["losses"], out["test_mse"] = losses, test_mse
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"baseline test mse {out['baseline_test_mse']:.4f}; wrote {OUT} "
          f"({OUT.stat().st_size / 1024:.0f} KiB) in {time.perf_counter() - start_all:.0f} s")


if __name__ == "__main__":
    main()
