"""Figures fit where learners work (issue 9): a static check of the stored lessons.

At 1280x800 with the file browser open, JupyterLab's notebook output area is 848 px wide
(/work/shared/FINDINGS.md), and a live ipympl canvas does not shrink with it. The stored image
outputs are the figures' snapshots (`view.snapshot()`, `view.png()`) at the figures' own DPI,
so their width in pixels is the live canvas' width: each must be at most 848 px.
"""

import base64
import json
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
OUTPUT_AREA_PX = 848


def png_size(data):
    """(width, height) from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def stored_images(path):
    """(cell number, width, height) of every image/png output stored in a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for k, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png is not None:
                raw = base64.b64decode("".join(png) if isinstance(png, list) else png)
                yield (k, *png_size(raw))


def test_png_size_reads_a_png():
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    Figure(figsize=(3, 2), dpi=80).savefig(buf, format="png")
    assert png_size(buf.getvalue()) == (240, 160)


def test_there_are_lessons_with_figures():
    assert len(NOTEBOOKS) >= 8
    assert sum(1 for p in NOTEBOOKS for _ in stored_images(p)) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_figures_fit_jupyterlab_output_area(path):
    too_wide = [f"cell {k}: {w}x{h} px" for k, w, h in stored_images(path) if w > OUTPUT_AREA_PX]
    assert not too_wide, f"{path.name}: wider than {OUTPUT_AREA_PX} px: {too_wide}"
