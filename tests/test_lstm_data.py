"""Tests for lstm_data: the committed data files load and pass their specs; every kind of damage
(a missing, truncated or foreign file, pickled objects, a corrupted member, wrong names, shapes,
dtypes, signs or sizes, NaN and inf) gives LessonDataError naming the file, what is wrong and the
README's command that regenerates it; and no file is left open."""

import builtins
import io
import pickle
import re
import shutil
import struct
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest

import lstm_data
from lstm_data import DATA, SPECS, LessonDataError, load_data

README = Path(__file__).resolve().parent.parent / "README.md"
ADDING = "adding_T100.npz"  # lesson 6's file, then lesson 7's two
STATE_DICT, EXAMPLE = "torch_lstm_state_dict.npz", "torch_lstm_example.npz"


def arrays_of(name):
    with np.load(DATA / name, allow_pickle=False) as npz:
        return dict(npz)


def copy_data(folder):
    for name in SPECS:
        shutil.copy(DATA / name, folder / name)


def flip_member_bytes(path, member):
    """Invert 10 bytes in the middle of one member's stored (maybe compressed) data."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    raw[start:start + 10] = bytes(b ^ 0xFF for b in raw[start:start + 10])
    path.write_bytes(bytes(raw))


def replace(name, **changes):
    """Write `name` again with some arrays changed (None removes one)."""
    def damage(folder):
        arrays = arrays_of(name) | changes
        np.savez_compressed(folder / name, **{k: v for k, v in arrays.items() if v is not None})
    return damage


def write_bytes(name, data):
    return lambda folder: (folder / name).write_bytes(data(DATA / name))


def with_member(key, data):
    """Write lesson 6's file again with member `key` replaced by the raw bytes `data`."""
    def damage(folder):
        with zipfile.ZipFile(folder / ADDING, "w") as z:
            for name, value in arrays_of(ADDING).items():
                member = io.BytesIO()
                np.save(member, value)
                z.writestr(name + ".npy", data if name == key else member.getvalue())
    return damage


HUGE = io.BytesIO()  # an .npy header that claims 2**50 numbers (8 PiB) and no data after it
np.lib.format.write_array_header_1_0(HUGE, {"descr": "<f8", "fortran_order": False,
                                            "shape": (2**50,)})


def flipped(name, member, stored=False):
    def damage(folder):
        if stored:  # np.savez: members stored uncompressed, so the CRC check must catch it
            np.savez(folder / name, **arrays_of(name))
        flip_member_bytes(folder / name, member)
    return damage


W = arrays_of(ADDING)["lstm_Wf"]
DAMAGES = {  # what is done to a copy of data/ -> (the damaged file, a part of the message)
    "missing": (lambda f: (f / ADDING).unlink(), ADDING, "does not exist"),
    "empty": (write_bytes(ADDING, lambda p: b""), ADDING, "zip archive"),
    "truncated": (write_bytes(ADDING, lambda p: p.read_bytes()[:50_000]), ADDING, "BadZipFile"),
    "truncated_end": (write_bytes(STATE_DICT, lambda p: p.read_bytes()[:-22]), STATE_DICT,
                      "BadZipFile"),
    "garbage": (write_bytes(EXAMPLE, lambda p: bytes(range(256)) * 4), EXAMPLE, "zip archive"),
    "a_pickle": (write_bytes(ADDING, lambda p: pickle.dumps(arrays_of(ADDING))), ADDING,
                 "zip archive"),
    "an_npy_file": (write_bytes(ADDING, lambda p: b"\x93NUMPY" + p.read_bytes()), ADDING,
                    "zip archive"),
    "object_array": (replace(ADDING, T=np.array([{"T": 100}], dtype=object)), ADDING,
                     "Python objects"),
    "flipped_deflated": (flipped(ADDING, "lstm_losses.npy"), ADDING, "cannot be read"),
    "flipped_stored": (flipped(STATE_DICT, "weight_hh_l0.npy", stored=True), STATE_DICT,
                       "Bad CRC-32"),
    "huge_header": (with_member("rnn_W", HUGE.getvalue()), ADDING, "cannot be read"),
    "raw_member": (with_member("rnn_W", b"not an array"), ADDING,
                   "rnn_W: not a numpy array (.npy) but 12 raw bytes"),
    "missing_name": (replace(ADDING, rnn_W=None), ADDING, "missing: rnn_W"),
    "extra_name": (replace(STATE_DICT, weight_ih_l1=np.zeros((32, 8), np.float32)), STATE_DICT,
                   "unexpected: weight_ih_l1"),
    "wrong_shape": (replace(ADDING, lstm_Wi=W[:, :-1]), ADDING,
                    "lstm_Wi: shape (16, 17), expected (H, H+2), with H = 16"),
    "wrong_rank": (replace(ADDING, T=np.array([100])), ADDING, "T: shape (1,), expected ()"),
    "empty_array": (replace(ADDING, seeds=np.zeros(0, int)), ADDING, "seeds: shape (0,)"),
    "not_4H_rows": (replace(STATE_DICT, bias_ih_l0=np.zeros(30, np.float32)), STATE_DICT,
                    "bias_ih_l0: shape (30,), expected (4H,), with H = 8"),
    "example_other_H": (replace(EXAMPLE, h_n=np.zeros(7, np.float32)), EXAMPLE,
                        "h_n: shape (7,), expected (H,), with H = 8 (from weight_ih_l0 in "
                        "torch_lstm_state_dict.npz)"),
    "hidden_size": (replace(ADDING, hidden_size=np.array(17)), ADDING,
                    "hidden_size: 17, expected H, with H = 16"),
    "nan": (replace(ADDING, lr=np.array(np.nan)), ADDING, "lr: 1 of 1 values are NaN"),
    "inf": (replace(EXAMPLE, x=np.full((60, 3), np.inf, np.float32)), EXAMPLE,
            "x: 180 of 180 values are NaN or infinite"),
    "negative": (replace(ADDING, clip=np.array(-1.0)), ADDING, "clip: found -1.0, expected "
                 "values > 0"),
    "wrong_dtype": (replace(ADDING, seeds=np.array([0.0, 1.0, 2.0])), ADDING,
                    "seeds: dtype float64, expected int"),
    "float64_weights": (replace(STATE_DICT, weight_hh_l0=np.zeros((32, 8))), STATE_DICT,
                        "weight_hh_l0: dtype float64, expected float32"),
    "complex": (replace(STATE_DICT, bias_hh_l0=np.zeros(32, complex)), STATE_DICT,
                "bias_hh_l0: dtype complex128, expected float32"),
    "bytes_for_str": (replace(EXAMPLE, torch_version=np.array(b"2.13.0")), EXAMPLE,
                      "torch_version: dtype |S6, expected str"),
    # the example is checked against the state dict, so a damaged state dict is named first
    "companion": (write_bytes(STATE_DICT, lambda p: b""), STATE_DICT, "zip archive"),
}


