"""Regenerate docs/lesson3.png, the README's picture: the lesson-3 figure with its slider, as a
learner sees it in the classroom app (Voila, headless Chromium), by the browser tests' machinery.
The picture holds the controls and the figure, down to the bottom of the canvas.

    python scripts/screenshot.py                 # docs/lesson3.png at the lesson's default step
    python scripts/screenshot.py --presses 5     # after 5 presses of ArrowRight on the slider

Needs Debian's Chromium (`apt-get install chromium`). The PNG is reduced to a 256-colour palette
to stay small (the target is under 200 KB).
"""

import argparse
import io
import secrets
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from browser_support import (  # noqa: E402
    INSTALL_HINT,
    NOTEBOOKS,
    chromium,
    chromium_path,
    copy_lessons,
    new_page,
    start_voila,
)

MAX_BYTES = 200_000


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lesson", default="03", help="lesson number or file stem (default 03)")
    ap.add_argument("--presses", type=int, default=0,
                    help="ArrowRight presses on the first slider before the picture")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "lesson3.png")
    args = ap.parse_args(argv)

    exe = chromium_path()
    if exe is None:
        raise SystemExit(f"no Chromium: {INSTALL_HINT}")
    hits = sorted(NOTEBOOKS.glob(f"{args.lesson}*.ipynb"))
    if len(hits) != 1:
        raise SystemExit(f"no single lesson matches {args.lesson!r}: {[h.name for h in hits]}")
    lesson = hits[0].stem

    from PIL import Image  # Pillow comes with matplotlib

    token = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory() as tmp, chromium(exe) as browser:
        srv = start_voila(copy_lessons(tmp, stems={lesson}), tmp, token)
        page = new_page(browser, width=1100, height=1700)  # the whole figure in view
        try:
            page.goto(f"{srv.base}/voila/render/{lesson}.ipynb?token={token}")
            slider = page.wait_for_selector(".widget-slider", timeout=120_000)
            box = slider.evaluate_handle("""el => {
                let p = el.parentElement;
                while (p && !p.querySelector('.jupyter-matplotlib-canvas-div canvas')) {
                    p = p.parentElement;
                }
                return p;
            }""").as_element()
            if box is None:
                raise SystemExit(f"{lesson}: no ipympl figure around the first slider")
            box.scroll_into_view_if_needed()
            page.wait_for_function("b => window.__lstm.drawn(b)", arg=box, timeout=60_000)
            handle = slider.query_selector(".noUi-handle")
            for _ in range(args.presses):
                before = page.evaluate("b => window.__lstm.sig(b)", box)
                handle.press("ArrowRight")
                page.wait_for_function("([b, s]) => window.__lstm.sig(b) !== s",
                                       arg=[box, before], timeout=15_000)
            page.mouse.move(0, 0)  # no hover: ipympl's toolbar stays hidden
            page.wait_for_timeout(500)
            # the controls and the figure (the HTML copy of the readout below it is left out)
            outer = box.bounding_box()
            fig = box.query_selector(".jupyter-matplotlib-canvas-div").bounding_box()
            png = page.screenshot(clip={"x": outer["x"], "y": outer["y"], "width": outer["width"],
                                        "height": fig["y"] + fig["height"] - outer["y"] + 8})
        finally:
            page.context.close()
            srv.stop()

    img = Image.open(io.BytesIO(png)).convert("RGB")
    small = img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    small.save(buf, format="PNG", optimize=True)
    data = buf.getvalue()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"{args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}: "
          f"{img.width}x{img.height}, {len(data) / 1000:.0f} KB (limit {MAX_BYTES / 1000:.0f} KB)")
    if len(data) > MAX_BYTES:
        raise SystemExit("the PNG is larger than the limit: use a smaller viewport or figure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
