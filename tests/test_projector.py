"""The classroom app on a projector (issue 10): every lesson served by the classroom command
(Voila, one server for the whole module, every lesson's page opened at once) in a real headless
Chromium, at 1280x720 and at 1920x1080 (the same page, resized: the fit follows the window):
- every figure (an ipympl canvas, or a static image) with its controls (sliders, dropdowns)
  fits inside the window once scrolled to, and at 1920x1080 fills at least 80% of its width or
  of its height; the canvas keeps its pixel size (the template zooms it, the kernel redraws
  nothing); a slider dragged with the mouse beside a zoomed figure still moves and redraws it,
- no text shown is under 18 px as rendered (computed font size times any CSS zoom): prose,
  printed outputs, widget labels and readouts, formulas (the text drawn inside a canvas is
  pixels, not text: its size is computed from lstm_viz's fonts, DPI and the zoom, asserted for
  the figures in lstm_viz's projector layout (lessons 3, 6, 7, 8), printed for the others),
- no heading (h1-h4) whose section, up to the next heading, shows nothing,
- no sentence of the page's prose about cells, running them, the exercise or its solution:
  the class sees neither code nor the cells tagged `classroom-hide` (HIDDEN_CELL_TALK).
Screenshots of each figure at both sizes go to artifacts/browser/projector/. Needs Debian's
Chromium: skipped without it, except with LSTM_REQUIRE_BROWSER=1 (CI), as tests/test_browser.py.
"""

import json
import re
import secrets
from types import SimpleNamespace

import pytest
from browser_support import (
    ARTIFACTS,
    NOTEBOOKS,
    copy_lessons,
    displayed_controls,
    new_page,
    start_voila,
)
from test_browser import (  # noqa: F401  (browser and chromium_exe are fixtures)
    HIDE_TAG,
    browser,
    chromium_exe,
    controls_in_page,
    slider_value,
    wait_drawn,
    wait_sig,
)

from lstm_viz.figures import _GRID as UNROLLED_GRID
from lstm_viz.relatives import _GRID as RELATIVES_GRID
from lstm_viz.style import DPI, FONT, PROJECTOR_FONT

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "projector"
SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
MIN_TEXT_PX = 18
USES = 0.8  # at 1920x1080 a figure's box spans at least this share of the width or height
LOAD_MS = 300_000  # all lessons start together on 2 shared cores; lesson 6 trains as it opens

# Sentences that talk about what the class does not see: cells (their code is never shown),
# running them, the exercise and its solution. Not the LSTM's "cell state", "memory cell", c_t.
HIDDEN_CELL_TALK = [re.compile(p, re.I) for p in (
    r"\bcells? (?:below|above)\b",
    r"\b(?:next|previous|following) cells?\b(?! state)",
    r"\bthe cells (?:assert|print|move|check|step|read|compute)",
    r"\brun (?:the|this|these|each|every|all)\b(?: \w+)? (?:cells?|check|notebook|lesson)\b",
    r"\brun all\b",
    r"\bexercises?\b",
    r"\byour answer\b",
    r"\bsolutions?\b",
    r"\bthe check\b",
    r"\bfrom code\b",
    r"NBVAL",
)]


def hidden_cell_talk(text):
    """The sentences of `text` that match HIDDEN_CELL_TALK."""
    sentences = re.split(r"(?<=[.!?:])\s+", " ".join(text.split()))
    return [s for s in sentences if any(p.search(s) for p in HIDDEN_CELL_TALK)]


