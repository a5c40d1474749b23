"""On Binder or a JupyterHub: what repo2docker (the image builder of BinderHub and of many
school hubs) makes of this repository, read from the Dockerfile it writes with --no-build
(no Docker daemon needed, nothing is built or fetched).

- runtime.txt pins the Python of the image to the one the project is tested with (3.11):
  without it repo2docker picks its newest default;
- the repository is copied in before `pip install -r requirements.txt` runs (its first
  requirement, `-e .`, installs the project from that copy), so the lessons import our modules.

repo2docker comes from requirements-site.txt, in the static site's build environment
(.site-cache/venv, made by scripts/build_site.py's `build_venv`, made here when missing).
Skipped when that environment cannot be made, except with LSTM_REQUIRE_REPO2DOCKER=1 or
LSTM_REQUIRE_BROWSER=1 (CI), where it fails.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import build_site  # noqa: E402

PYTHON = "3.11"  # the Python of CI, of requirements.txt's tested range and of runtime.txt


def _required():
    return "1" in (os.environ.get("LSTM_REQUIRE_REPO2DOCKER"),
                   os.environ.get("LSTM_REQUIRE_BROWSER"))


@pytest.fixture(scope="module")
def repo2docker():
    exe = shutil.which("jupyter-repo2docker")
    if exe is None:
        try:
            env = build_site.build_venv(build_site.cache_dir())
        except (OSError, subprocess.CalledProcessError) as err:
            if _required():
                pytest.fail(f"cannot install requirements-site.txt (repo2docker): {err}")
            pytest.skip(f"repo2docker not available: {err}")
        exe = str(env / "bin" / "jupyter-repo2docker")
    return exe


@pytest.fixture(scope="module")
def dockerfile(repo2docker):
    """What `jupyter-repo2docker --no-build --debug .` prints: its log and the Dockerfile."""
    proc = subprocess.run([repo2docker, "--no-build", "--debug", "."], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"repo2docker failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_runtime_txt_names_the_tested_python():
    assert (REPO / "runtime.txt").read_text().strip() == f"python-{PYTHON}"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={PYTHON}", f"pyproject's requires-python {requires} != runtime.txt"


def test_repo2docker_builds_python_311(dockerfile):
    versions = re.findall(r"Building conda environment for python=(\S+)", dockerfile)
    assert versions == [PYTHON], f"repo2docker chose Python {versions}:\n{dockerfile[:2000]}"


def test_repo2docker_installs_the_requirements_from_the_repo(dockerfile):
    lines = [ln.strip() for ln in dockerfile.splitlines()]
    copy_repo = next(i for i, ln in enumerate(lines)
                     if re.fullmatch(r"COPY --chown=\S+ src/ \$\{REPO_DIR\}/", ln))
    pip = [(i, ln) for i, ln in enumerate(lines) if re.match(r"RUN .*/bin/pip install", ln)]
    assert pip, f"no pip install step in the Dockerfile:\n{dockerfile}"
    req = [i for i, ln in pip if re.search(r'-r "?requirements\.txt"?$', ln)]
    assert len(req) == 1, f"pip install steps: {pip}"
    # `-e .` (requirements.txt's first requirement) needs the repository in place first
    assert req[0] > copy_repo, "requirements.txt is installed before the repository is copied"
    reqs = [ln.split("#")[0].strip() for ln in (REPO / "requirements.txt").read_text().splitlines()]
    assert [r for r in reqs if r][0] == "-e .", "requirements.txt no longer starts with -e ."
    # the installs run in the kernel's environment, the one with Python 3.11
    assert all("${KERNEL_PYTHON_PREFIX}/bin/pip" in ln for _, ln in pip), pip
    # nothing else gets installed: no apt.txt, environment.yml, postBuild or start
    others = [n for n in ("apt.txt", "environment.yml", "postBuild", "start", "binder",
                          ".binder", "install.R", "Project.toml") if (REPO / n).exists()]
    assert not others, f"repo2docker would also read {others}"
