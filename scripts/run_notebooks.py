"""Re-execute the lessons in place, so their stored outputs are fresh for nbval.

    python scripts/run_notebooks.py                    # every notebooks/NN_*.ipynb
    python scripts/run_notebooks.py notebooks/03_*.ipynb

Then `python scripts/make_index.py` and `python -m pytest notebooks` to check them.
"""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(paths):
    paths = ([str(Path(p).resolve()) for p in paths]  # nbconvert runs inside notebooks/
             or sorted(str(p) for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    for path in paths:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                        "--execute", "--inplace", "--ExecutePreprocessor.timeout=120", path],
                       check=True, cwd=ROOT / "notebooks")
        print(f"{path}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
