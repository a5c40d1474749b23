"""The README's lesson index is generated from the notebooks; a stale index fails here."""

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
make_index = runpy.run_path(str(ROOT / "scripts" / "make_index.py"))


def test_every_lesson_is_in_the_readme_index():
    readme = (ROOT / "README.md").read_text()
    for path, _title, bullets in make_index["lessons"]():
        assert f"]({path})" in readme, f"{path} is missing from README.md's lesson index"
        assert bullets, f"{path} has no **Objectives** bullets"
    assert make_index["index"]() in readme, (
        "README.md's lesson index is stale: run python scripts/make_index.py")


def test_every_lesson_opens_with_a_numbered_title():
    for path, title, _ in make_index["lessons"]():
        number = Path(path).name[:2]
        assert title.startswith(number), f"{path}: first heading {title!r} should start with it"
