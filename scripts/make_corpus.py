"""Build lesson 9's corpus, real Python source, from this machine's Python 3.11 standard library.

    python scripts/make_corpus.py            # writes data/python_corpus_{train,heldout}.txt
    python scripts/make_corpus.py --check    # exit 1 if the files differ from what it would write

The files (all of them PSF-licensed, the licence is copied to data/python_corpus.LICENSE):

- train: every top-level module of the standard library, `Lib/*.py`, in sorted order, that
  is plain ASCII without tabs, carriage returns or form feeds (so that one character is one
  code point and the vocabulary stays small), except `_sysconfigdata_*.py` (generated for
  this machine) and `this.py` (a rot13-encoded poem, not code);
- held-out: the packages `json` (`Lib/json/*.py`) and `html` without its generated table
  (`Lib/html/__init__.py`, `Lib/html/parser.py`); none of them is a top-level module, so the
  model never reads them in training.

Each file is preceded by one comment line that names it, `# ---- Lib/json/decoder.py ----`,
so the concatenation is still Python that `tokenize` reads, and `lstm_text.split_files`
gives the files back. The exact bytes depend on the Python release: the note
data/python_corpus.README.md records the release, the file list's size and each output's
SHA-256 (this script writes it too).
"""

import hashlib
import io
import sys
import sysconfig
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
TRAIN = "python_corpus_train.txt"
HELDOUT = "python_corpus_heldout.txt"
NOTE = "python_corpus.README.md"
LICENSE = "python_corpus.LICENSE"
EXCLUDED = ("this.py",)  # a rot13 poem; _sysconfigdata_*.py are excluded by prefix
HELDOUT_FILES = ("json/__init__.py", "json/decoder.py", "json/encoder.py", "json/scanner.py",
                 "json/tool.py", "html/__init__.py", "html/parser.py")
MAX_BYTES = 5_000_000  # the budget for data/, the two text files together


def header(relative):
    return f"# ---- Lib/{relative} ----\n"


def plain(text):
    """Whether a file's text is plain ASCII without tabs, carriage returns or form feeds."""
    return text.isascii() and all(ch == "\n" or " " <= ch <= "~" for ch in text)


def read(relative):
    """One standard-library file's text, checked: plain (see `plain`) and readable by tokenize."""
    text = (STDLIB / relative).read_bytes().decode("ascii", errors="replace")
    if not plain(text):
        raise ValueError(f"Lib/{relative} is not plain ASCII without tabs")
    list(tokenize.generate_tokens(io.StringIO(text).readline))  # raises if not Python
    return text if text.endswith("\n") else text + "\n"


def train_files():
    files = []
    for path in sorted(STDLIB.glob("*.py")):
        name = path.name
        if name in EXCLUDED or name.startswith("_sysconfigdata_"):
            continue
        text = path.read_bytes().decode("ascii", errors="replace")
        if plain(text):
            files.append(name)
    return files


def build():
    """{file name: text} for the two corpus files."""
    train = train_files()
    assert not set(train) & set(HELDOUT_FILES)
    return {TRAIN: "".join(header(f) + read(f) for f in train),
            HELDOUT: "".join(header(f) + read(f) for f in HELDOUT_FILES)}, train


def copyright_notice(licence):
    """PSF's notice of copyright, as its licence quotes it (clause 2: it must be retained)."""
    start = licence.index('i.e., "Copyright (c) 2001') + len('i.e., "')
    return " ".join(licence[start:licence.index('" are retained', start)].split())


def note(texts, train, licence):
    version = ".".join(map(str, sys.version_info[:3]))
    rows = "\n".join(f"| `{name}` | {len(text):,} | {text.count(chr(10)):,} | "
                     f"{len([ln for ln in text.splitlines() if ln.startswith('# ---- Lib/')])} | "
                     f"`{hashlib.sha256(text.encode()).hexdigest()}` |"
                     for name, text in texts.items())
    return f"""# Lesson 9's corpus: Python source from the standard library

Origin: the standard library of CPython {version} (`{sys.implementation.name}`, the `.py` files
under `Lib/` as installed on the machine that made them), copied unchanged except that each
file is preceded by one comment line naming it (`# ---- Lib/json/decoder.py ----`).
Made by `python scripts/make_corpus.py`, which documents the selection: the training file holds
every top-level module `Lib/*.py` that is plain ASCII without tabs ({len(train)} files, except
`this.py` and `_sysconfigdata_*.py`); the held-out file holds `Lib/json/*.py`,
`Lib/html/__init__.py` and `Lib/html/parser.py`, which the model never reads in training.

Licence: the Python Software Foundation License Version 2 (the PSF licence, with the earlier
BeOpen, CNRI and CWI licences), copied from the standard library's `LICENSE.txt` to
`python_corpus.LICENSE`. PSF's notice of copyright, retained as its clause 2 asks:
{copyright_notice(licence)}.
The change made (clause 3 asks for a summary): the one comment line before each file.

| file | characters | lines | source files | SHA-256 |
| --- | --- | --- | --- | --- |
{rows}
"""


def main():
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"the corpus is the standard library of Python 3.11; this is {sys.version}")
    texts, train = build()
    total = sum(len(t) for t in texts.values())
    if total > MAX_BYTES:
        sys.exit(f"the corpus would be {total} bytes, over the budget of {MAX_BYTES}")
    licence = (STDLIB / "LICENSE.txt").read_text(encoding="utf-8")
    outputs = {**texts, NOTE: note(texts, train, licence), LICENSE: licence}
    if "--check" in sys.argv:
        stale = [n for n, t in outputs.items()
                 if not (DATA / n).exists() or (DATA / n).read_text(encoding="utf-8") != t]
        if stale:
            sys.exit(f"stale or missing: {', '.join(stale)}: run python scripts/make_corpus.py")
        print("the corpus files are up to date")
        return
    for name, text in outputs.items():
        (DATA / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"data/{name}: {len(text):,} characters")
    print(f"corpus: {len(train)} training files, {len(HELDOUT_FILES)} held-out files, "
          f"{total:,} bytes (budget {MAX_BYTES:,})")


if __name__ == "__main__":
    main()
