"""Classroom mode (scripts/classroom.py) as a class meets it: over HTTP, the kernel websocket
and as processes.

Every server is the classroom command (`classroom.voila_command`) on a free loopback port, with
Jupyter's runtime folder and TMPDIR private to the test, so that leftovers can be looked for.
Most tests serve a probe notebook instead of a lesson: cells tagged `classroom-hide` hold a text,
a printed line and an image with unique markers, its metadata asks for the lab template and the
dark theme, and its kernel starts in a second.

- Security: no query parameter and no notebook metadata changes the template or the theme, and
  no script from the URL reaches the page; without the token no page (302 to the login page)
  and no API (403); no path traversal; a POST needs the XSRF cookie; no CORS header; the
  kernel websocket runs no code, shows no cell's source and speaks the v1 protocol only (a
  legacy client hung Voila 0.5.13's server); connection files are private; the token is on
  no command line and in no kernel's environment; a token too weak for the address starts
  nothing.
- Limits: beyond --class-size kernels a learner gets the "class is full" page (503), a kernel
  being started counts once, and a kernel that no page is connected to is culled after
  --cull-after seconds.
- Stopping: Ctrl+C (SIGINT), SIGTERM and SIGHUP each leave no process, no listening port and
  no connection file.
- A class, measured (test_a_class_of_learners): LEARNERS learners open lesson 3 within 10 s and
  each moves its slider (over the kernel websocket as Voila's page does; a few in Chromium
  when it is installed). The test prints (-s) the time to the first figure, the memory per
  learner, what the cap does beyond the class size and the memory that culling returns, and
  writes them to artifacts/classroom_load.txt. It asserts behaviour, not speed.
"""

import asyncio
import base64
import contextlib
import http.client
import io
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import nbformat
import psutil
import pytest
from browser_support import (
    INSTALL_HINT,
    REPO,
    Server,
    chromium,
    chromium_path,
    copy_lessons,
    free_port,
    new_page,
    server_env,
)

import classroom  # scripts/ is on sys.path through browser_support

HIDE_TAG = "classroom-hide"
INJECT = '"><script>alert(1)</script>'
LESSON = "03_unrolled_over_time"
LEARNERS = 20  # the class of the load test (>= 20), all within ARRIVALS seconds
ARRIVALS = 10.0
BROWSER_LEARNERS = 3  # of them, in Chromium when it is installed
CLASS_DEADLINE = 420  # s: every learner has its figure and has moved its slider (generous)
ARTIFACTS = Path(os.environ.get("LSTM_ARTIFACTS", REPO / "artifacts"))
KERNEL_ID = re.compile(rb'"kernelId": "([0-9a-f-]{36})"')


# ---- the probe notebook and the servers ---------------------------------------------------

def png_b64(color):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (3, 2), color).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def code_cell(source, outputs, hidden=False):
    cell = nbformat.v4.new_code_cell(source, outputs=outputs)
    if hidden:
        cell.metadata["tags"] = [HIDE_TAG]
    return cell


def image_cell(b64, hidden):
    source = ("import base64\nfrom IPython.display import Image, display\n"
              f"display(Image(data=base64.b64decode({b64!r})))")
    out = nbformat.v4.new_output("display_data", data={"image/png": b64, "text/plain": "<Image>"})
    return code_cell(source, [out], hidden)


def probe_notebook(uid):
    """Cells that must not reach a learner (tagged) and cells that must, each with a marker;
    the stored outputs are what running the cells gives (Voila runs them again)."""
    markers = SimpleNamespace(
        hidden_text=f"HIDDEN-TEXT-{uid}", hidden_output=f"HIDDEN-OUTPUT-{uid}",
        hidden_image=png_b64((200, 30, 30)), shown_text=f"SHOWN-TEXT-{uid}",
        shown_output=f"SHOWN-OUTPUT-{uid}", shown_image=png_b64((30, 30, 200)))
    hidden_md = nbformat.v4.new_markdown_cell(f"The solution: {markers.hidden_text}")
    hidden_md.metadata["tags"] = [HIDE_TAG]

    def printed(text):
        return [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# Probe\n\n{markers.shown_text}"),
        hidden_md,
        code_cell(f"print({markers.hidden_output[:7]!r} + {markers.hidden_output[7:]!r})",
                  printed(markers.hidden_output), hidden=True),
        image_cell(markers.hidden_image, hidden=True),
        code_cell(f"print({markers.shown_output[:6]!r} + {markers.shown_output[6:]!r})",
                  printed(markers.shown_output)),
        image_cell(markers.shown_image, hidden=False),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["voila"] = {"template": "lab", "theme": "dark"}  # refused like ?template=
    return nb, markers


def make_site(root):
    """root/served: the probe, a .py, a .txt and a .png; root/outside: secrets next to it."""
    uid = secrets.token_hex(4)
    served, outside = root / "served", root / "outside"
    served.mkdir(parents=True)
    outside.mkdir()
    nb, markers = probe_notebook(uid)
    nbformat.write(nb, served / "probe.ipynb")
    markers.secret = f"SECRET-{uid}"
    (served / "helper.py").write_text(f"# {markers.secret}\n")
    (served / "notes.txt").write_text(f"{markers.secret}\n")
    (served / "pic.png").write_bytes(base64.b64decode(png_b64((0, 128, 0))))
    (outside / "secret.txt").write_text(f"{markers.secret}\n")
    (outside / "secret.png").write_bytes(markers.secret.encode())
    # a lesson that runs long enough for a websocket to join while it runs
    slow = nbformat.v4.new_notebook(cells=[
        code_cell("import time\ntime.sleep(2)", []),
        code_cell(f"solution = 42  # SOLUTION-CODE-{uid}", [], hidden=True),
        code_cell("time.sleep(1)", [])])
    slow.metadata["kernelspec"] = nb.metadata["kernelspec"]
    nbformat.write(slow, served / "slow.ipynb")
    markers.solution_code = f"SOLUTION-CODE-{uid}"
    secret_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markers.secret)])
    nbformat.write(secret_nb, outside / "secret.ipynb")
    return SimpleNamespace(root=root, served=served, outside=outside, m=markers)


def classroom_env(workdir, **extra):
    """The server's environment: Jupyter's config and runtime dirs and TMPDIR in workdir."""
    env = server_env(workdir)
    env["TMPDIR"] = str(Path(workdir) / "tmp")
    Path(env["TMPDIR"]).mkdir(parents=True, exist_ok=True)
    env.update(extra)
    return env