def displayed_figures(nb_path):
    """How many figures the classroom page shows: ipympl canvases (in the widget state stored
    in the notebook) and static images, of the cells not tagged classroom-hide."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    state = (nb.get("metadata", {}).get("widgets", {})
             .get("application/vnd.jupyter.widget-state+json", {}).get("state", {}))

    def canvases(model_id):
        m = state.get(model_id.removeprefix("IPY_MODEL_"))
        if m is None:
            return 0
        own = m["model_name"] == "MPLCanvasModel"
        return own + sum(canvases(c) for c in m["state"].get("children", []))

    n = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or HIDE_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            view = data.get("application/vnd.jupyter.widget-view+json")
            n += canvases(view["model_id"]) if view else "image/png" in data
    return n


LESSONS = sorted(nb.stem for nb in NOTEBOOKS.glob("0*.ipynb"))
FIGURE_LESSONS = [s for s in LESSONS if displayed_figures(NOTEBOOKS / f"{s}.ipynb")]


# ---- in-page measurements ----------------------------------------------------------------

# The figures and their boxes: {zoom, box: [x, y, w, h], canvas: [w, h] | null, css: [w, h]}
FIGURES_JS = r"""() => {
  const figs = [...document.querySelectorAll(
      '#rendered_cells .jupyter-matplotlib-figure, #rendered_cells .jp-OutputArea-output img')];
  return figs.map(f => {
    const out = f.closest('.jp-OutputArea-output');
    let box = f;
    while (box.parentElement && box.parentElement !== out) box = box.parentElement;
    const c = f.querySelector('canvas');
    const cr = c ? c.getBoundingClientRect() : null;
    const z = parseFloat(f.style.zoom) || 1;
    return {zoom: z, canvas: c ? [c.width, c.height] : null,
            css: cr ? [cr.width / z, cr.height / z] : null};
  });
}"""

# Scroll figure k's box to the centre of the window and return the rectangle holding the box,
# the figure and the box's controls: [left, top, right, bottom].
SCROLL_TO_JS = r"""k => {
  const f = [...document.querySelectorAll(
      '#rendered_cells .jupyter-matplotlib-figure, #rendered_cells .jp-OutputArea-output img')][k];
  const out = f.closest('.jp-OutputArea-output');
  let box = f;
  while (box.parentElement && box.parentElement !== out) box = box.parentElement;
  box.scrollIntoView({block: 'center', inline: 'nearest'});
  const parts = [box, f, ...box.querySelectorAll('.widget-slider, .widget-dropdown')];
  const rs = parts.map(e => e.getBoundingClientRect());  // the figure may overflow its box
  return [Math.min(...rs.map(r => r.left)), Math.min(...rs.map(r => r.top)),
          Math.max(...rs.map(r => r.right)), Math.max(...rs.map(r => r.bottom))];
}"""

# The smallest rendered text: every visible text node of the page, its parent's computed
# font size times its effective CSS zoom. [[px, tag, text]], smallest first.
TEXT_SIZES_JS = r"""() => {
  const root = document.querySelector('#rendered_cells');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let n; (n = walker.nextNode());) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || el.closest('.lstm-figure-text, script, style')) continue;  // hidden on purpose
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    const px = parseFloat(getComputedStyle(el).fontSize) * (el.currentCSSZoom || 1);
    found.push([px, el.tagName.toLowerCase(), text.slice(0, 40)]);
  }
  return found.sort((a, b) => a[0] - b[0]);
}"""

# Each visible heading and whether its section, up to the next heading, shows anything:
# visible text, or a canvas, image, control or formula with a size. [[heading, shows]]
HEADINGS_JS = r"""() => {
  const root = document.querySelector('#rendered_cells');
  const visible = el => el.getClientRects().length > 0
      && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.lstm-figure-text');
  const sections = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    const cur = sections[sections.length - 1];
    if (n.nodeType === Node.ELEMENT_NODE) {
      if (/^H[1-4]$/.test(n.tagName) && visible(n)) {
        sections.push({heading: n.innerText.replace('¶', '').trim(), el: n, shows: false});
      } else if (cur && !cur.el.contains(n) && n.matches('canvas, img, input, select, math')
                 && visible(n) && n.getBoundingClientRect().width > 0) {
        cur.shows = true;
      }
    } else if (cur && !cur.el.contains(n) && n.textContent.trim() && visible(n.parentElement)
               && !n.parentElement.closest('script, style')) {
      cur.shows = true;
    }
  }
  return sections.map(s => [s.heading, s.shows]);
}"""

# The prose the class reads: the text of every visible rendered markdown cell.
PROSE_JS = r"""() => [...document.querySelectorAll('#rendered_cells .jp-MarkdownCell')]
    .filter(c => c.getClientRects().length > 0).map(c => c.innerText)"""


def shot(*parts):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return str(SHOTS / ("__".join(re.sub(r"[^\w.-]+", "_", p) for p in parts) + ".png"))


def settle(page, size):
    """Resize the window and wait until the template's fit holds still (the same zooms on two
    calls 300 ms apart)."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_function("() => typeof window.__lstmFit === 'function'")
    before = None
    for _ in range(50):
        page.evaluate("() => window.__lstmFit()")
        page.wait_for_timeout(300)
        now = page.evaluate(FIGURES_JS)
        if now == before:
            return now
        before = now
    raise AssertionError(f"the figures' zoom never settled at {size}: {before}")


