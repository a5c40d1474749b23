"""Classroom mode: the lessons as a clean app with Voila (code hidden, sliders and figures live).

    python scripts/classroom.py                   # all lessons, http://127.0.0.1:8866/?token=...
    python scripts/classroom.py 03                # one lesson (a number or a file name)
    python scripts/classroom.py --ip 0.0.0.0      # a classroom network: token still required

The server always asks for a token (generated here, or taken from $CLASSROOM_TOKEN) and never
starts open: Voila lets a page talk to its kernel only through widget messages, but every
visitor still gets a Python kernel of their own. The full URL with the token is printed.
The "classroom" Voila template (classroom/voila/templates/classroom) hides cells tagged
`classroom-hide`, fetches nothing from the internet and uses larger fonts.
The browser tests (tests/test_browser.py) build their Voila command with `voila_command`.
"""

import argparse
import ipaddress
import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
TEMPLATE_ROOT = REPO / "classroom"  # holds voila/templates/classroom
TEMPLATE = "classroom"


def voila_command(target, *, port, token, ip="127.0.0.1"):
    """The Voila command line serving `target` (a notebook, or a folder of them) on ip:port.

    `token` must be a non-empty string: an open server is never started.
    """
    if not isinstance(token, str) or not token:
        raise ValueError(f"token must be a non-empty string (never an open server), got {token!r}")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be an int in 1..65535, got {port!r}")
    return [
        sys.executable, "-m", "voila", str(target),
        "--no-browser",
        f"--Voila.ip={ip}",
        f"--port={port}",
        f"--token={token}",
        f"--template={TEMPLATE}",
        "--theme=light",
        # the figures' image data are widget messages: no static widget snapshot, no tracebacks
        "--show_tracebacks=False",
    ]


def voila_env(base=None):
    """Environment for Voila: our template folder on JUPYTER_PATH, the rest unchanged."""
    env = dict(os.environ if base is None else base)
    paths = [str(TEMPLATE_ROOT)] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_PATH"] = os.pathsep.join(paths)
    return env


def find_lesson(name):
    """notebooks/NN_*.ipynb from '03', '3', '03_unrolled_over_time' or a path."""
    p = Path(name)
    if p.suffix == ".ipynb" and p.exists():
        return p.resolve()
    stem = name.zfill(2) if name.isdigit() else name
    hits = sorted(NOTEBOOKS.glob(f"{stem}*.ipynb"))
    if len(hits) != 1:
        known = ", ".join(q.name for q in sorted(NOTEBOOKS.glob("*.ipynb"))) or "none"
        raise SystemExit(f"no single lesson matches {name!r} (lessons: {known})")
    return hits[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lesson", nargs="?", help="one lesson (e.g. 03); default: all of notebooks/")
    ap.add_argument("--ip", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; 0.0.0.0: a classroom network)")
    ap.add_argument("--port", type=int, default=8866)
    args = ap.parse_args(argv)

    target = find_lesson(args.lesson) if args.lesson else NOTEBOOKS
    token = os.environ.get("CLASSROOM_TOKEN") or secrets.token_urlsafe(16)
    host = args.ip
    try:
        if not ipaddress.ip_address(args.ip).is_loopback:
            host = "<this machine's address>"
    except ValueError:
        pass
    cmd = voila_command(target, port=args.port, token=token, ip=args.ip)
    print(f"Classroom mode: open http://{host}:{args.port}/?token={token}", flush=True)
    print("Stop with Ctrl+C.", flush=True)
    cwd = target if target.is_dir() else target.parent
    proc = subprocess.Popen(cmd, env=voila_env(), cwd=cwd)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl+C: Voila shuts its kernels down on SIGTERM
        proc.terminate()
        proc.wait(30)
        return 0


if __name__ == "__main__":
    sys.exit(main())
