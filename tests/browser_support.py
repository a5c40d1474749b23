"""Machinery for the real-browser tests and scripts/screenshot.py: servers and a headless Chromium.

- Servers (Voila, JupyterLab) run in their own process group on a free loopback port, with a
  token; `Server.stop()` ends the group and every descendant (kernels start their own groups),
  so nothing outlives a test, even when it fails.
- Chromium is Debian's (`apt-get install chromium`), launched through Playwright's
  `executable_path` (Playwright's own browser download does not work on these machines). Every
  request that does not go to 127.0.0.1 is aborted (Voila's lab template asks a CDN for icons).
- In the page, `PAGE_JS` gives a signature of a figure (a hash of its canvas pixels) and times
  key press -> first changed pixels with requestAnimationFrame polling started in the keydown.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = Path(os.environ.get("LSTM_ARTIFACTS", REPO / "artifacts")) / "browser"
sys.path.insert(0, str(REPO / "scripts"))
from classroom import voila_command, voila_env  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = ("install Debian's Chromium: `apt-get install chromium` "
                "(or point LSTM_CHROMIUM at a Chromium binary)")


def chromium_path():
    """Path of a Chromium binary ($LSTM_CHROMIUM when set, else Debian's), or None."""
    if os.environ.get("LSTM_CHROMIUM"):
        candidates = [os.environ["LSTM_CHROMIUM"]]
    else:
        candidates = [shutil.which("chromium"), "/usr/bin/chromium"]
    for cand in candidates:
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONTROL_MODELS = ("IntSliderModel", "FloatSliderModel", "SelectionSliderModel", "DropdownModel")


def displayed_controls(nb_path, hide_tag=None):
    """The sliders and dropdowns a notebook displays, in page order, read from the widget state
    that `nbconvert --execute` stores in it (cells tagged `hide_tag` left out):
    [{"model", "description", "value", "min", "max", "step", "options"}]; for a dropdown or a
    SelectionSlider, value is the index into options (the labels)."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    state = (nb.get("metadata", {}).get("widgets", {})
             .get("application/vnd.jupyter.widget-state+json", {}).get("state", {}))
    found = []

    def walk(model_id):
        m = state.get(model_id)
        if m is None:
            return
        s = m["state"]
        if m["model_name"] in CONTROL_MODELS:
            c = {"model": m["model_name"], "description": s.get("description", ""),
                 "value": s.get("value", s.get("index")), "min": s.get("min"),
                 "max": s.get("max"), "step": s.get("step"), "options": s.get("_options_labels")}
            if m["model_name"] == "SelectionSliderModel":  # the page's slider moves the index
                c.update(min=0, max=len(c["options"]) - 1, step=1)
            found.append(c)
        for child in s.get("children", []):
            walk(child.removeprefix("IPY_MODEL_"))

    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or hide_tag in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                walk(view["model_id"])
    return found


def _die_with_parent():
    """Linux: the server gets SIGTERM if the test process dies without cleaning up (SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Server:
    """A server process in its own process group, logging to a file; stop() leaves nothing."""

    def __init__(self, cmd, *, port, env=None, cwd=None, log_path=None, timeout=60, wait=True):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = Path(log_path) if log_path else None
        self._log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        if wait:
            self.wait_listening(timeout)

    def wait_listening(self, timeout=60):
        """Return once the port accepts connections; stop the server and raise if it never does."""
        try:
            self._wait_listening(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"server not listening on port {self.port} after {timeout} s:\n"
                           f"{self.log_tail()}")

    def log_tail(self, n=40):
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def _descendants(self):
        import psutil  # comes with ipykernel

        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self, grace=5.0):
        """End the kernels, then the server's process group; SIGKILL whatever is left."""
        import psutil

        kids = self._descendants()
        for p in kids:  # kernels first: ipykernel exits on SIGTERM, the server finds them gone
            with contextlib.suppress(psutil.NoSuchProcess):
                p.terminate()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(grace)
        _, alive = psutil.wait_procs(kids, timeout=grace)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(alive, timeout=grace)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
            self._log = subprocess.DEVNULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def server_env(workdir):
    """Voila's environment with Jupyter's config and runtime dirs private to `workdir`."""
    env = voila_env()
    env["JUPYTER_CONFIG_DIR"] = str(Path(workdir) / "jupyter_config")
    env["JUPYTER_RUNTIME_DIR"] = str(Path(workdir) / "jupyter_runtime")
    return env


def copy_lessons(workdir, stems=None):
    """Copy notebooks/ (all lessons, or `stems`) into workdir/notebooks, beside a link to data/.

    The servers run on the copies, so nothing can write to the committed notebooks; our modules
    import from anywhere (the project is pip-installed editable).
    """
    dst = Path(workdir) / "notebooks"
    dst.mkdir(parents=True, exist_ok=True)
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        if stems is None or nb.stem in stems:
            shutil.copy2(nb, dst / nb.name)
    if (REPO / "data").is_dir() and not (Path(workdir) / "data").exists():
        (Path(workdir) / "data").symlink_to(REPO / "data", target_is_directory=True)
    return dst


def start_voila(folder, workdir, token, wait=True):
    """Voila (the classroom command) serving `folder` on a free loopback port."""
    port = free_port()
    cmd = voila_command(folder, port=port, token=token)
    cmd.append(f"--Voila.connection_dir_root={workdir}")  # kernel connection files stay here
    return Server(cmd, port=port, env=server_env(workdir), cwd=folder, wait=wait,
                  log_path=Path(workdir) / f"voila_{port}.log")


LAB_SETTINGS = {
    # no news toast, no update check: nothing covers the notebook, nothing goes online
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    # every cell stays in the page (the default windowing detaches cells scrolled out of view)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def start_jupyterlab(root, workdir, token, wait=True):
    """JupyterLab on `root`, settings and workspaces in `workdir`, the app exposed to page JS."""
    port = free_port()
    workdir = Path(workdir)
    settings = workdir / "lab_settings"
    for rel, value in LAB_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={workdir / 'lab_workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.extension_manager=readonly",  # no PyPI queries
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    return Server(cmd, port=port, env=server_env(workdir), cwd=root, wait=wait,
                  log_path=workdir / f"lab_{port}.log")


@contextlib.contextmanager
def chromium(executable):
    """A headless Chromium through Playwright; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# In-page helpers: window.__lstm.sig(el) is a signature of the figures under `el` (a hash of each
# ipympl canvas' pixels); window.__lstm.arm(canvas) makes the next keydown start a
# requestAnimationFrame loop that records the time until that canvas' pixels first change.
PAGE_JS = r"""
() => {
  if (window.__lstm) return;
  function pixels(c) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return new Uint32Array(d.buffer);
  }
  function hash(u) {
    let h = 2166136261 >>> 0;
    for (let i = 0; i < u.length; i++) { h = Math.imul(h ^ u[i], 16777619) >>> 0; }
    return h.toString(16) + ':' + u.length;
  }
  function canvases(el) {
    // ipympl draws the figure on the bottom canvas; the top one only holds the zoom rectangle
    return Array.from(el.querySelectorAll('.jupyter-matplotlib-canvas-div canvas:first-child'));
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const st = window.__lstm = {
    timings: [], armed: null,
    sig(el) {
      return canvases(el).map(c => c.width + 'x' + c.height + ':' + hash(pixels(c))).join('|');
    },
    text(el) {  // what the HTML widgets under el say (SliderFigure's text_widget)
      const parts = Array.from(el.querySelectorAll('.widget-html-content'));
      return parts.map(e => e.innerText).join('\n');
    },
    drawn(el) {  // every figure under el has a size and some opaque pixels
      const cs = canvases(el);
      return cs.length > 0 && cs.every(c => {
        if (!c.width || !c.height) return false;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4096) if (d[i] !== 0) return true;
        return false;
      });
    },
    arm(canvas) { st.armed = canvas; },
  };
  document.addEventListener('keydown', (ev) => {
    const c = st.armed;
    if (!c) return;
    st.armed = null;
    const base = pixels(c), rec = {dt: null};
    st.timings.push(rec);
    function poll() {
      const now = performance.now();
      if (!same(base, pixels(c))) { rec.dt = now - ev.timeStamp; return; }
      if (now - ev.timeStamp > 10000) { rec.dt = -1; return; }
      requestAnimationFrame(poll);
    }
    requestAnimationFrame(poll);
  }, true);
}
"""


def new_page(browser, width=1280, height=1400):
    """A page in a fresh context where only 127.0.0.1 is reachable; page.blocked lists the rest."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    blocked = []

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    ctx.route("**/*", route)
    ctx.add_init_script(script=f"({PAGE_JS})();")
    page = ctx.new_page()
    page.blocked = blocked
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page
