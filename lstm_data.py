"""Loading the lessons' data files (data/*.npz), checked: names, shapes, finiteness.

    from lstm_data import load_data
    run = load_data("adding_T100.npz")  # a plain dict of numpy arrays; the file is closed

Each file is read with allow_pickle=False, so a file can hold numbers and text but never
Python objects (unpickling a file can run any code). Then every array is checked against the
file's spec below. Whatever is wrong (the file is missing, truncated, not a zip archive, holds
objects, a member is corrupted, a name is missing or extra, a shape, a dtype, a NaN or an
inf), `LessonDataError` says which file, what it expected and what it found, and the
README's command that makes the file again.

A spec maps each array's name to (kind, shape) or (kind, shape, value):
- kind: "int", "float", "float32" (exactly, as PyTorch saved it) or "str", with an optional
  sign: "float>0", "int>=0".
- shape: a tuple of sizes. A letter names a size that must be the same wherever it appears
  (H hidden units, I inputs, T time steps, ...); "4H" and "H+2" are sizes derived from it.
- value: for a scalar, the letter whose size it must equal (hidden_size is H).
"""

import re
import zipfile
import zlib
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
MAX_BYTES = 2**26  # 64 MiB unpacked: a lesson's file is well below 1 MiB

_REMAKE_ADDING = "python scripts/train_adding.py"
_REMAKE_TORCH = "pip install torch==2.13.0 && python scripts/make_example_state_dict.py"
# One LSTM's parameters as lstm_train saves them; z_t = [h_{t-1}; x_t] has H + 2 entries.
_LSTM = {f"W{g}": ("float", ("H", "H+2")) for g in "fico"} | {
    f"b{g}": ("float", ("H", 1)) for g in "fico"} | {
    "Wy": ("float", (1, "H")), "by": ("float", (1, 1))}  # the linear read-out

SPECS = {
    "adding_T100.npz": {  # written by scripts/train_adding.py
        "lesson": 6, "regenerate": _REMAKE_ADDING, "arrays": {
            **{f"lstm_{k}": v for k, v in _LSTM.items()},  # seed 0, trained
            "T": ("int>0", ()), "hidden_size": ("int>0", (), "H"),
            "batch_size": ("int>0", ()), "steps": ("int>0", (), "N"),
            "lr": ("float>0", ()), "clip": ("float>0", ()),
            "seeds": ("int>=0", ("S",)), "test_seed": ("int>=0", ()),
            "test_batch": ("int>0", ()), "baseline_test_mse": ("float>0", ()),
            "checkpoint_every": ("int>0", ()), "checkpoint_steps": ("int>=0", ("C",)),
            **{f"checkpoint_{k}": (kind, ("C", *shape)) for k, (kind, shape) in _LSTM.items()},
            "lstm_losses": ("float>0", ("S", "N")), "lstm_test_mse": ("float>0", ("S",)),
            "rnn_W": ("float", ("H", "H+2")), "rnn_b": ("float", ("H", 1)),
            "rnn_Wy": ("float", (1, "H")), "rnn_by": ("float", (1, 1)),
            "rnn_losses": ("float>0", ("S", "N")), "rnn_test_mse": ("float>0", ("S",)),
        }},
    "torch_lstm_state_dict.npz": {  # written by scripts/make_example_state_dict.py
        "lesson": 7, "regenerate": _REMAKE_TORCH, "arrays": {
            "weight_ih_l0": ("float32", ("4H", "I")), "weight_hh_l0": ("float32", ("4H", "H")),
            "bias_ih_l0": ("float32", ("4H",)), "bias_hh_l0": ("float32", ("4H",)),
        }},
    "torch_lstm_example.npz": {  # written by scripts/make_example_state_dict.py
        "lesson": 7, "regenerate": _REMAKE_TORCH,
        "sizes_from": "torch_lstm_state_dict.npz",  # the same H and I as the model's weights
        "arrays": {
            "x": ("float32", ("T", "I")), "outputs": ("float32", ("T", "H")),
            "h_n": ("float32", ("H",)), "c_n": ("float32", ("H",)),
            "head_weight": ("float32", (1, "H")), "head_bias": ("float32", (1,)),
            "test_mse": ("float>0", ()), "baseline_mse": ("float>0", ()),
            "train_steps": ("int>0", ()), "train_T": ("int>0", ()),
            "torch_version": ("str", ()),
        }},
}

# Lesson 7's two-layer model, written by scripts/make_two_layer_example.py: the state dict of
# torch.nn.LSTM(num_layers=2) has the four arrays once per layer (_l0, _l1); layer 2 reads layer
# 1's h_t, so weight_ih_l1 is (4H, H). The example keeps one row per layer in h_n and c_n.
_REMAKE_TWO_LAYER = "pip install torch==2.13.0 && python scripts/make_two_layer_example.py"
SPECS["torch_two_layer_state_dict.npz"] = {
    "lesson": 7, "regenerate": _REMAKE_TWO_LAYER, "arrays": {
        "weight_ih_l0": ("float32", ("4H", "I")), "weight_hh_l0": ("float32", ("4H", "H")),
        "bias_ih_l0": ("float32", ("4H",)), "bias_hh_l0": ("float32", ("4H",)),
        "weight_ih_l1": ("float32", ("4H", "H")), "weight_hh_l1": ("float32", ("4H", "H")),
        "bias_ih_l1": ("float32", ("4H",)), "bias_hh_l1": ("float32", ("4H",)),
    }}