def start_classroom(folder, workdir, token=None, *, cmd=None, env=None, port=None, **kw):
    """The classroom command (voila_command, or `cmd`) on a free port; waits until it serves."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    token = token or secrets.token_urlsafe(16)
    port = port or free_port()
    if cmd is None:
        cmd = classroom.voila_command(folder, port=port, token=token, **kw)
    env = env or classroom_env(workdir)
    srv = Server(cmd, port=port, env=env, cwd=folder, timeout=120,
                 log_path=workdir / f"classroom_{port}.log")
    srv.token, srv.cmd = token, cmd
    srv.runtime, srv.tmp = Path(env["JUPYTER_RUNTIME_DIR"]), Path(env["TMPDIR"])
    return srv


def request(srv, method, path, *, headers=None, body=None, timeout=180):
    """One raw HTTP request (the path is sent as written: no normalisation of ../)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        heads = r.getheaders()
    finally:
        conn.close()
    return SimpleNamespace(status=r.status, headers=heads, body=data,
                           text=data.decode("utf-8", errors="replace"),
                           header=lambda name: next((v for k, v in heads if k.lower() == name),
                                                    None))


def kernels(srv):
    try:
        kids = psutil.Process(srv.proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for p in kids:
        with contextlib.suppress(psutil.Error):
            if "ipykernel" in " ".join(p.cmdline()):
                found.append(p)
    return found


def wait_until(predicate, timeout, what, interval=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout} s: {what}")


def render(srv, nb="probe.ipynb", query=""):
    return request(srv, "GET", f"/voila/render/{nb}?token={srv.token}{query}")


def kernel_id(page):
    m = KERNEL_ID.search(page.body)
    assert m, f"no kernel id in the page (HTTP {page.status}): {page.text[:300]}"
    return m.group(1).decode()


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def leftovers(*folders):
    """Connection files, Voila's connection folders and token folders left in `folders`."""
    found = []
    for folder in folders:
        for pattern in ("**/kernel-*.json", "**/voila_*", "**/classroom-token-*"):
            found += [str(p) for p in Path(folder).glob(pattern)]
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def probe_server(site, tmp_path_factory):
    """One classroom server on the probe folder for the security tests."""
    srv = start_classroom(site.served, tmp_path_factory.mktemp("probe_server"))
    try:
        yield srv
    finally:
        srv.stop()


# ---- websocket: a learner's page, as far as the server can tell ----------------------------

V1 = "v1.kernel.websocket.jupyter.org"  # the kernel websocket protocol of Voila's page


def kernel_message(msg_type, content, session):
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "learner",
                       "session": session, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content}


def encode_frame(msg, channel="shell"):
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    parts = [json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata",
                                                    "content")]
    return serialize_msg_to_ws_v1(parts, channel)


def decode_frame(frame):
    """A kernel message from the v1 framing: (message with its channel, buffers)."""
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

    channel, parts = deserialize_msg_from_ws_v1(frame)
    header, parent, metadata, content = (json.loads(p) for p in parts[:4])
    msg = {"header": header, "parent_header": parent, "metadata": metadata, "content": content,
           "msg_type": header.get("msg_type"), "channel": channel}
    return msg, parts[4:]


class PageClient:
    """What Voila's page does on a kernel's websocket for the widgets: list the comms, ask
    each for its state, initialise the ipympl canvases, answer their "draw" requests, and move
    a slider. Counts the canvas images that arrive."""

    def __init__(self, ws):
        self.ws, self.session = ws, uuid.uuid4().hex
        self.comms, self.states, self.replies = None, {}, []
        self.images, self.waiting_image = 0, set()
        self.reader = asyncio.ensure_future(self._read())

    def send(self, msg_type, content):
        msg = kernel_message(msg_type, content, self.session)
        self.ws.write_message(encode_frame(msg), binary=True)
        return msg["header"]["msg_id"]

    def custom(self, comm_id, content):
        self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "custom",
                                                            "content": content}})

    async def _read(self):
        while True:
            frame = await self.ws.read_message()
            if frame is None:
                return
            msg, buffers = decode_frame(frame)
            t, c = msg["msg_type"], msg["content"]
            if t == "comm_info_reply":
                self.comms = c["comms"]
            elif t.endswith("_reply") or t in ("stream", "execute_input", "error"):
                self.replies.append(msg)
            if t != "comm_msg":
                continue
            data, cid = c.get("data", {}), c.get("comm_id")
            state = data.get("state", {})
            if data.get("method") == "update" and "_model_name" in state:
                self.states[cid] = state
            elif buffers and cid in self.canvases():
                self.images += 1
                self.waiting_image.discard(cid)
            elif data.get("method") == "custom" and '"draw"' in str(data.get("content")):
                if cid not in self.waiting_image:  # as ipympl's page: one draw at a time
                    self.waiting_image.add(cid)
                    self.custom(cid, {"type": "draw"})

    def canvases(self):
        return [cid for cid, s in self.states.items() if s["_model_name"] == "MPLCanvasModel"]

    async def until(self, predicate, timeout, what):
        end = time.monotonic() + timeout
        while not predicate():
            if self.reader.done():
                raise AssertionError(f"websocket closed before {what}")
            if time.monotonic() > end:
                raise AssertionError(f"not within {timeout} s: {what}")
            await asyncio.sleep(0.02)

    async def open_widgets(self, timeout):
        self.send("comm_info_request", {"target_name": "jupyter.widget"})
        await self.until(lambda: self.comms is not None, timeout, "comm_info_reply")
        for cid in self.comms:
            self.send("comm_msg", {"comm_id": cid, "data": {"method": "request_state"}})
        await self.until(lambda: len(self.states) >= len(self.comms), timeout, "widget states")
        for cid in self.canvases():
            for kind in ("refresh", "send_image_mode", "initialized"):
                self.custom(cid, {"type": kind})

    async def move_slider(self, timeout):
        """The first IntSlider one step up; returns once a canvas image arrives after it."""
        cid, state = next((cid, s) for cid, s in self.states.items()
                          if s["_model_name"] == "IntSliderModel")
        value = state["value"] + 1 if state["value"] < state["max"] else state["value"] - 1
        seen = self.images
        self.send("comm_msg", {"comm_id": cid, "data": {"method": "update",
                                                        "state": {"value": value},
                                                        "buffer_paths": []}})
        await self.until(lambda: self.images > seen, timeout, "an image after the slider moved")


def ws_url(srv, kid, token=True):
    query = f"session_id={uuid.uuid4()}" + (f"&token={srv.token}" if token else "")
    return f"ws://127.0.0.1:{srv.port}/api/kernels/{kid}/channels?{query}"