def test_the_committed_files_load_and_pass_their_specs():
    for name, spec in SPECS.items():
        arrays = load_data(name)
        assert type(arrays) is dict and arrays.keys() == spec["arrays"].keys()
        assert all(type(a) is np.ndarray for a in arrays.values())  # in memory, not a memmap


def test_the_regenerate_commands_are_the_readmes():
    rows = re.findall(r"`data/([^`\s]+)`.*? \| `(.+?)`", README.read_text())  # "Regenerate"
    for name, spec in SPECS.items():
        assert [command for pattern, command in rows if fnmatch(name, pattern)] == [
            spec["regenerate"]], rows


@pytest.mark.parametrize("kind", DAMAGES)
def test_damage_gives_lesson_data_error_with_file_problem_and_command(kind, tmp_path):
    damage, damaged, expected = DAMAGES[kind]
    copy_data(tmp_path)
    damage(tmp_path)
    with pytest.raises(LessonDataError) as error:
        load_data(EXAMPLE if kind == "companion" else damaged, tmp_path)
    message = str(error.value)
    assert isinstance(error.value, ValueError)
    assert str(tmp_path / damaged) in message
    assert expected in message
    assert SPECS[damaged]["regenerate"] in message
    assert "allow_pickle" not in message  # never an invitation to load a pickle
    # numpy's own message, which may suggest allow_pickle=True, is not chained to ours either
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_an_oversized_file_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    copy_data(tmp_path)
    monkeypatch.setattr(lstm_data, "MAX_BYTES", 10_000)
    with pytest.raises(LessonDataError, match=r"would unpack to \d+ bytes, over 10000"):
        load_data(ADDING, tmp_path)


def test_an_unknown_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="known: adding_T100.npz, torch_lstm_state_dict.npz"):
        load_data("adding_T200.npz")


@pytest.mark.parametrize("kind", [None, "truncated", "flipped_deflated", "object_array",
                                  "huge_header", "companion"])
def test_no_file_is_left_open(kind, tmp_path, monkeypatch):
    copy_data(tmp_path)
    if kind:
        DAMAGES[kind][0](tmp_path)
    opened, real_open = [], builtins.open

    def tracking_open(file, *args, **kwargs):
        f = real_open(file, *args, **kwargs)
        opened.append(f)
        return f

    monkeypatch.setattr(builtins, "open", tracking_open)
    monkeypatch.setattr(io, "open", tracking_open)
    try:
        load_data(EXAMPLE if kind in (None, "companion") else ADDING, tmp_path)
    except LessonDataError:
        assert kind is not None
    monkeypatch.undo()
    assert opened and all(f.closed for f in opened)
