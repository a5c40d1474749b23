"""scripts/lab.py: working copies (the tracked lessons are never opened), restore, and the
JupyterLab command line (loopback, news off, --allow-root only as root)."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "lab.py"


@pytest.fixture
def lab(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("lab_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lessons = tmp_path / "notebooks"
    lessons.mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        (lessons / name).write_text(json.dumps({"original": name}))
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "LESSONS", lessons)
    monkeypatch.setattr(module, "COPIES", tmp_path / "my_lessons")
    return module


def test_opens_working_copies_with_news_off_on_loopback(lab, monkeypatch):
    calls = []
    monkeypatch.setattr(lab.subprocess, "run", lambda cmd, check: calls.append(cmd))
    monkeypatch.setattr(lab.os, "geteuid", lambda: 1000)
    monkeypatch.setattr("sys.argv", ["lab.py"])
    (lab.COPIES).mkdir()
    (lab.COPIES / "01_a.ipynb").write_text("my work")  # an existing copy is kept
    lab.main()
    cmd = calls[0]
    assert f"--ServerApp.root_dir={lab.COPIES}" in cmd
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--LabApp.news_url=None" in cmd
    assert "--allow-root" not in cmd and not any("token=" in c for c in cmd)
    assert (lab.COPIES / "01_a.ipynb").read_text() == "my work"
    assert json.loads((lab.COPIES / "02_b.ipynb").read_text()) == {"original": "02_b.ipynb"}


def test_allow_root_only_as_root(lab, monkeypatch):
    calls = []
    monkeypatch.setattr(lab.subprocess, "run", lambda cmd, check: calls.append(cmd))
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)
    monkeypatch.setattr("sys.argv", ["lab.py"])
    lab.main()
    assert "--allow-root" in calls[0]


def test_restore_puts_the_original_back_and_keeps_the_learners_copy(lab, capsys):
    lab.copy_missing()
    (lab.COPIES / "02_b.ipynb").write_text("my work")
    lab.restore("02")
    assert json.loads((lab.COPIES / "02_b.ipynb").read_text()) == {"original": "02_b.ipynb"}
    assert (lab.COPIES / "02_b.ipynb.bak").read_text() == "my work"
    with pytest.raises(SystemExit, match="no lesson numbered '07'; the lessons are 01, 02"):
        lab.restore("07")
