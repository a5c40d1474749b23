"""Open the lessons in JupyterLab, on working copies, with the project's settings.

    python scripts/lab.py                 # copy the lessons to my_lessons/ (once), open JupyterLab
    python scripts/lab.py --restore 03    # lesson 03 back to its original (your copy kept as .bak)

Why working copies: JupyterLab saves a notebook every two minutes while it is open, so
working in notebooks/ itself would rewrite the tracked lessons (git shows them changed,
and the tests compare them). my_lessons/ is ignored by git; a lesson missing there is
copied again at the next start. JupyterLab's news prompt is off (it covers the lesson).
JupyterLab listens on 127.0.0.1 and prints a URL with a token: keep the token.
As root (a container), JupyterLab refuses to start without --allow-root; this script
adds it only then, because there the container, not the user account, is the boundary.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "notebooks"
COPIES = ROOT / "my_lessons"


def lessons():
    return sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))


def copy_missing():
    COPIES.mkdir(exist_ok=True)
    for path in lessons():
        if not (COPIES / path.name).exists():
            shutil.copy2(path, COPIES / path.name)


def restore(number):
    matches = [p for p in lessons() if p.name.startswith(f"{number}_")]
    if len(matches) != 1:
        names = ", ".join(p.name[:2] for p in lessons())
        sys.exit(f"no lesson numbered {number!r}; the lessons are {names}")
    copy = COPIES / matches[0].name
    if copy.exists():
        shutil.move(copy, copy.with_suffix(".ipynb.bak"))
        print(f"your copy is now {copy.with_suffix('.ipynb.bak').relative_to(ROOT)}")
    COPIES.mkdir(exist_ok=True)
    shutil.copy2(matches[0], copy)
    print(f"{copy.relative_to(ROOT)} is the original again")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restore", metavar="NN", help="put lesson NN back to its original")
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args()
    if args.restore:
        return restore(args.restore)
    copy_missing()
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={COPIES}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={args.port}",
           "--LabApp.news_url=None"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    try:
        subprocess.run(cmd, check=False)
    except KeyboardInterrupt:  # JupyterLab has stopped on the same Ctrl+C
        pass


if __name__ == "__main__":
    main()
