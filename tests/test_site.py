"""The static site (scripts/build_site.py): every lesson runs in the browser's own Python.

The site is built (or reused while it is up to date), served from _site/ on 127.0.0.1 by a
plain file server, and opened in a headless Chromium. For every lesson, as a learner would:
- open it in JupyterLite and wait until its Pyodide kernel is ready,
- Run All: no cell may end with an error,
- no request may go to any other host than the site's server (every request is counted, the
  kernel's web worker's included; one outside request fails the lesson),
- every slider and dropdown it displays, moved by keyboard (ArrowRight/ArrowLeft, End/Home):
  the readout, the canvas pixels and the figure's text change (test_browser's checks).
It prints, per lesson, the seconds to a ready kernel, to the end of Run All, the key press ->
new pixels time of one slider (median of 10 moves, split into key -> the kernel's image and
image -> drawn, beside an empty execute request's round trip), the slowest cells and the
machine's load average, then a table.
Targets on a 2-core machine: the first lesson ready in under 20 s cold (an empty browser
cache) and 10 s warm (the lessons after it), a slider move under 150 ms; they are printed,
not asserted (other work shares the machine).
Lessons run one after another in one browser context, as one learner's tab would.

Needs Debian's Chromium and, for a first build, npm and the package registries: skipped
without them, except with LSTM_REQUIRE_BROWSER=1 (CI), where anything missing fails.
"""

import json
import os
import statistics
import time

