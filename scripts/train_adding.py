"""Train lesson 6's models on the adding problem and save them to data/adding_T100.npz.

An LSTM and a plain tanh RNN with the same hidden size, the same batches and the same
budget (Adam, clipped gradients), for each seed in SEEDS. Saved: every loss curve, each
model's mean squared error on one fixed test batch, the trained weights of seed 0 of both,
and checkpoints of the LSTM of seed 0 every CHECKPOINT_EVERY steps (lesson 6's
training-progress slider). Load with np.load(path, allow_pickle=False).

    python scripts/train_adding.py            # about 2 minutes on 2 cores

tests/test_lstm_train.py (marked slow) retrains the first checkpoints and compares.
"""

import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_core import LSTM
from lstm_train import Regressor, TanhRNN, adding_problem, init_for_training, train

T = 100  # sequence length: the RNN fails here for every seed below, the LSTM learns
HIDDEN = 16
BATCH = 64
STEPS = 1500
LR = 1e-2
CLIP = 1.0
SEEDS = (0, 1, 2)
CHECKPOINT_EVERY = 100
TEST_SEED, TEST_BATCH = 1000, 1000
OUT = Path(__file__).resolve().parent.parent / "data" / "adding_T100.npz"


def make_model(kind, seed):
    """The model and the generator that then draws its batches, from one seed."""
    rng = np.random.default_rng(seed)
    cell = LSTM(2, HIDDEN) if kind == "lstm" else TanhRNN(2, HIDDEN)
    init_for_training(cell, rng)
    return Regressor(cell, 1, rng=rng), rng


def run(kind, seed, steps=STEPS, checkpoint_every=None, callback=None):
    """Train one model; returns (model, losses, checkpoints) where checkpoints maps
    each saved step (0 = before training) to a copy of the parameters."""
    model, rng = make_model(kind, seed)
    checkpoints = {0: {k: v.copy() for k, v in model.parameters().items()}}

    def on_step(step, loss):
        done = step + 1
        if checkpoint_every and done % checkpoint_every == 0:
            checkpoints[done] = {k: v.copy() for k, v in model.parameters().items()}
        if callback is not None:
            callback(step, loss)

    with threadpool_limits(1):  # small matrices: one thread is faster and repeatable
        losses = train(model, lambda r: adding_problem(r, BATCH, T), steps, rng,
                       lr=LR, clip=CLIP, callback=on_step)
    return model, losses, checkpoints


def test_batch():
    return adding_problem(np.random.default_rng(TEST_SEED), TEST_BATCH, T)


def main():
    x_test, y_test = test_batch()
    out = {"T": T, "hidden_size": HIDDEN, "batch_size": BATCH, "steps": STEPS, "lr": LR,
           "clip": CLIP, "seeds": np.array(SEEDS), "test_seed": TEST_SEED,
           "test_batch": TEST_BATCH, "checkpoint_every": CHECKPOINT_EVERY,
           "baseline_test_mse": np.mean((y_test - 1.0) ** 2)}  # always predict the mean, 1
    for kind in ("lstm", "rnn"):
        losses, test_mse = [], []
        for seed in SEEDS:
            start = time.perf_counter()
            model, curve, checkpoints = run(kind, seed, checkpoint_every=CHECKPOINT_EVERY)
            losses.append(curve)
            test_mse.append(model.loss(x_test, y_test))
            print(f"{kind} seed {seed}: last-100 train mse {curve[-100:].mean():.4f}, "
                  f"test mse {test_mse[-1]:.4f} ({time.perf_counter() - start:.0f} s)")
            if seed == SEEDS[0]:
                for name, value in model.parameters().items():
                    out[f"{kind}_{name}"] = value
                if kind == "lstm":
                    out["checkpoint_steps"] = np.array(sorted(checkpoints))
                    for name in checkpoints[0]:
                        out[f"checkpoint_{name}"] = np.stack(
                            [checkpoints[s][name] for s in sorted(checkpoints)])
        out[f"{kind}_losses"] = np.array(losses)  # (seeds, steps)
        out[f"{kind}_test_mse"] = np.array(test_mse)  # (seeds,)
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"baseline test mse {out['baseline_test_mse']:.4f}; wrote {OUT}")


if __name__ == "__main__":
    main()