async def open_ws(srv, kid, *, token=True, headers=None, protocols=(V1,)):
    """A kernel websocket as Voila's page opens it (the v1 protocol)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    req = HTTPRequest(ws_url(srv, kid, token), headers=headers or {})
    return await websocket_connect(req, subprotocols=list(protocols) or None)


def run_async(make, timeout=300):
    """Run the coroutine `make()` in a new event loop (tornado's websocket client lives on it)."""
    async def bounded():
        return await asyncio.wait_for(make(), timeout)
    return asyncio.run(bounded())


# ---- tokens --------------------------------------------------------------------------------

@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_accepts_short_tokens(ip):
    assert classroom.is_loopback(ip)
    classroom.check_token("a", ip)


@pytest.mark.parametrize("ip", ["0.0.0.0", "", "::", "192.168.1.10", "teacher.local"])
def test_beyond_loopback_refuses_short_tokens(ip):
    assert not classroom.is_loopback(ip)
    for weak in ("a", "x" * 15):
        with pytest.raises(ValueError, match="at least 16 characters"):
            classroom.check_token(weak, ip)
    classroom.check_token("x" * 16, ip)


@pytest.mark.parametrize("token", ["", " ", " " * 20, "\t\n", "sixteen chars ok", "tok\x00en" * 4])
@pytest.mark.parametrize("ip", ["127.0.0.1", "0.0.0.0"])
def test_empty_or_blank_tokens_refused_everywhere(token, ip):
    with pytest.raises(ValueError, match="empty|blanks"):
        classroom.check_token(token, ip)
    with pytest.raises(ValueError):
        classroom.voila_command(REPO / "notebooks", port=8866, token=token, ip=ip)


def test_voila_command_hands_the_token_over_privately():
    token = secrets.token_urlsafe(16)
    cmd = classroom.voila_command(REPO / "notebooks", port=8866, token=token)
    path = Path(next(a for a in cmd if a.startswith("--token-file=")).split("=", 1)[1])
    try:
        assert token not in " ".join(cmd)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
        assert classroom.take_token_file(path) == token
        assert not path.exists() and not path.parent.exists()
    finally:
        if path.exists():
            classroom.take_token_file(path)


@pytest.mark.parametrize("ip, token", [("0.0.0.0", "a"), ("0.0.0.0", " "), ("0.0.0.0", "x" * 15),
                                       ("0.0.0.0", ""), ("127.0.0.1", ""), ("127.0.0.1", "  ")])
def test_weak_token_starts_nothing(ip, token, site, tmp_path):
    port = free_port()
    env = classroom_env(tmp_path, CLASSROOM_TOKEN=token)
    r = subprocess.run([sys.executable, str(classroom.SCRIPT), str(site.served), f"--ip={ip}",
                        f"--port={port}"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0, f"started with CLASSROOM_TOKEN={token!r} on {ip}:\n{r.stdout}"
    assert "Nothing started" in r.stderr and re.search("empty|blanks|at least 16", r.stderr), (
        r.stderr)
    assert "Traceback" not in r.stderr
    assert not listening(port)
    assert not leftovers(env["JUPYTER_RUNTIME_DIR"], env["TMPDIR"])


# ---- no query parameter changes the page -----------------------------------------------------

VARIANTS = [
    "", f"&theme={quote(INJECT)}", "&theme=dark", "&template=lab", "&template=classic",
    "&template=reveal", "&template=..%2F..%2F..%2Fetc", f"&template=lab&theme={quote(INJECT)}",
]


def test_markers_would_show_without_the_classroom_template(site):
    """The probe's markers are what a leak looks like: nbconvert's lab template shows them."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(site.served / "probe.ipynb", as_version=4)
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    m = site.m
    for marker in (m.hidden_text, m.hidden_output, m.hidden_image, m.shown_output):
        assert marker in html


def test_no_query_parameter_changes_template_or_theme(probe_server, site):
    m = site.m
    with ThreadPoolExecutor(4) as pool:
        pages = dict(zip(VARIANTS, pool.map(lambda q: render(probe_server, query=q), VARIANTS),
                         strict=True))
    for query, page in pages.items():
        where = f"/voila/render/probe.ipynb?token=...{query}"
        assert page.status == 200, f"{where}: HTTP {page.status}\n{page.text[:500]}"
        body = page.text
        assert '<meta name="lstm-template" content="classroom">' in body, f"{where}: not ours"
        assert 'data-jp-theme-name="JupyterLab Light"' in body, f"{where}: not the light theme"
        assert "alert(1)" not in body and "<script>alert" not in body, f"{where}: script injected"
        for marker in (m.hidden_text, m.hidden_output, m.hidden_image):
            assert marker not in body, f"{where}: a classroom-hide cell reached the page"
        for marker in (m.shown_text, m.shown_output, m.shown_image):
            assert marker in body, f"{where}: a shown cell is missing ({marker[:20]})"
        assert "cdn.jsdelivr" not in body
    for path in ("/", "/voila/tree", "/voila/tree/"):
        for query in (f"theme={quote(INJECT)}", f"classic-tree=true&theme={quote(INJECT)}",
                      "template=lab&theme=dark"):
            page = request(probe_server, "GET", f"{path}?token={probe_server.token}&{query}")
            assert page.status == 200, f"{path}?{query}: HTTP {page.status}"
            assert "alert(1)" not in page.text, f"{path}?{query}: script injected"
            assert "cdn.jsdelivr" not in page.text, f"{path}?{query}: the page links a CDN"
            assert "theme-dark" not in page.text and '"jupyterLabTheme": "dark"' not in page.text


# ---- without the token ----------------------------------------------------------------------

def test_no_token_no_page_no_api(probe_server):
    kid = kernel_id(render(probe_server))
    before = {p.pid for p in kernels(probe_server)}
    for token_query in ("", "?token=wrong-token-0123456789"):
        for path in ("/", "/voila/tree", "/voila/render/probe.ipynb"):
            r = request(probe_server, "GET", path + token_query)
            assert r.status == 302 and "/login" in (r.header("location") or ""), (
                f"GET {path}{token_query}: HTTP {r.status} {r.header('location')}")
        for method, path in (("GET", f"/api/kernels/{kid}"), ("GET", "/voila/api/contents/"),
                             ("POST", f"/voila/api/shutdown/{kid}"),
                             ("DELETE", f"/api/kernels/{kid}")):
            r = request(probe_server, method, path + token_query, body=b"" if method != "GET"
                        else None)
            assert r.status == 403, f"{method} {path}{token_query}: HTTP {r.status}"

    from tornado.httpclient import HTTPClientError

    async def connect():
        return await open_ws(probe_server, kid, token=False)

    with pytest.raises(HTTPClientError) as err:
        run_async(connect, 60)
    assert err.value.code == 403
    assert {p.pid for p in kernels(probe_server)} == before, "a request without token " \
        "started or stopped a kernel"


# ---- path traversal ---------------------------------------------------------------------------

def traversal_probes(site):
    out = str(site.outside).lstrip("/")
    up = "../" * 12
    enc = "..%2F" * 12
    probes = [f"/voila/render/{p}" for p in (
        "../outside/secret.ipynb", "..%2Foutside%2Fsecret.ipynb", "%2e%2e/outside/secret.ipynb",
        "%2E%2E%2Foutside%2Fsecret.ipynb", "%252e%252e%252foutside%252fsecret.ipynb",
        f"/{out}/secret.ipynb", f"%2F{out.replace('/', '%2F')}%2Fsecret.ipynb",
        f"{up}etc/passwd", f"{enc}etc%2Fpasswd", "..\\outside\\secret.ipynb",
        "..%5Coutside%5Csecret.ipynb", "probe.ipynb/../../outside/secret.ipynb")]
    probes += [f"/voila/files/{p}" for p in (
        "../outside/secret.png", "..%2Foutside%2Fsecret.png", "%2e%2e/outside/secret.png",
        "%252e%252e%252foutside%252fsecret.png", f"/{out}/secret.png", f"{up}etc/passwd",
        f"{enc}etc%2Fpasswd", "..%5Coutside%5Csecret.png", "pic.png/../../outside/secret.png",
        "../outside/secret.txt", f"/{out}/secret.txt")]
    probes += [
        f"/voila/static/{up}etc/passwd", f"/voila/static/{enc}etc%2Fpasswd",
        f"/voila/static/{up}{out}/secret.txt",
        f"/voila/templates/classroom/static/{up}etc/passwd",
        f"/voila/templates/classroom/static/{enc}etc%2Fpasswd",
        f"/voila/templates/{up}etc/static/passwd", f"/voila/templates/{enc}static%2Fpasswd",
        f"/voila/labextensions/{up}etc/passwd", f"/voila/labextensions/{enc}etc%2Fpasswd",
        f"/voila/api/themes/{up}etc/passwd", f"/voila/api/themes/{enc}etc%2Fpasswd",
        "/voila/tree/../outside", "/voila/tree/..%2Foutside", f"/voila/tree/{up}etc",
        "/voila/api/contents/../outside/secret.txt", "/voila/api/contents/..%2Foutside",
        f"/voila/api/contents/{enc}etc%2Fpasswd", f"/{up}etc/passwd", f"/{enc}etc%2Fpasswd",
    ]
    return probes


def test_no_path_traversal(probe_server, site):
    before = {p.pid for p in kernels(probe_server)}
    probes = traversal_probes(site)
    leaks = []
    statuses = {}
    for probe in probes:
        sep = "&" if "?" in probe else "?"
        r = request(probe_server, "GET", f"{probe}{sep}token={probe_server.token}")
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if site.m.secret in r.text or "root:x:0:0" in r.text or "Traceback" in r.text:
            leaks.append(f"{probe}: HTTP {r.status}")
    assert not leaks, "outside files (or a traceback) reached a learner:\n" + "\n".join(leaks)
    assert {p.pid for p in kernels(probe_server)} == before, "a probe started a kernel"
    # inside the served folder no file is served as a file, images included (Voila's file
    # handler asks for no token: with its default allowlist, anyone could fetch pic.png);
    # the contents API gives names, never contents
    for path in ("/voila/files/probe.ipynb", "/voila/files/helper.py", "/voila/files/notes.txt",
                 "/voila/files/pic.png"):
        for query in (f"?token={probe_server.token}", ""):
            r = request(probe_server, "GET", f"{path}{query}")
            assert r.status == 403, f"{path}{query[:7]}: HTTP {r.status}, expected 403"
    r = request(probe_server, "GET", f"/voila/api/contents/probe.ipynb?token={probe_server.token}")
    assert r.status == 200 and json.loads(r.body)["content"] is None
    assert site.m.hidden_text not in r.text
    print(f"{len(probes)} traversal probes, HTTP statuses {dict(sorted(statuses.items()))}")


# ---- XSRF, CORS, the websocket, connection files, the token ----------------------------------

def login_cookies(srv):
    """The cookies a learner's browser keeps after opening the URL with the token."""
    login = request(srv, "GET", f"/?token={srv.token}")
    cookies = [v.split(";", 1)[0] for k, v in login.headers if k.lower() == "set-cookie"]
    assert any(c.startswith("username-") for c in cookies), cookies
    return "; ".join(cookies)


def test_post_needs_xsrf_and_no_cors_header(probe_server):
    kid = kernel_id(render(probe_server))
    evil = {"Origin": "http://evil.example"}
    for method, path in (("GET", "/"), ("GET", "/voila/render/probe.ipynb"),
                         ("GET", f"/api/kernels/{kid}"), ("OPTIONS", f"/api/kernels/{kid}")):
        headers = {**evil, "Access-Control-Request-Method": "DELETE",
                   "Access-Control-Request-Headers": "authorization"}
        r = request(probe_server, method, f"{path}?token={probe_server.token}", headers=headers)
        cors = [k for k, _ in r.headers if k.lower().startswith("access-control-")]
        assert not cors, f"{method} {path} with a foreign Origin: CORS headers {cors}"

    # a learner's browser logged in by cookie (the token only in the first URL)
    jar = login_cookies(probe_server)
    assert request(probe_server, "GET", "/voila/tree", headers={"Cookie": jar}).status == 200
    for extra in ({}, evil):  # a forged POST from another site carries the cookie, no _xsrf
        r = request(probe_server, "POST", f"/voila/api/shutdown/{kid}", body=b"",
                    headers={"Cookie": jar, **extra})
        assert r.status in (403, 404), f"POST without _xsrf: HTTP {r.status}"
        assert kid in {k for k in [kernel_id_of(p) for p in kernels(probe_server)]}
    # with the XSRF cookie echoed in the header, as Voila's own page does, the POST works
    xsrf = secrets.token_hex(8)
    r = request(probe_server, "POST", f"/voila/api/shutdown/{kid}", body=b"",
                headers={"Cookie": f"{jar}; _xsrf={xsrf}", "X-XSRFToken": xsrf})
    assert r.status == 204, f"POST with _xsrf: HTTP {r.status}"
    wait_until(lambda: kid not in [kernel_id_of(p) for p in kernels(probe_server)], 30,
               "the kernel shut down by the POST")


def kernel_id_of(proc):
    """The kernel id from a kernel process' connection file name (kernel-<id>.json)."""
    with contextlib.suppress(psutil.Error):
        m = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(proc.cmdline()))
        return m.group(1) if m else None
    return None


def test_kernel_websocket_runs_no_code(probe_server, tmp_path):
    """A learner's websocket carries widget messages only; another site's page cannot open one
    with the learner's cookie (a token in the URL is authority enough for jupyter_server)."""
    kid = kernel_id(render(probe_server))
    jar = login_cookies(probe_server)
    marker = tmp_path / "executed"
    code = f"open({str(marker)!r}, 'w').write('ran')"

    async def attempt():
        from tornado.httpclient import HTTPClientError

        refused = {}
        for origin in ("http://evil.example", f"http://127.0.0.1:{probe_server.port}"):
            try:
                ws = await open_ws(probe_server, kid, token=False,
                                   headers={"Cookie": jar, "Origin": origin})
                ws.close()
                refused[origin] = False
            except HTTPClientError as e:
                refused[origin] = e.code
        ws = await open_ws(probe_server, kid)
        page = PageClient(ws)
        page.send("execute_request", {"code": code, "silent": False, "store_history": True,
                                      "user_expressions": {}, "allow_stdin": False})
        page.send("comm_info_request", {})
        await page.until(lambda: page.comms is not None, 60, "comm_info_reply")
        page.send("kernel_info_request", {})
        await page.until(lambda: any(r["msg_type"] == "kernel_info_reply" for r in page.replies),
                         60, "kernel_info_reply")
        await asyncio.sleep(1.0)
        ws.close()
        return refused, [r["msg_type"] for r in page.replies]

    refused, replies = run_async(attempt, 120)
    assert refused["http://evil.example"] in (403, 404), (
        f"another site's page opened the kernel websocket with the learner's cookie: {refused}")
    assert refused[f"http://127.0.0.1:{probe_server.port}"] is False, refused  # the page's own
    assert "execute_reply" not in replies and "execute_input" not in replies, replies
    assert not marker.exists(), "code sent over the kernel websocket ran"


def test_websocket_joining_a_running_page_gets_no_code(probe_server, site):
    """A websocket opened as soon as the kernel id is in the page (before Voila has run the
    cells) gets no cell's source (execute_input), hidden cells included. (Their outputs do
    reach it, as Voila sends a kernel's outputs to its websockets: the lessons' hidden cells
    print checks for nbval, nothing secret.)"""
    async def attempt():
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        buf, sockets = bytearray(), []

        def on_chunk(chunk):
            buf.extend(chunk)
            if not sockets and (m := KERNEL_ID.search(buf)):
                sockets.append(asyncio.ensure_future(open_ws(probe_server,
                                                             m.group(1).decode())))

        client = AsyncHTTPClient(force_instance=True)
        try:
            fetch = asyncio.ensure_future(client.fetch(HTTPRequest(
                f"{probe_server.base}/voila/render/slow.ipynb?token={probe_server.token}",
                streaming_callback=on_chunk, request_timeout=120)))
            while not sockets and not fetch.done():
                await asyncio.sleep(0.01)
            ws = await sockets[0]
            joined_before_the_end = not fetch.done()
            frames = []
            reader = asyncio.ensure_future(read_all(ws, frames))
            await fetch
            await asyncio.sleep(0.5)
            ws.close()
            await reader
        finally:
            client.close()
        return joined_before_the_end, [decode_frame(f)[0] for f in frames]

    async def read_all(ws, frames):
        while (frame := await ws.read_message()) is not None:
            frames.append(frame)

    joined, msgs = run_async(attempt, 180)
    assert joined, "the websocket opened only after the page was complete"
    types = [m["msg_type"] for m in msgs]
    assert "status" in types, types  # it did hear the kernel while the cells ran
    assert "execute_input" not in types, types
    assert not [m for m in msgs if site.m.solution_code in json.dumps(m)]


def test_legacy_websocket_protocol_refused(probe_server):
    """Voila 0.5.13 parses each binary message it sends as v1: on a legacy-protocol websocket
    the first figure image made the server loop forever, hanging the whole class (and Voila
    hides the cells' source, execute_input, only in v1). The server refuses such websockets."""
    kid = kernel_id(render(probe_server))

    async def attempt():
        from tornado.httpclient import HTTPClientError

        codes = []
        for protocols in ((), ("kernel.websocket.jupyter.org",)):
            try:
                ws = await open_ws(probe_server, kid, protocols=protocols)
                ws.close()
                codes.append(None)
            except HTTPClientError as e:
                codes.append(e.code)
        ws = await open_ws(probe_server, kid)  # v1, as Voila's page: accepted
        chosen = ws.selected_subprotocol
        ws.close()
        return codes, chosen

    codes, chosen = run_async(attempt, 120)
    assert codes == [400, 400], f"legacy-protocol websockets answered {codes}"
    assert chosen == V1
    assert request(probe_server, "GET", f"/voila/tree?token={probe_server.token}",
                   timeout=30).status == 200, "the server stopped answering"


def test_connection_files_private(probe_server):
    render(probe_server)
    folders = list(probe_server.runtime.glob("voila_*"))
    assert len(folders) == 1, f"connection folders {folders}"
    assert folders[0].stat().st_mode & 0o777 == 0o700
    files = list(folders[0].glob("kernel-*.json"))
    assert len(files) == len(kernels(probe_server)) >= 1
    modes = {f.name: oct(f.stat().st_mode & 0o777) for f in files}
    assert set(modes.values()) == {"0o600"}, modes
    assert not list(probe_server.tmp.glob("kernel-*.json"))


def assert_token_hidden(srv):
    render(srv)
    procs = [psutil.Process(srv.proc.pid), *kernels(srv)]
    assert len(procs) >= 2
    for p in psutil.process_iter(["cmdline"]):
        assert srv.token not in " ".join(p.info["cmdline"] or []), (
            f"the token is on the command line of {p.pid}: {p.info['cmdline']}")
    for p in procs[1:]:
        env = p.environ()
        assert "CLASSROOM_TOKEN" not in env and srv.token not in "\n".join(env.values()), (
            f"the token is in kernel {p.pid}'s environment")


def test_token_on_no_command_line_voila_command(probe_server):
    token_file = Path(next(a for a in probe_server.cmd if a.startswith("--token-file=")
                           ).split("=", 1)[1])
    assert not token_file.exists() and not token_file.parent.exists(), "token file left"
    assert_token_hidden(probe_server)


def test_defaults_loopback_token_from_env(site, tmp_path):
    """As a teacher runs it: no --ip (loopback), the token in $CLASSROOM_TOKEN."""
    token, port = secrets.token_urlsafe(16), free_port()
    env = classroom_env(tmp_path, CLASSROOM_TOKEN=token)
    cmd = [sys.executable, str(classroom.SCRIPT), str(site.served), f"--port={port}"]
    srv = start_classroom(site.served, tmp_path, token, cmd=cmd, env=env, port=port)
    try:
        assert_token_hidden(srv)
        addrs = {c.laddr.ip for c in psutil.Process(srv.proc.pid).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN}
        assert addrs == {"127.0.0.1"}, f"listening on {addrs}"
        others = [a.address for addrs_ in psutil.net_if_addrs().values() for a in addrs_
                  if a.family == socket.AF_INET and not a.address.startswith("127.")]
        for address in others:
            with socket.socket() as s:
                s.settimeout(5)
                assert s.connect_ex((address, port)) != 0, f"reachable on {address}:{port}"
        log = srv.log_tail(200)
        assert f"?token={token}" in log
        assert re.search(r"A class of 30: .* about 130 MB .* up to 400 MB .* the class needs "
                         r"4\.0 to 11\.9 GB of memory \([\d.]+ GB available now\)", log), log
        assert "the class is full" in log and "10 min without activity" in log
    finally:
        srv.stop()


# ---- the class size and culling ------------------------------------------------------------

def test_kernels_being_started_count_once(monkeypatch):
    """The cap counts a kernel once from its start request on, also while jupyter_server has
    registered it and still waits for its first reply (under load, seconds): counting it twice
    refused learners of a class that was not full. No token reaches a kernel's environment."""
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from tornado.web import HTTPError

    started = asyncio.Event()
    envs = []

    async def slow_start(self, *args, kernel_id=None, env=None, **kwargs):
        self._kernels[kernel_id] = SimpleNamespace()  # registered, as jupyter_client does ...
        envs.append(env)
        await started.wait()  # ... before the kernel's kernel_info reply
        return kernel_id

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", slow_start)
    manager = classroom.kernel_manager_class(3, "All 3 places are taken.")

    async def scenario():
        km = manager()
        env = {"QUERY_STRING": "token=s3cret-token&x=1", "VOILA_REQUEST_URL":
               "http://h/voila/render/a.ipynb?token=s3cret-token", "PATH": "/bin"}
        three = [asyncio.ensure_future(km.start_kernel(env=dict(env))) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert len(km._kernels) == 3  # all registered, none finished starting
        with pytest.raises(HTTPError) as full:
            await km.start_kernel(env=dict(env))
        started.set()
        ids = await asyncio.gather(*three)
        with pytest.raises(HTTPError):
            await km.start_kernel(env=dict(env))
        del km._kernels[ids[0]]  # a learner left
        again = await km.start_kernel(env=dict(env))
        return full.value, ids, again

    full, ids, again = run_async(scenario, 60)
    assert full.status_code == 503 and full.reason == "The class is full"
    assert "All 3 places" in full.log_message
    assert len(set(ids + [again])) == 4
    assert all("s3cret" not in "".join(e.values()) and e["PATH"] == "/bin" for e in envs), envs


def test_class_full_then_a_place_frees_up(site, tmp_path):
    """Three learners arriving together all get a kernel in a class of 3 (a kernel being
    started counts once, not twice); the fourth gets the "class is full" page, no kernel and
    no traceback; once the idle kernels are culled, a learner gets in again."""
    srv = start_classroom(site.served, tmp_path, class_size=3, cull_after=3)
    try:
        with ThreadPoolExecutor(3) as pool:
            one = pool.submit(render, srv)
            # the next two arrive while the first kernel starts (its process runs, it has not
            # answered yet): that kernel is registered and still being started
            wait_until(lambda: kernels(srv) or one.done(), 60, "the first kernel's process")
            time.sleep(0.5)  # registered by now; its kernel_info reply takes a second or more
            first = [one.result(), *pool.map(lambda _: render(srv), range(2))]
        assert [p.status for p in first] == [200, 200, 200], [p.text[:200] for p in first]
        assert len(kernels(srv)) == 3
        full = render(srv)
        assert full.status == 503, f"HTTP {full.status}"
        assert "The class is full" in full.text and "All 3 places" in full.text, full.text
        assert "text/html" in (full.header("content-type") or "")
        assert "Traceback" not in full.text and "cdn.jsdelivr" not in full.text
        assert len(kernels(srv)) == 3, "the refused learner started a kernel"
        # no page connected to these kernels: culled after 3 s without activity
        wait_until(lambda: not kernels(srv), 60, "the idle kernels culled")
        assert render(srv).status == 200, "no place after culling"
        log = srv.log_tail(300)
        assert "Culling 'idle' kernel" in log and "Traceback" not in log, log
    finally:
        srv.stop()


# ---- stopping ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_stops_everything(sig, site, tmp_path):
    srv = start_classroom(site.served, tmp_path)
    try:
        render(srv)
        render(srv)
        procs = [psutil.Process(srv.proc.pid), *kernels(srv)]
        assert len(procs) == 3
        assert list(srv.runtime.glob("voila_*/kernel-*.json"))
        if sig == signal.SIGTERM:
            os.kill(srv.proc.pid, sig)
        else:  # Ctrl+C and a closing terminal signal the whole foreground process group
            os.killpg(os.getpgid(srv.proc.pid), sig)
        rc = srv.proc.wait(60)
        _, alive = psutil.wait_procs(procs, timeout=30)
        assert not alive, f"after {sig.name}: still running {alive}"
        assert rc == 0, f"exit code {rc} after {sig.name}:\n{srv.log_tail()}"
        assert not listening(srv.port)
        assert not leftovers(srv.runtime, srv.tmp), leftovers(srv.runtime, srv.tmp)
        assert f"{sig.name}: stopping" in srv.log_tail(), srv.log_tail()
    finally:
        srv.stop()


# ---- a class of learners, measured ----------------------------------------------------------

def browser_available():
    """Chromium for the browser learners: None (and the reason) when missing, except with
    LSTM_REQUIRE_BROWSER=1, where a missing browser fails the test."""
    exe, problem = chromium_path(), None
    if exe is None:
        problem = f"no Chromium found: {INSTALL_HINT}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed"
    if problem and os.environ.get("LSTM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LSTM_REQUIRE_BROWSER=1 but {problem}")
    return exe, problem


async def websocket_learner(rec, srv, url, t_zero, release, deadline):
    """One learner over HTTP and the kernel websocket: open the page, its widgets, the first
    figure image, one slider move; then stay connected until `release`."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    await asyncio.sleep(max(0.0, rec.arrive - (time.monotonic() - t_zero)))
    t0 = rec.t0 = time.monotonic()
    buf = bytearray()

    def on_chunk(chunk):
        buf.extend(chunk)
        if rec.widget is None and b"widget-view+json" in buf:
            rec.widget = time.monotonic() - t0

    client = AsyncHTTPClient(force_instance=True)
    try:
        resp = await client.fetch(HTTPRequest(url, streaming_callback=on_chunk,
                                              request_timeout=deadline - time.monotonic(),
                                              connect_timeout=60), raise_error=False)
    finally:
        client.close()
    rec.status, rec.page = resp.code, time.monotonic() - t0
    if resp.code != 200:
        rec.error = rec.error or f"{resp.error}"
        return
    rec.kernel_id = KERNEL_ID.search(buf).group(1).decode()
    # as Voila's page: the websocket once the page is in (the kernel has run the lesson)
    ws = await open_ws(srv, rec.kernel_id)
    page = PageClient(ws)
    try:
        await page.open_widgets(deadline - time.monotonic())
        await page.until(lambda: page.images > 0, deadline - time.monotonic(),
                         "the first figure image")
        rec.figure = time.monotonic() - t0
        t1 = time.monotonic()
        await page.move_slider(deadline - time.monotonic())
        rec.move = time.monotonic() - t1
        await release.wait()
    finally:
        ws.close()


def run_websocket_learners(recs, srv, url, t_zero, deadline, state):
    """The websocket learners on one event loop in this thread; `state.release()` (from another
    thread) lets them close their websockets."""
    async def main():
        release = asyncio.Event()
        loop = asyncio.get_running_loop()
        state.release = lambda: loop.call_soon_threadsafe(release.set)
        state.ready.set()
        results = await asyncio.gather(
            *(websocket_learner(r, srv, url, t_zero, release, deadline) for r in recs),
            return_exceptions=True)
        for r, res in zip(recs, results, strict=True):
            if isinstance(res, BaseException):
                r.error = f"{type(res).__name__}: {res}"

    try:
        asyncio.run(main())
    except BaseException as e:  # noqa: BLE001 - reported by the test
        state.error = e
    finally:
        state.ready.set()


# Counts the images ipympl draws on its canvases (drawImage) and when the first one came, in ms
# since the page's navigation started: no polling of pixels while the class arrives.
DRAWN_JS = """() => {
  window.__draws = 0;
  const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function () {
    if (this.canvas.closest && this.canvas.closest('.jupyter-matplotlib-canvas-div')) {
      window.__draws += 1;
      if (window.__firstFigure === undefined) window.__firstFigure = performance.now();
    }
    return draw.apply(this, arguments);
  };
}"""


def browser_learners(browser, recs, url, t_zero):
    """Chromium learners: each navigates at its arrival time (not waiting for the page)."""
    pages = []
    for rec in recs:
        time.sleep(max(0.0, rec.arrive - (time.monotonic() - t_zero)))
        page = new_page(browser)
        page.add_init_script(script=f"({DRAWN_JS})();")
        rec.t0 = time.monotonic()
        page.evaluate("u => { window.location.href = u; }", url)
        pages.append(page)
    return pages


def finish_browser_learner(page, rec, deadline):
    """The figure drawn (time measured in the page), then the time slider moved by keyboard:
    the time until the canvas gets its next image, and its pixels differ."""
    def ms_left():
        return max(1000, (deadline - time.monotonic()) * 1000)

    try:
        page.wait_for_function("() => window.__firstFigure !== undefined", timeout=ms_left(),
                               polling=500)
        rec.figure = page.evaluate("() => window.__firstFigure") / 1000
        rec.status = 200
        handle = page.wait_for_selector(".widget-slider .noUi-handle", timeout=ms_left())
        page.wait_for_function("() => window.__lstm.drawn(document.body)", timeout=ms_left(),
                               polling=500)
        base = page.evaluate("() => window.__lstm.sig(document.body)")
        draws = page.evaluate("() => window.__draws")
        t1 = time.monotonic()
        handle.press("ArrowRight")
        page.wait_for_function(f"() => window.__draws > {draws}", timeout=ms_left(), polling=50)
        rec.move = time.monotonic() - t1
        page.wait_for_function("s => window.__lstm.sig(document.body) !== s", arg=base,
                               timeout=ms_left(), polling=200)
        rec.errors = list(page.errors)
    except Exception as e:  # noqa: BLE001 - reported by the test
        rec.error = f"{type(e).__name__}: {e}".splitlines()[0]


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "none"
    return f"median {statistics.median(values):.1f} s, worst {max(values):.1f} s"


@pytest.mark.slow
def test_a_class_of_learners(tmp_path, capsys):
    """LEARNERS learners open lesson 3 within ARRIVALS s; the class size is LEARNERS."""
    exe, no_browser = browser_available()
    n_browser = BROWSER_LEARNERS if exe else 0
    folder = copy_lessons(tmp_path / "lessons", stems={LESSON})
    # 30 s: short for a test, long enough that no kernel is culled between the end of its page
    # and the page connecting its websocket on a busy machine (Chromium took 17 s with the
    # load average at 20; the default is 600 s)
    cull_after = 30
    srv = start_classroom(folder, tmp_path / "server", class_size=LEARNERS, cull_after=cull_after)
    url = f"{srv.base}/voila/render/{LESSON}.ipynb?token={srv.token}"
    recs = [SimpleNamespace(i=i, arrive=i * (ARRIVALS - 0.5) / (LEARNERS - 1), kind="websocket",
                            t0=None, status=None, page=None, widget=None, figure=None, move=None,
                            error=None, kernel_id=None, errors=[])
            for i in range(LEARNERS)]
    for rec in recs[1::max(1, LEARNERS // max(1, n_browser))][:n_browser]:
        rec.kind = "chromium"
    ws_recs = [r for r in recs if r.kind == "websocket"]
    br_recs = [r for r in recs if r.kind == "chromium"]
    state = SimpleNamespace(ready=threading.Event(), release=None, error=None)
    lines = []
    stack = contextlib.ExitStack()
    try:
        t_zero = time.monotonic()
        deadline = t_zero + CLASS_DEADLINE
        cpu0 = psutil.cpu_times()
        thread = threading.Thread(target=run_websocket_learners,
                                  args=(ws_recs, srv, url, t_zero, deadline, state), daemon=True)
        thread.start()
        assert state.ready.wait(60)
        pages = []
        if br_recs:
            browser = stack.enter_context(chromium(exe))
            pages = browser_learners(browser, br_recs, url, t_zero)
        for page, rec in zip(pages, br_recs, strict=True):
            finish_browser_learner(page, rec, deadline)
        # every websocket learner has its figure and moved its slider (or failed)
        wait_until(lambda: all(r.move is not None or r.error for r in ws_recs)
                   or not thread.is_alive(), max(1, deadline - time.monotonic()) + 30,
                   "the websocket learners")
        t_class = time.monotonic() - t_zero
        cpu1 = psutil.cpu_times()
        busy = 1 - (cpu1.idle - cpu0.idle) / max(1e-9, sum(cpu1) - sum(cpu0))
        assert state.error is None, state.error
        arrived = max(r.t0 - t_zero for r in recs if r.t0 is not None)
        failed = [f"learner {r.i} ({r.kind}): HTTP {r.status} {r.error}" for r in recs
                  if r.status != 200 or r.error or r.move is None]
        timings = [f"learner {r.i} ({r.kind}): page {r.page}, figure {r.figure}, move {r.move}"
                   for r in recs]
        assert not failed, "\n".join(failed + timings) + "\n" + srv.log_tail()
        assert arrived <= ARRIVALS + 5, f"the class took {arrived:.1f} s to arrive"

        # memory: each learner's kernel
        ks = kernels(srv)
        assert len(ks) == LEARNERS, f"{len(ks)} kernels for {LEARNERS} learners"
        mem = [p.memory_full_info() for p in ks]
        cpu = [sum(p.cpu_times()[:2]) for p in ks]  # user + system, s
        rss = [m.rss / 2**20 for m in mem]
        uss = [m.uss / 2**20 for m in mem]
        server = psutil.Process(srv.proc.pid)
        server_rss = server.memory_info().rss / 2**20
        server_cpu = sum(server.cpu_times()[:2])
        assert 0.5 * classroom.KERNEL_MB <= statistics.median(rss) <= 1.5 * classroom.KERNEL_MB, (
            f"a kernel's RSS is {statistics.median(rss):.0f} MB: update classroom.KERNEL_MB "
            f"({classroom.KERNEL_MB}), the start-up line uses it")

        # beyond the class size: the next learner gets the full page, no kernel
        t1 = time.monotonic()
        extra = request(srv, "GET", f"/voila/render/{LESSON}.ipynb?token={srv.token}")
        t_full = time.monotonic() - t1
        assert extra.status == 503 and "The class is full" in extra.text, extra.status
        assert f"All {LEARNERS} places" in extra.text
        assert len(kernels(srv)) == LEARNERS

        # the class leaves: pages and websockets closed; culling stops the kernels
        available = psutil.virtual_memory().available / 2**20
        t2 = time.monotonic()
        with contextlib.suppress(RuntimeError):
            state.release()
        for page in pages:
            page.context.close()
        thread.join(60)
        wait_until(lambda: not kernels(srv), cull_after + 120,
                   "every kernel culled once its page closed")
        t_cull = time.monotonic() - t2
        returned = psutil.virtual_memory().available / 2**20 - available
        again = render(srv, f"{LESSON}.ipynb")
        assert again.status == 200, f"after culling a learner got HTTP {again.status}"
        bad = [r.errors for r in br_recs if r.errors]
        assert not bad, f"page errors in Chromium: {bad}"

        lines = [
            f"classroom load test, {time.strftime('%Y-%m-%d %H:%M')}: {LEARNERS} learners "
            f"opened {LESSON} within {arrived:.1f} s ({len(ws_recs)} over HTTP + the kernel "
            f"websocket as Voila's page does, {len(br_recs)} in Chromium"
            + (f"; {no_browser}" if no_browser else "") + f"); class size {LEARNERS}",
            f"machine: {psutil.cpu_count()} CPUs {100 * busy:.0f}% busy during the class "
            f"(other work included), load average {os.getloadavg()[0]:.1f}; the whole class had "
            f"its figures and moved its sliders {t_class:.0f} s after the first arrived",
            f"time to the first figure: {spread([r.figure for r in recs])} (from the request; "
            "websocket learners: first canvas image received, Chromium: first image drawn)",
            "  websocket learners: page with the figure's widget "
            f"{spread([r.widget for r in ws_recs])}, whole page "
            f"{spread([r.page for r in ws_recs])}, first image "
            f"{spread([r.figure for r in ws_recs])}",
            (f"  Chromium learners: first image drawn {spread([r.figure for r in br_recs])}"
             if br_recs else "  Chromium learners: none"),
            f"one slider move -> next figure image: {spread([r.move for r in recs])} "
            "(each learner once it has its figure, others still loading)",
            f"CPU per learner (its kernel: start, the lesson, the widgets, one move): median "
            f"{statistics.median(cpu):.1f} s, {sum(cpu):.0f} s for the class; the server "
            f"{server_cpu:.0f} s",
            f"memory per learner (its kernel's RSS): median {statistics.median(rss):.0f} MB, "
            f"max {max(rss):.0f} MB (of it unique to the kernel, USS: median "
            f"{statistics.median(uss):.0f} MB); {LEARNERS} kernels {sum(rss) / 1024:.2f} GB; "
            f"the server {server_rss:.0f} MB",
            f"beyond {LEARNERS}: learner {LEARNERS + 1} got HTTP 503 \"The class is full\" in "
            f"{t_full:.2f} s, no kernel started",
            f"culling: the {LEARNERS} kernels stopped {t_cull:.0f} s after their pages closed "
            f"(--cull-after {cull_after}, checked every {max(1, min(60, cull_after // 4))} s), "
            f"returning {sum(rss):.0f} MB of kernel RSS (the machine's available memory rose "
            f"{returned:.0f} MB, others share it); then a new learner got the lesson (HTTP 200)",
        ]
    finally:
        if state.release:
            with contextlib.suppress(RuntimeError):  # the learners' loop may be closed
                state.release()
        stack.close()
        srv.stop()
        if lines:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "classroom_load.txt").write_text("\n".join(lines) + "\n")
            with capsys.disabled():
                print("\n[classroom] " + "\n[classroom] ".join(lines), flush=True)