import pytest
from browser_support import NOTEBOOKS, chromium_path, displayed_controls
from site_support import (
    CELL_CLOCK_JS,
    CLEAR_JS,
    CLEARED_JS,
    DONE_JS,
    ERRORS_JS,
    KERNEL_JS,
    READY_JS,
    RUN_ALL_JS,
    TOASTS_JS,
    StaticServer,
    build_site,
    ensure_site,
    kernel_run,
    lesson_url,
    served_bytes,
    site_browser,
    site_context,
    slowest_cells,
)
from test_browser import (
    TRACE_JS,
    assert_defaults_shown,
    controls_in_page,
    exercise_dropdown,
    exercise_slider,
    key_to_pixels,
    shot_name,
    split_trace,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSONS = [nb.stem for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
# Lessons known not to finish Run All in the site, with why: not run (each would hold CI for
# the whole timeout), reported as xfail. Remove an entry once its lesson runs in Pyodide.
NOT_YET_IN_THE_SITE = {}  # lesson 9 ran here once its cell 5 no longer raised (wasm32's bincount)
READY_TIMEOUT_MS = 180_000
RUN_ALL_TIMEOUT_MS = 600_000
RESULTS = {}  # lesson -> {"ready": s, "run_all": s, "key": ms, ...}, for the closing table
# An empty execute request from the page and its reply: the kernel's message round trip
ECHO_JS = """async () => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const t0 = performance.now();
  await k.requestExecute({code: '', silent: true, store_history: false}).done;
  return performance.now() - t0;
}"""


def load_average():
    """The machine's 1-minute load average (other work shares its 2 cores)."""
    return os.getloadavg()[0]


def _missing(problem):
    if os.environ.get("LSTM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LSTM_REQUIRE_BROWSER=1 but {problem}")
    pytest.skip(f"static-site tests skipped: {problem}")


@pytest.fixture(scope="module")
def site():
    exe = chromium_path()
    if exe is None:
        _missing("no Chromium found (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements.txt)")
    path, problem = ensure_site()
    if problem:
        _missing(problem)
    return exe, path


@pytest.fixture(scope="module")
def server(site):
    with StaticServer(site[1]) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(site):
    with site_browser(site[0]) as b:
        yield b


@pytest.fixture(scope="module")
def context(browser, server, request):
    """One learner's browser: the lessons one after another, the cache filled by the first."""
    ctx = site_context(browser, server.base)
    yield ctx
    ctx.close()
    _print_table(request)


def _print_table(request):
    if not RESULTS:
        return
    rep = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["", "[site] lesson                          ready s  Run All s  key->pixels ms  "
                 "(key->image, image->drawn, echo ms)  load avg",
             *(f"[site] {lesson:32s} {r['ready']:7.1f}  {r['run_all']:9.1f}  {r['key']:14.0f}  "
               f"({r['to_image']:5.0f} {r['to_draw']:5.0f} {r['echo']:5.0f})"
               f"{'':18s}{r['load'][0]:4.1f}-{r['load'][1]:4.1f}"
               for lesson, r in RESULTS.items())]
    first = next(iter(RESULTS.values()))
    warm = [r["ready"] for r in list(RESULTS.values())[1:]]
    keys = [r["key"] for r in RESULTS.values() if r["key"] == r["key"]]  # not nan
    loads = [x for r in RESULTS.values() for x in r["load"]]
    lines.append(f"[site] first lesson ready {first['ready']:.1f} s cold (target < 20 s); "
                 + (f"later lessons {statistics.median(warm):.1f} s median warm (target < 10 s); "
                    if warm else "")
                 + (f"slider key->pixels {statistics.median(keys):.0f} ms median "
                    "(target < 150 ms); " if keys else "")
                 + f"load average {min(loads):.1f} to {max(loads):.1f} on "
                 f"{os.cpu_count()} cores")
    for line in lines:
        if rep:
            rep.write_line(line)
        else:
            print(line)


def open_and_run_all(page, server, lesson):
    """Open a lesson, wait for its kernel, clear the stored outputs, Run All.
    Returns (seconds to a ready kernel, seconds of Run All, the slowest cells)."""
    t0 = time.perf_counter()
    page.goto(lesson_url(server.base, lesson))
    wait_ready(page, lesson)
    ready = time.perf_counter() - t0
    # stored execution counts would look like a finished run: clear them, then Run All
    page.evaluate(CLEAR_JS)
    page.wait_for_function(CLEARED_JS)
    page.evaluate(CELL_CLOCK_JS)
    t1 = time.perf_counter()
    page.evaluate(RUN_ALL_JS)
    try:  # every cell run, or a cell's error (Run All then stops, and the kernel goes idle)
        page.wait_for_function(f"() => ({DONE_JS})() || (({ERRORS_JS})().length > 0 && "
                               "window.jupyterapp.shell.currentWidget.sessionContext.session"
                               ".kernel.status === 'idle')",
                               timeout=RUN_ALL_TIMEOUT_MS, polling=200)
    except Exception:
        clock = page.evaluate("() => window.__cellClock")
        done = [c for c in clock if c["ms"] is not None]
        running = clock[len(done)]["line"] if len(done) < len(clock) else "?"
        pytest.fail(f"{lesson}: Run All not finished after {RUN_ALL_TIMEOUT_MS / 1000:.0f} s: "
                    f"{len(done)} of {len(clock)} code cells done, code cell {len(done)} "
                    f"`{running}` still running; slowest so far: {slowest_cells(done)}")
    run_all = time.perf_counter() - t1
    return ready, run_all, slowest_cells(page.evaluate("() => window.__cellClock"))


def wait_ready(page, lesson):
    try:
        page.wait_for_function(READY_JS, timeout=READY_TIMEOUT_MS, polling=100)
    except Exception:
        pytest.fail(f"{lesson}: no ready kernel after {READY_TIMEOUT_MS / 1000:.0f} s "
                    f"(kernel, connection, status bar: {page.evaluate(KERNEL_JS)})")


def _say(capsys, line):
    with capsys.disabled():
        print(f"\n[site] {line}", flush=True)


@pytest.mark.parametrize("lesson", [
    pytest.param(lesson, marks=pytest.mark.xfail(run=False, reason=NOT_YET_IN_THE_SITE[lesson]))
    if lesson in NOT_YET_IN_THE_SITE else lesson for lesson in LESSONS])
def test_lesson_runs_in_the_site(lesson, site, context, server, capsys):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    outside_before = len(context.outside)
    n_before = len(context.requests)
    load_before = load_average()
    try:
        ready, run_all, slow = open_and_run_all(page, server, lesson)
        _say(capsys, f"{lesson}: kernel ready {ready:.1f} s, Run All {run_all:.1f} s; slowest "
             "cells: " + "; ".join(f"{s:.1f} s `{line}`" for s, line in slow)
             + f" (load average {load_before:.1f} before, {load_average():.1f} after)")
        errors = page.evaluate(ERRORS_JS)
        assert not errors, f"{lesson}: Run All in the site raised:\n" + "\n\n".join(errors)
        toasts = page.evaluate(TOASTS_JS)
        assert not toasts, f"{lesson}: notifications over the lesson: {toasts}"

        expected = displayed_controls(NOTEBOOKS / f"{lesson}.ipynb")
        controls = controls_in_page(page, expected)
        assert_defaults_shown(controls, expected, f"site {lesson} after Run All")
        key_ms = to_image = to_draw = echo = float("nan")
        movable = [(c, e) for c, e in zip(controls, expected, strict=True)
                   if e["model"] != "DropdownModel" and e["value"] < e["max"]]
        if movable:  # one slider's key -> pixels, before the checks below move it to its end
            page.evaluate(TRACE_JS)
            key_ms, times = key_to_pixels(page, movable[0][0], presses=10)
            # where the time goes: key -> the kernel's image message (the kernel's update and
            # draw, plus the round trip of the messages), image -> drawn on the canvas (the
            # rest waits for the next animation frame); the round trip alone is the median of
            # 5 empty execute requests
            to_image, to_draw = split_trace(page.evaluate("() => window.__trace"))
            echo = statistics.median(page.evaluate(ECHO_JS) for _ in range(5))
            _say(capsys, f"{lesson}: key press -> new pixels median {key_ms:.0f} ms "
                 f"(target < 150 ms) over {len(times)} presses: "
                 + ", ".join(f"{t:.0f}" for t in times)
                 + f"; of which key -> image from the kernel {to_image:.0f} ms (an empty "
                 f"execute request's round trip: {echo:.0f} ms), image -> drawn "
                 f"{to_draw:.0f} ms; load average {load_average():.1f}")
        done = []
        for i, (control, exp) in enumerate(zip(controls, expected, strict=True)):
            tag = f"site__{lesson}__{i}_{exp['description']}"
            if exp["model"] == "DropdownModel":
                done.append(exercise_dropdown(page, control, exp, tag))
            else:
                done.append(exercise_slider(page, control, exp, tag))
        print(f"site {lesson}: " + "; ".join(done))
        page.screenshot(path=shot_name("site", lesson, "page"))

        outside = context.outside[outside_before:]
        assert not outside, f"{lesson}: requests to other hosts (aborted): {outside}"
        assert not page.errors, f"{lesson}: page errors: {page.errors}"
        # the kernel started from its preloaded wheels (nothing installed with piplite, whose
        # index and wheels are the kernel extension's pypi/), and the modules came compiled:
        # the .pyc of site-packages' modules from the build, the standard library's in its zip
        mine = context.requests[n_before:]
        piplite = [u for u in mine if "/pyodide-kernel-extension/static/pypi/" in u]
        assert not piplite, f"{lesson}: the kernel installed with piplite at start: {piplite}"
        said = kernel_run(page, "import os, json, IPython, matplotlib.pyplot, lstm_core\n"
                                "print(*[os.path.isfile(m.__cached__) for m in "
                                "(IPython, matplotlib.pyplot, lstm_core)], "
                                "json.__file__.endswith('.pyc'))")
        assert said.split() == ["True"] * 4, f"{lesson}: modules not from bytecode: {said}"
        RESULTS[lesson] = {"ready": ready, "run_all": run_all, "key": key_ms,
                           "to_image": to_image, "to_draw": to_draw, "echo": echo,
                           "load": (load_before, load_average())}
        _say(capsys, f"{lesson}: {len(mine)} requests, all to {server.base} "
             f"({served_bytes(mine, server.base, site[1]) / 1e6:.0f} MB of files)")
    except Exception:
        page.screenshot(path=shot_name("site", lesson, "FAILED"))
        raise
    finally:
        page.close()


def test_without_a_service_worker(browser, server, capsys):
    """Served to a class over plain HTTP (not 127.0.0.1) a page is no secure context and gets
    no service worker: a lesson that loads data still runs. And the request counter works: a
    fetch from the kernel to another host is seen, and fails."""
    lesson = next(stem for stem in reversed(LESSONS)  # the last lesson that loads data/
                  if "load_data(" in (NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    ctx = site_context(browser, server.base, service_workers="block")
    page = ctx.new_page()
    try:
        ready, run_all, _ = open_and_run_all(page, server, lesson)
        assert not page.evaluate("() => !!navigator.serviceWorker.controller")
        errors = page.evaluate(ERRORS_JS)
        assert not errors, f"{lesson} without a service worker:\n" + "\n\n".join(errors)
        assert not ctx.outside, ctx.outside
        said = kernel_run(page, "from js import fetch\ntry:\n"
                                "    await fetch('http://example.com/from-the-kernel')\n"
                                "except Exception as e:\n    print('failed:', type(e).__name__)")
        assert said.startswith("failed:"), said
        assert ctx.outside and all("from-the-kernel" in u for u in ctx.outside), ctx.outside
        _say(capsys, f"{lesson} without a service worker: ready {ready:.1f} s, Run All "
             f"{run_all:.1f} s; the kernel's fetch to another host was counted and failed")
    finally:
        ctx.close()


def test_edits_persist_and_delete_restores_the_lesson(browser, server):
    """A learner's saved edit is there when the lesson opens again (the browser's storage);
    deleting the lesson in the file browser brings the original back (what the README says).
    ArrowDown and ArrowUp still move between cells."""
    lesson = LESSONS[0]
    ctx = site_context(browser, server.base)
    page = ctx.new_page()
    first_cell = ("() => window.jupyterapp.shell.currentWidget.content.widgets[0]"
                  ".model.sharedModel.getSource()")
    opened = ("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
              " return !!w && !!w.content && w.context.isReady && w.content.widgets.length > 0; }")
    try:
        page.goto(lesson_url(server.base, lesson))
        page.wait_for_function(opened, timeout=READY_TIMEOUT_MS)
        original = page.evaluate(first_cell)
        # the arrow keys still move between cells (the site frees them only on controls)
        page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
            nb.mode = 'command'; nb.activeCellIndex = 0; nb.activeCell.node.focus(); }""")
        page.keyboard.press("ArrowDown")
        active = "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"
        page.wait_for_function(f"() => ({active})() === 1", timeout=5_000)
        page.keyboard.press("ArrowUp")
        page.wait_for_function(f"() => ({active})() === 0", timeout=5_000)
        page.evaluate("""async () => {
            const w = window.jupyterapp.shell.currentWidget;
            w.content.widgets[0].model.sharedModel.setSource('# my notes');
            await window.jupyterapp.commands.execute('docmanager:save'); }""")
        page.goto(lesson_url(server.base, lesson))
        page.wait_for_function(opened, timeout=READY_TIMEOUT_MS)
        assert page.evaluate(first_cell) == "# my notes"
        stores = page.evaluate("async () => (await indexedDB.databases()).map(d => d.name)")
        assert any(name.startswith("JupyterLite Storage") for name in stores), stores
        page.evaluate("""async name => {
            await window.jupyterapp.commands.execute('application:close-all');
            await window.jupyterapp.serviceManager.contents.delete(name); }""", f"{lesson}.ipynb")
        page.goto(lesson_url(server.base, lesson))
        page.wait_for_function(opened, timeout=READY_TIMEOUT_MS)
        assert page.evaluate(first_cell) == original
    finally:
        ctx.close()


def test_declared_numpy_admits_the_sites_numpy(site):
    """The project's wheel runs on Pyodide's numpy in the site: its declared range says so."""
    from packaging.requirements import Requirement

    lock = json.loads((site[1] / "static" / "pyodide" / "pyodide-lock.json").read_text())
    numpy = lock["packages"]["numpy"]["version"]
    deps = [Requirement(d) for d in build_site.project()["project"]["dependencies"]]
    (req,) = [r for r in deps if r.name == "numpy"]
    assert req.specifier.contains(numpy), (
        f"pyproject.toml declares {req}, the site runs numpy {numpy}")
