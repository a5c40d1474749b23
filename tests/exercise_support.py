"""Run a lesson's exercise in a real kernel: the lesson's cells up to the exercise, then
each answer followed by the lesson's own check cell. Cells are found by their tags:
`exercise-answer` (the stub), `exercise-solution` (the collapsed solution, markdown) and
`exercise-check` (the check, whose output is the feedback)."""

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAGS = ("exercise-answer", "exercise-solution", "exercise-check")


def tagged(nb, tag):
    """The index of the one cell with `tag`."""
    found = [k for k, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])]
    assert len(found) == 1, f"expected one cell tagged {tag!r}; found {found}"
    return found[0]


def solution_code(nb):
    """The code of the solution block: the ```python fence inside the <details> cell."""
    source = nb.cells[tagged(nb, "exercise-solution")].source
    assert source.lstrip().startswith("<details>"), "the solution must be collapsed"
    blocks = re.findall(r"```python\n(.*?)```", source, re.S)
    assert len(blocks) == 1, "expected one ```python block in the solution"
    return blocks[0]


def text_of(outputs):
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out and "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"])
        elif out.get("output_type") == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(parts)


def stored_exercise(notebook):
    """The exercise as the lesson is stored: the answer cell's source and the text its check
    cell shows (a stored lesson must show "Not answered yet")."""
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    return (nb.cells[tagged(nb, "exercise-answer")].source,
            text_of(nb.cells[tagged(nb, "exercise-check")].outputs))


def feedback(notebook, answers, timeout=600):
    """The check cell's output text for each answer (the source of an answer cell)."""
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    k_answer, k_check = tagged(nb, "exercise-answer"), tagged(nb, "exercise-check")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    results = []
    with client.setup_kernel():
        for k, cell in enumerate(nb.cells[:k_answer]):
            if cell.cell_type == "code":
                client.execute_cell(cell, k)
        for source in answers:
            answer = nbformat.v4.new_code_cell(source)
            check = nbformat.v4.new_code_cell(nb.cells[k_check].source)
            client.execute_cell(answer, k_answer)
            assert not [o for o in answer.outputs if o.get("output_type") == "error"], \
                text_of(answer.outputs)
            client.execute_cell(check, k_check, )
            results.append(text_of(check.outputs))
    return results
