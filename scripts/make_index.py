"""Write the lesson index into README.md, from the notebooks' first heading and objectives.

    python scripts/make_index.py          # rewrite the README section
    python scripts/make_index.py --check  # exit 1 if the README section is stale

tests/test_index.py runs the check, so a lesson missing from the index fails the tests.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- lessons:start -->", "<!-- lessons:end -->"


def lessons():
    """(path, title, objectives) for each notebooks/NN_*.ipynb, in order."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        text = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
        title = next((m.group(1).strip() for t in text
                      for m in [re.search(r"^# (.+)$", t, re.M)] if m), path.stem)
        objectives = next((t for t in text if "**Objectives**" in t), "")
        bullets = re.findall(r"^\s*[-*] (.+)$", objectives.split("**Objectives**", 1)[-1], re.M)
        yield path.relative_to(ROOT).as_posix(), title, bullets


def index():
    lines = [START, "", "| lesson | you will |", "| --- | --- |"]
    for path, title, bullets in lessons():
        lines.append(f"| [{title}]({path}) | {'; '.join(bullets)} |")
    return "\n".join(lines + ["", END])


def main():
    text = README.read_text()
    if START not in text or END not in text:
        sys.exit(f"README.md has no {START} ... {END} section")
    head, rest = text.split(START, 1)
    new = head + index() + rest.split(END, 1)[1]
    if "--check" in sys.argv:
        if new != text:
            sys.exit("README.md's lesson index is stale: run python scripts/make_index.py")
        return
    README.write_text(new)


if __name__ == "__main__":
    main()