# ---- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def room(request, browser, tmp_path_factory):  # noqa: F811 (the fixture imported above)
    """One classroom server for every lesson, and the page of every lesson this session tests
    opened at once, at 1280x720."""
    lessons = sorted({item.callspec.params["lesson"] for item in request.session.items
                      if getattr(item, "module", None) is request.module
                      and "lesson" in getattr(getattr(item, "callspec", None), "params", {})})
    workdir = tmp_path_factory.mktemp("projector")
    token = secrets.token_urlsafe(12)
    for old in SHOTS.glob("*.png"):  # this run's screenshots only
        old.unlink()
    lesson_dir = copy_lessons(workdir)
    server = start_voila(lesson_dir, workdir, token, wait=False)
    pages = {}
    try:
        server.wait_listening()
        for lesson in lessons:
            page = pages[lesson] = new_page(browser, *SIZES["1280x720"])
            url = f"{server.base}/voila/render/{lesson}.ipynb?token={token}"
            page.evaluate("url => { window.location.href = url; }", url)
        yield SimpleNamespace(pages=pages, server=server, dir=lesson_dir, ready=set())
    finally:
        for page in pages.values():
            page.context.close()
        server.stop()


def ready(room, lesson):
    """The lesson's page once every control and figure the notebook displays is in it."""
    page = room.pages[lesson]
    if lesson not in room.ready:
        nb = room.dir / f"{lesson}.ipynb"
        controls_in_page(page, displayed_controls(nb, HIDE_TAG), timeout=LOAD_MS)
        n = displayed_figures(nb)
        page.wait_for_function("""n => {
            const cells = document.querySelector('#rendered_cells');
            const imgs = [...cells.querySelectorAll('.jp-OutputArea-output img')];
            const figs = cells.querySelectorAll('.jupyter-matplotlib-figure');
            return figs.length + imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth)
                && window.__lstm.drawn(document.querySelector('#rendered_cells')) || n === 0;
        }""", arg=n, timeout=LOAD_MS)
        page.wait_for_function("() => document.querySelector('#rendered_cells')"
                               ".style.display !== 'none'", timeout=LOAD_MS)
        room.ready.add(lesson)
    return page


# The canvases drawn in lstm_viz's projector layout (classroom.py sets $LSTM_VIZ_LAYOUT): their
# in-canvas text must be 18 px too, at the zoom the template gives them. {(w, h): font}
PROJECTOR_CANVASES = {
    tuple(UNROLLED_GRID["projector"]["size"]): PROJECTOR_FONT,  # lessons 3, 6, 7
    tuple(RELATIVES_GRID["projector"]["size"]): RELATIVES_GRID["projector"]["font"],  # 8
}


def in_canvas_font_px(zoom, font=FONT):
    """The text drawn inside a canvas as the class sees it: `font` (points) at DPI, and the
    smallest drawn ("min": colorbar ticks at tick - 1, readouts at readout - 1, legends)."""
    px = {name: round(pt * DPI / 72 * zoom, 1) for name, pt in font.items()}
    smallest = min(*font.values(), font["tick"] - 1, font["readout"] - 1)
    return {**px, "min": round(smallest * DPI / 72 * zoom, 1)}