SPECS["torch_two_layer_example.npz"] = {
    "lesson": 7, "regenerate": _REMAKE_TWO_LAYER,
    "sizes_from": "torch_two_layer_state_dict.npz",  # the same H and I as the model's weights
    "arrays": {
        "x": ("float32", ("T", "I")), "outputs": ("float32", ("T", "H")),
        "h_n": ("float32", (2, "H")), "c_n": ("float32", (2, "H")),
        "head_weight": ("float32", (1, "H")), "head_bias": ("float32", (1,)),
        "test_mse": ("float>0", ()), "baseline_mse": ("float>0", ()),
        "train_steps": ("int>0", ()), "train_T": ("int>0", ()),
        "torch_version": ("str", ()),
    }}

# Lesson 8's file, written by scripts/train_relatives.py: V variants x S seeds, and the trained
# parameters of seed 0 of each, as lstm_train names them (z_t = [h_{t-1}; x_t] has H + 2 entries).
_REMAKE_RELATIVES = "python scripts/train_relatives.py"
_READOUT = {"Wy": ("float", (1, "H")), "by": ("float", (1, 1))}
_COLUMN = ("float", ("H", 1))  # a bias or a peephole


def _weights(gates, columns):
    return {f"W{g}": ("float", ("H", "H+2")) for g in gates} | {k: _COLUMN for k in columns}


_RELATIVES = {
    "lstm": _LSTM,
    "peephole": _LSTM | {k: _COLUMN for k in ("pf", "pi", "po")},
    "cifg": _weights("fco", ("bf", "bc", "bo", "pf", "po")) | _READOUT,  # i_t = 1 - f_t: no W_i
    "gru": _weights("rzn", ("br", "bz", "bn", "bhn")) | _READOUT,
}
SPECS["relatives.npz"] = {
    "lesson": 8, "regenerate": _REMAKE_RELATIVES, "arrays": {
        **{f"{variant}_{k}": v for variant, names in _RELATIVES.items() for k, v in names.items()},
        "T": ("int>0", ()), "hidden_size": ("int>0", (), "H"), "batch_size": ("int>0", ()),
        "steps": ("int>0", (), "N"), "lr": ("float>0", ()), "clip": ("float>0", ()),
        "forget_bias": ("float", ()), "seeds": ("int>=0", ("S",)), "test_seed": ("int>=0", ()),
        "test_batch": ("int>0", ()), "baseline_test_mse": ("float>0", ()),
        "variants": ("str", ("V",)), "labels": ("str", ("V",)),
        "losses": ("float>0", ("V", "S", "N")), "test_mse": ("float>0", ("V", "S")),
    }}

# Lesson 9's character-level LSTM (lstm_text.CharLSTM), written by scripts/train_char_lstm.py.
# Its LSTM reads one-hot characters: each W acts on [h_{t-1}; x_t], Z = H + V entries
# (lstm_text.load_char_model checks Z = H + V); vocab holds the V characters' code points.
SPECS["char_lstm.npz"] = {
    "lesson": 9, "regenerate": "python scripts/train_char_lstm.py", "arrays": {
        **{f"W{g}": ("float32", ("H", "Z")) for g in "fico"},
        **{f"b{g}": ("float32", ("H", 1)) for g in "fico"},
        "Wy": ("float32", ("V", "H")), "by": ("float32", ("V", 1)),
        "vocab": ("int>=0", ("V",)), "hidden_size": ("int>0", (), "H"),
        "seed": ("int>=0", ()), "batch_size": ("int>0", ()), "seq_len": ("int>0", ()),
        "steps": ("int>0", ()), "steps_done": ("int>0", ()), "lr": ("float>0", ()),
        "lr_decay_steps": ("int>0", ()), "clip": ("float>0", ()), "max_minutes": ("float>0", ()),
        "train_chars": ("int>0", ()),
        "chars_seen": ("int>0", ()), "train_seconds": ("float>0", ()),
        "curve_every": ("int>0", ()), "loss_curve_bpc": ("float32>0", ("K",)),
        "load_average_start": ("float>=0", ()), "load_average_end": ("float>=0", ()),
        "python_version": ("str", ()), "numpy_version": ("str", ()), "machine": ("str", ()),
        "corpus_sha256": ("str", ()), "heldout_sha256": ("str", ()),
        "heldout_bpc": ("float>0", ()), "unigram_bpc": ("float>0", ()),
        "ngram_orders": ("int>0", ("N",)), "ngram_bpc": ("float>0", ("N",)),
    }}
_KINDS = {"int": "iu", "float": "f", "str": "U"}  # numpy's dtype.kind


class LessonDataError(ValueError):
    """A lesson's data file is missing or damaged; the message says how to make it again."""


