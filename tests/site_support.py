"""Machinery for tests/test_site.py: the built static site (_site/), served on loopback, and the
JupyterLite pages that run the lessons in a headless Chromium.

- `ensure_site()` reuses _site/ when scripts/build_site.py says it is up to date with its
  inputs, and builds it otherwise (a first build downloads about 85 MB from npm and PyPI into
  .site-cache/; later ones need no network). It returns (path, None), or (None, why) when a
  prerequisite is missing: then the test skips, or fails under LSTM_REQUIRE_BROWSER=1.
- `StaticServer` is a plain file server on 127.0.0.1 in a thread: the site needs nothing else.
- `site_browser()` is a Chromium that reaches loopback only (a dead proxy for every other
  host); `site_context()` records every request of its pages, the kernel's web worker and the
  service worker, and lists those for any other host than the site's server.
- In the page, JupyterLite exposes its app (`exposeAppInBrowser`), so the tests read the
  kernel's real status and the cells' outputs from it; `CELL_CLOCK_JS` notes when each code
  cell gets its execution count, which times each cell of a Run All.
"""

import contextlib
import functools
import http.server
import os
import shutil
import sys
import threading
import urllib.parse
from pathlib import Path

from browser_support import CHROMIUM_ARGS, PAGE_JS

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import build_site  # noqa: E402


def ensure_site():
    """(path of a fresh _site/, None), building it when needed; (None, reason) if it cannot be."""
    if build_site.is_fresh():
        return build_site.OUTPUT, None
    if shutil.which("npm") is None and not (build_site.cache_dir() / "downloads").is_dir():
        return None, ("the site is not built and npm is missing "
                      "(apt-get install npm; then python scripts/build_site.py)")
    try:
        return build_site.build(), None
    except Exception as err:  # a build that cannot run here (no registry) is reported, whole
        if os.environ.get("LSTM_REQUIRE_BROWSER") == "1":
            raise
        return None, f"python scripts/build_site.py failed: {type(err).__name__}: {err}"


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".ipynb": "application/json",
                      ".mjs": "text/javascript", ".js": "text/javascript"}

    def log_message(self, *args):  # quiet: the test counts requests in the browser
        pass


class StaticServer:
    """Files of `root` on http://127.0.0.1:PORT/ from a thread; stop() closes the socket."""

    def __init__(self, root):
        handler = functools.partial(_Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# Chromium never sends loopback requests through a proxy: with a proxy where nothing listens,
# the site's server is the only host a page (or its workers) can reach, and the HTTP cache
# still works (Playwright's request routing would turn it off, so no lesson would be warm).
BLOCK_OTHER_HOSTS = ["--proxy-server=http://127.0.0.1:9"]


@contextlib.contextmanager
def site_browser(executable):
    """A headless Chromium that can reach loopback addresses only; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable,
                                     args=CHROMIUM_ARGS + BLOCK_OTHER_HOSTS)
        try:
            yield browser
        finally:
            browser.close()


def site_context(browser, base, width=1280, height=1400, **options):
    """A browser context that records every request its pages, workers and service worker make.

    ctx.requests lists them all, ctx.outside those to any host but `base`'s (which fail, see
    BLOCK_OTHER_HOSTS)."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, **options)
    ctx.requests, ctx.outside = [], []
    host = urllib.parse.urlsplit(base).netloc

    def seen(request):
        url = request.url
        ctx.requests.append(url)
        if not url.startswith(("data:", "blob:")) and urllib.parse.urlsplit(url).netloc != host:
            ctx.outside.append(url)

    ctx.on("request", seen)
    ctx.add_init_script(script=f"({PAGE_JS})();")
    return ctx


def served_bytes(urls, base, root):
    """Bytes of the distinct site files behind `urls` (what a learner's browser downloads)."""
    total = 0
    for path in {urllib.parse.urlsplit(u).path for u in urls if u.startswith(base)}:
        f = Path(root) / urllib.parse.unquote(path).lstrip("/")
        if f.is_dir():
            f = f / "index.html"
        if f.is_file():
            total += f.stat().st_size
    return total


def lesson_url(base, lesson):
    return f"{base}/lab/index.html?path={lesson}.ipynb"


# The lesson's panel, its kernel, its code cells (JupyterLite exposes the app as jupyterapp).
KERNEL_JS = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  const s = w && w.sessionContext;
  const k = s && s.session && s.session.kernel;
  return k ? [k.status, k.connectionStatus, s.kernelDisplayStatus] : null;
}"""
# Ready: connected, the kernel idle and the status bar no longer "Initializing" (the toolbar
# says idle earlier, while Pyodide is still loading).
READY_JS = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  const s = w && w.sessionContext;
  const k = s && s.session && s.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle'
         && s.kernelDisplayStatus === 'idle';
}"""
CLEAR_JS = """async () => {
  await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
}"""
CLEARED_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .every(c => c.model.type !== 'code' || c.model.executionCount === null)"""
RUN_ALL_JS = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
DONE_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return w.sessionContext.session.kernel.status === 'idle'
      && cells.every(c => c.model.executionCount !== null);
}"""
ERRORS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .filter(c => c.model.type === 'code')
  .flatMap((c, i) => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
    .map(o => `code cell ${i}: ${o.ename}: ${o.evalue}\\n` + (o.traceback || []).join('\\n')
              .replace(/\\u001b\\[[0-9;]*m/g, '')))"""
def kernel_run(page, code):
    """Run `code` in the lesson's kernel (not in a cell); its printed text."""
    return page.evaluate("""async code => {
      const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      const future = k.requestExecute({code});
      const out = [];
      future.onIOPub = m => { if (m.content.text) out.push(m.content.text); };
      await future.done;
      return out.join('');
    }""", code)


# When each code cell got its execution count: a Run All runs them in order, so the gaps are
# the cells' times. window.__cellClock = [{first line, ms}] in cell order.
CELL_CLOCK_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const t0 = performance.now();
  const clock = window.__cellClock = cells.map(c => ({
    line: c.model.sharedModel.getSource().split('\\n')[0].slice(0, 60), ms: null}));
  const timer = setInterval(() => {
    cells.forEach((c, i) => {
      if (clock[i].ms === null && c.model.executionCount !== null) {
        clock[i].ms = performance.now() - t0;
      }
    });
    if (clock.every(x => x.ms !== null)) clearInterval(timer);
  }, 20);
}"""
TOASTS_JS = """() => Array.from(document.querySelectorAll('.Toastify__toast'))
  .map(e => e.innerText)"""


def slowest_cells(clock, n=3):
    """The n slowest cells of a Run All, [(seconds, first line)], from window.__cellClock."""
    times, prev = [], 0.0
    for entry in clock:
        ms = entry["ms"] if entry["ms"] is not None else prev
        times.append(((ms - prev) / 1000, entry["line"]))
        prev = ms
    return sorted(times, reverse=True)[:n]