# ---- the tests -----------------------------------------------------------------------------

def test_hidden_cell_talk_patterns():
    """The sentence patterns catch the lessons' notebook-only sentences, not the LSTM's cells."""
    caught = [
        "The cells below move the same sliders from code, print what the figure shows.",
        "The cell below measures it on your machine: the products alone.",
        "The next cell moves the figure to the steps that matter and prints what it shows.",
        "What the cells assert (the numbers printed above: r on decoder.py).",
        "Then run the check below: it says whether your answer is still missing.",
        "Show a solution (try first: the check accepts every right answer)",
        "## Exercise Make the gate a switch driven by its input.",
        "The cell above says which check ran on your machine.",
    ]
    kept = [
        "The cell state c_t is not squashed: it adds up.",
        "One LSTM unit with weights set by hand makes a memory cell that ignores distractors.",
        "LSTMVis's question, which text makes this cell fire, has a plain answer: prose.",
        "Run forwards on its own output, the model writes.",
        "The cell starts empty, so at the write step c_0 = i_0 g_0.",
        "At t = 0 the previous cell state is the initial one, zeros.",
        "One run can be luck. Every model below is scored on the same 1000 test sequences.",
    ]
    assert [s for s in caught if not hidden_cell_talk(s)] == []
    assert [s for s in kept if hidden_cell_talk(s)] == []


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lesson", FIGURE_LESSONS)
def test_figures_fit_the_screen(lesson, size, room, capsys):
    """Each figure's box (canvas and controls) fits the window; at 1920x1080 it fills most of
    it; the canvas keeps its pixel size. Prints zoom, box size and the in-canvas font sizes."""
    page = ready(room, lesson)
    w, h = SIZES[size]
    figures = settle(page, (w, h))
    expected = displayed_figures(room.dir / f"{lesson}.ipynb")
    width = page.evaluate("() => document.querySelector('#rendered_cells').clientWidth")
    w = min(w, width)  # the window less its scroll bar
    assert len(figures) == expected, f"{lesson}: {len(figures)} figures in the page, not {expected}"
    lines = []
    for k, fig in enumerate(figures):
        left, top, right, bottom = page.evaluate(SCROLL_TO_JS, k)
        page.wait_for_timeout(200)
        page.screenshot(path=shot(lesson, size, f"figure{k}"))
        bw, bh = right - left, bottom - top
        where = f"{lesson} at {size}, figure {k} (zoom {fig['zoom']:.2f}, box {bw:.0f}x{bh:.0f})"
        assert left >= 0 and top >= 0 and right <= w and bottom <= h, (
            f"{where}: its box [{left:.0f}, {top:.0f}, {right:.0f}, {bottom:.0f}] does not fit "
            f"the {w}x{h} window")
        if size == "1920x1080":
            assert max(bw / w, bh / h) >= USES, (
                f"{where}: uses {bw / w:.0%} of the width and {bh / h:.0%} of the height")
        if fig["canvas"]:  # zoomed by CSS, not resized: the kernel's pixels, one for one
            assert fig["canvas"] == pytest.approx(fig["css"], abs=1), (
                f"{where}: canvas of {fig['canvas']} pixels laid out as {fig['css']}")
            font = PROJECTOR_CANVASES.get(tuple(fig["canvas"]))
            projector = font is not None
            px = in_canvas_font_px(fig["zoom"], font or FONT)
            lines.append(f"{where}, canvas {fig['canvas'][0]}x{fig['canvas'][1]}"
                         f"{' (projector layout)' if projector else ''}, in-canvas text px {px}")
            if projector:  # the others are printed only (lesson 8's, the lessons' own)
                assert px["min"] >= MIN_TEXT_PX - 0.05, (
                    f"{where}: in-canvas text of {px['min']} px, under {MIN_TEXT_PX}: {px}")
        else:
            lines.append(f"{where}, static image")
    with capsys.disabled():
        print("\n[projector] " + "\n[projector] ".join(lines), flush=True)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lesson", LESSONS)