def load_data(name, folder=DATA):
    """The arrays of data file `name` (a key of SPECS) as a dict, checked against its spec."""
    return _load(name, Path(folder))[0]


def _load(name, folder):
    if name not in SPECS:
        raise ValueError(f"no spec for a data file named {name!r}; known: {', '.join(SPECS)}")
    spec = SPECS[name]
    # sizes: letter -> (size, where it was found); a companion file's sizes must hold here too
    sizes = _load(spec["sizes_from"], folder)[1] if "sizes_from" in spec else {}
    path = folder / name
    try:
        arrays = _read(path)
    except FileNotFoundError:
        _fail(path, spec, ["the file does not exist"])
    except (OSError, EOFError, ValueError, RuntimeError, MemoryError, zipfile.BadZipFile,
            zlib.error) as e:
        reason = f"{type(e).__name__}: {e}"
        if "allow_pickle" in reason:  # numpy would suggest loading it unsafely: never do that
            reason = ("a member holds Python objects (pickled), not plain numbers"
                      if "Object arrays" in reason else "a member's header is too large")
        _fail(path, spec, [f"it cannot be read as an .npz archive of numpy arrays ({reason})"])
    problems = _check(arrays, spec["arrays"], sizes, name)
    if problems:
        _fail(path, spec, problems)
    return arrays, sizes


def _read(path):
    """Every member of the .npz archive at `path`, read into memory; the file is closed."""
    with open(path, "rb") as f:
        start = f.read(4)
        if start not in (b"PK\x03\x04", b"PK\x05\x06"):  # how every zip archive starts
            raise zipfile.BadZipFile(f"an .npz file is a zip archive; this one starts {start}")
        f.seek(0)
        with np.load(f, allow_pickle=False) as npz:
            unpacked = sum(member.file_size for member in npz.zip.infolist())
            if unpacked > MAX_BYTES:
                raise ValueError(f"it would unpack to {unpacked} bytes, over {MAX_BYTES}")
            return {name: npz[name] for name in npz.files}


def _check(arrays, expected, sizes, file):
    problems = []
    missing, extra = expected.keys() - arrays.keys(), arrays.keys() - expected.keys()
    if missing:
        problems.append(f"missing: {', '.join(sorted(missing))}")
    if extra:
        problems.append(f"unexpected: {', '.join(sorted(extra))}")
    for name, (kind, shape, *value) in expected.items():
        if name not in arrays:
            continue
        a, where = arrays[name], f"{name} in {file}"
        kind, sign = re.fullmatch(r"(int|float32|float|str)(>0|>=0)?", kind).groups()
        if not isinstance(a, np.ndarray):  # numpy returns a member that is not .npy as bytes
            problems.append(f"{name}: not a numpy array (.npy) but {len(a)} raw bytes")
        elif not (a.dtype == np.float32 if kind == "float32" else a.dtype.kind in _KINDS[kind]):
            problems.append(f"{name}: dtype {a.dtype}, expected {kind}")
        elif not _fits(a.shape, shape, sizes, where):
            problems.append(f"{name}: shape {a.shape}, "
                            f"expected {_show(shape)}{_known(shape, sizes)}")
        elif kind.startswith("float") and not np.isfinite(a).all():
            problems.append(f"{name}: {np.count_nonzero(~np.isfinite(a))} of {a.size} values "
                            "are NaN or infinite, expected finite numbers")
        elif sign and not (a > 0 if sign == ">0" else a >= 0).all():
            problems.append(f"{name}: found {a.min()}, expected values {sign[:-1]} 0")
        elif value and not _fits((int(a),), value, sizes, where):
            problems.append(f"{name}: {int(a)}, expected {value[0]}{_known(value, sizes)}")
    return problems


def _fits(shape, expected, sizes, where):
    """Whether `shape` matches `expected`; the letters it meets first take their sizes from it."""
    if len(shape) != len(expected):
        return False
    seen = dict(sizes)
    for n, dim in zip(shape, expected, strict=True):
        if isinstance(dim, int):
            if n != dim:
                return False
            continue
        factor, letter, offset = re.fullmatch(r"(\d*)([A-Z])(?:\+(\d+))?", dim).groups()
        factor, offset = int(factor or 1), int(offset or 0)
        if letter not in seen:
            size, rest = divmod(n - offset, factor)
            if rest or size < 1:
                return False
            seen[letter] = (size, where)
        elif n != factor * seen[letter][0] + offset:
            return False
    sizes.update(seen)  # only from a shape that fits
    return True


def _show(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _known(dims, sizes):
    """", with H = 16 (from lstm_Wf in adding_T100.npz)" for the letters of `dims` known so far."""
    letters = sorted({re.search("[A-Z]", d).group() for d in dims if isinstance(d, str)})
    known = [f"{k} = {sizes[k][0]} (from {sizes[k][1]})" for k in letters if k in sizes]
    return ", with " + ", ".join(known) if known else ""


def _fail(path, spec, problems):
    raise LessonDataError(
        f"{path}, lesson {spec['lesson']}'s data file, is damaged:\n"
        + "".join(f"  - {p}\n" for p in problems)
        + f"Make it again with the README's command: {spec['regenerate']}") from None