def test_text_is_large_enough(lesson, size, room, capsys):
    """No text of the page under 18 px as rendered (font size times zoom)."""
    page = ready(room, lesson)
    settle(page, SIZES[size])
    sizes = page.evaluate(TEXT_SIZES_JS)
    assert sizes, f"{lesson}: no text found in the page"
    small = [s for s in sizes if s[0] < MIN_TEXT_PX - 0.05]
    with capsys.disabled():
        print(f"\n[projector] {lesson} at {size}: smallest text {sizes[0][0]:.1f} px "
              f"({sizes[0][1]} {sizes[0][2]!r}), {len(sizes)} text nodes", flush=True)
    assert not small, f"{lesson} at {size}: {len(small)} texts under {MIN_TEXT_PX} px: {small[:10]}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_heading_without_content(lesson, room):
    """Every heading shown has something under it before the next heading."""
    page = ready(room, lesson)
    sections = page.evaluate(HEADINGS_JS)
    assert len(sections) >= 2, f"{lesson}: headings found {sections}"
    empty = [heading for heading, shows in sections if not shows]
    assert not empty, f"{lesson}: headings with nothing under them in classroom mode: {empty}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_sentence_about_hidden_cells(lesson, room):
    """The prose shown talks about what the class sees: no cells, no running, no exercise."""
    page = ready(room, lesson)
    prose = page.evaluate(PROSE_JS)
    assert prose, f"{lesson}: no prose found in the page"
    found = [s for text in prose for s in hidden_cell_talk(text)]
    assert not found, (f"{lesson}: sentences about cells the class cannot see (tag them "
                       f"{HIDE_TAG!r}):\n" + "\n".join(found))


@pytest.mark.parametrize("lesson", FIGURE_LESSONS)
def test_drag_beside_a_zoomed_figure(lesson, room):
    """At 1280x720 (figures zoomed), the mouse drags the lesson's first slider: the value
    moves the way it was dragged and the figure beside it redraws."""
    page = ready(room, lesson)
    settle(page, SIZES["1280x720"])
    expected = displayed_controls(room.dir / f"{lesson}.ipynb", HIDE_TAG)
    sliders = [c for c, e in zip(controls_in_page(page, expected), expected, strict=True)
               if e["model"] != "DropdownModel"]
    if not sliders:
        pytest.skip(f"{lesson} has no slider")  # a dropdown only: nothing to drag
    control = sliders[0]
    box = control.evaluate_handle("""el => {
        let p = el.parentElement;
        while (p && !p.querySelector('.jupyter-matplotlib-canvas-div canvas')) p = p.parentElement;
        return p;
    }""").as_element()
    if box is None:
        pytest.skip(f"{lesson}'s first slider drives text, not a figure")
    page.bring_to_front()  # the mouse goes to the page in front
    box.evaluate("b => b.scrollIntoView({block: 'center'})")
    base = wait_drawn(page, box)
    handle = control.query_selector(".noUi-handle")
    track = control.query_selector(".noUi-base").bounding_box()
    v0 = slider_value(handle)
    hb = handle.bounding_box()
    x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    right = x0 < track["x"] + track["width"] / 2  # drag towards the farther end
    x1 = track["x"] + track["width"] * (0.85 if right else 0.15)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y0, steps=5)
    page.mouse.move(x1, y0, steps=5)
    page.mouse.up()
    page.wait_for_function("([h, v]) => parseFloat(h.getAttribute('aria-valuenow')) !== v",
                           arg=[handle, v0], timeout=15_000)
    v1 = slider_value(handle)
    assert (v1 > v0) == right, f"{lesson}: dragged {'right' if right else 'left'}, {v0} -> {v1}"
    wait_sig(page, box, differs_from=base)
    page.screenshot(path=shot(lesson, "1280x720", "dragged"))
