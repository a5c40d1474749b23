"""Classroom mode: the lessons as a clean app with Voila (code hidden, sliders and figures live).

    python scripts/classroom.py                   # all lessons, http://127.0.0.1:8866/?token=...
    python scripts/classroom.py 03                # one lesson (a number or a file name)
    python scripts/classroom.py --class-size 25   # room for 25 open pages (default 30)
    python scripts/classroom.py --ip 0.0.0.0      # a classroom network: token of 16+ characters

This process is the Voila server (no child server). What a learner holding the token can and
cannot do:
- The page is always the "classroom" template (classroom/voila/templates/classroom: no cell
  tagged `classroom-hide`, nothing fetched from the internet) in the light theme: no query
  parameter (`?template=`, `?theme=`) and no notebook metadata can change either.
- Each open page runs a Python kernel of its own (KERNEL_MB, KERNEL_MB_MAX). At most
  `--class-size` kernels run at once; beyond, a learner gets a "the class is full" page (HTTP
  503). A kernel that no page is connected to is stopped after `--cull-after` seconds without
  activity. A page talks to its kernel only through widget messages (Voila's default), over
  the v1 websocket protocol only (v1_only_connection), and no response carries a CORS header.
- The token is generated here, or taken from $CLASSROOM_TOKEN, and the server never starts
  open. Beyond loopback it must have at least 16 characters; blanks are refused everywhere.
  It is never on a command line (`ps` shows those to every local user) and never in the
  kernels' environment.
- Ctrl+C, SIGTERM and SIGHUP (the terminal closing) shut the kernels down, remove their
  connection files (kept in Jupyter's runtime folder) and stop listening; a second signal
  while that runs kills the kernels at once.
The browser tests (tests/test_browser.py) build their command with `voila_command`, which hands
the token over in a private file that the server removes as it starts.
"""

import argparse
import ipaddress
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve()
NOTEBOOKS = REPO / "notebooks"
TEMPLATE_ROOT = REPO / "classroom"  # holds voila/templates/classroom
TEMPLATE = "classroom"
THEME = "light"

CLASS_SIZE = 30  # kernels (open pages) at once, by default
CULL_AFTER = 600  # s: a kernel with no page connected and no activity for this long is stopped
# Resident memory of one page's kernel: tests/test_classroom.py measures lesson 3 (with 20
# learners, 130 MB RSS, 99 MB of it its own) and checks KERNEL_MB against it. Opened once each,
# lessons 1-5 took 107-117 MB and lessons 6-9, which train or load models, 250-375 MB (lesson 7
# imports torch when it is installed).
KERNEL_MB = 130
KERNEL_MB_MAX = 400
SERVER_MB = 150  # the server itself, with a full class connected
MIN_TOKEN = 16  # characters, when listening beyond loopback
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The only Voila options accepted after ours (tests keep connection files in their own folder).
VOILA_OPTIONS = ("Voila.connection_dir_root", "Voila.log_level")
# Voila hands each kernel the request's URL and query string (QUERY_STRING, VOILA_REQUEST_URL):
# the token in them is replaced, since kernels need no token.
TOKEN_PARAM = re.compile(r"(^|[?&])token=[^&#]*")
FULL = ("All {n} places of this class are taken: each open page runs its own Python kernel. "
        "A place frees up when a learner closes their page{idle}. "
        "Try again in a minute, or ask your teacher.")


def is_loopback(ip):
    """True when `ip` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name, or "" (every interface)
        return False


def check_token(token, ip):
    """Raise ValueError (saying why) unless `token` may guard a server listening on `ip`."""
    if not isinstance(token, str) or not token:
        raise ValueError("the token is empty: anyone who reaches the port could start kernels "
                         "(an open server is never started)")
    if not token.strip():
        raise ValueError("the token is made of blanks: nobody could log in")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise ValueError("the token contains blanks or control characters: use one word, e.g. "
                         "python -c 'import secrets; print(secrets.token_urlsafe(16))'")
    if not is_loopback(ip) and len(token) < MIN_TOKEN:
        raise ValueError(f"beyond this machine (--ip {ip!r}) the token needs at least {MIN_TOKEN} "
                         f"characters, this one has {len(token)}: make one with "
                         "python -c 'import secrets; print(secrets.token_urlsafe(16))'")


def write_token_file(token):
    """The token in a new private file (0600, in a 0700 folder); returns its path."""
    folder = Path(tempfile.mkdtemp(prefix="classroom-token-"))  # mode 0700
    path = folder / "token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token)
    return path


def take_token_file(path):
    """Read a token file written by write_token_file, then remove it and its folder."""
    path = Path(path)
    try:
        if path.stat().st_mode & 0o077:
            raise SystemExit(f"classroom.py: {path} is readable by others: a token file must be "
                             "private (chmod 600)")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
        if path.parent.name.startswith("classroom-token-"):
            shutil.rmtree(path.parent, ignore_errors=True)


def voila_command(target, *, port, token, ip="127.0.0.1", class_size=CLASS_SIZE,
                  cull_after=CULL_AFTER):
    """The classroom command serving `target` (a notebook, or a folder of them) on ip:port.

    The token must pass check_token (an open server is never started); it goes to the server
    in a private file, never on the command line. Voila options from VOILA_OPTIONS may be
    appended (`--Voila.connection_dir_root=DIR`).
    """
    check_token(token, ip)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be an int in 1..65535, got {port!r}")
    return [
        sys.executable, str(SCRIPT), str(target),
        f"--ip={ip}", f"--port={port}",
        f"--class-size={class_size}", f"--cull-after={cull_after}",
        f"--token-file={write_token_file(token)}",
    ]


def voila_env(base=None):
    """Environment for the server: our template folder on JUPYTER_PATH, no CLASSROOM_TOKEN."""
    env = dict(os.environ if base is None else base)
    env.pop("CLASSROOM_TOKEN", None)  # the kernels inherit the server's environment
    paths = [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_PATH"] = os.pathsep.join([str(TEMPLATE_ROOT)]
                                          + [p for p in paths if p != str(TEMPLATE_ROOT)])
    return env


def find_lesson(name):
    """notebooks/NN_*.ipynb from '03', '3', '03_unrolled_over_time', a path or a folder."""
    p = Path(name)
    if p.is_dir() or (p.suffix == ".ipynb" and p.is_file()):
        return p.resolve()
    stem = name.zfill(2) if name.isdigit() else name
    hits = sorted(NOTEBOOKS.glob(f"{stem}*.ipynb"))
    if len(hits) != 1:
        known = ", ".join(q.name for q in sorted(NOTEBOOKS.glob("*.ipynb"))) or "none"
        raise SystemExit(f"no single lesson matches {name!r} (lessons: {known})")
    return hits[0]


def duration(seconds):
    return f"{seconds} s" if seconds < 120 else f"{seconds / 60:g} min"


def memory_line(class_size):
    """What the class needs in memory, against what this machine has free."""
    low, high = ((class_size * mb + SERVER_MB) / 1024 for mb in (KERNEL_MB, KERNEL_MB_MAX))
    line = (f"A class of {class_size}: each open page runs its own kernel, about {KERNEL_MB} MB "
            f"for lessons 1-5 and up to {KERNEL_MB_MAX} MB for the later ones (they train or load "
            f"models), so the class needs {low:.1f} to {high:.1f} GB of memory")
    try:
        import psutil

        free = psutil.virtual_memory().available / 2**30
    except ImportError:
        return line + "."
    line += f" ({free:.1f} GB available now)."
    if high > free:
        fits = max(1, int((free * 1024 - SERVER_MB) // KERNEL_MB_MAX))
        line += (f" WARNING: not enough for {class_size} pages of the later lessons; "
                 f"--class-size {fits} would fit.")
    return line


def kernel_manager_class(class_size, full_message):
    """Voila's kernel manager: at most `class_size` kernels (started or starting), and no
    token in their environment."""
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from tornado import web

    class ClassroomKernelManager(AsyncMappingKernelManager):
        _starting = frozenset()  # ids of kernels being started: they count before they exist

        async def start_kernel(self, *args, **kwargs):
            if len(set(self._kernels) | self._starting) >= class_size:
                raise web.HTTPError(503, full_message, reason="The class is full")
            env = kwargs.get("env")
            if env:
                kwargs["env"] = {k: TOKEN_PARAM.sub(r"\1token=hidden", v) if isinstance(v, str)
                                 else v for k, v in env.items()}
            kernel_id = kwargs.setdefault("kernel_id", str(uuid.uuid4()))
            self._starting = self._starting | {kernel_id}
            try:
                return await super().start_kernel(*args, **kwargs)
            finally:
                self._starting = self._starting - {kernel_id}

        async def cull_kernel_if_idle(self, kernel_id):
            kernel = self._kernels.get(kernel_id)
            if kernel is None or not kernel.trait_has_value("last_activity"):
                return  # still starting: jupyter_server would log a TraitError each interval
            return await super().cull_kernel_if_idle(kernel_id)

    ClassroomKernelManager.class_size = class_size
    return ClassroomKernelManager


V1 = "v1.kernel.websocket.jupyter.org"


def v1_only_connection():
    """jupyter_server's kernel websocket connection, for the v1 protocol only (Voila's page
    asks for it). Voila 0.5.13 reads every binary message it sends with the v1 framing, and
    filters the cells' source (execute_input) only there: a client of the legacy protocol makes
    the server loop forever on the first figure image (the whole class hangs), and would see
    the code of every cell, hidden ones included, run while it is connected."""
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )
    from tornado import web

    class V1OnlyConnection(ZMQChannelsWebsocketConnection):
        async def prepare(self):  # before the websocket handshake
            asked = self.websocket_handler.request.headers.get("Sec-WebSocket-Protocol", "")
            if V1 not in [p.strip() for p in asked.split(",")]:
                raise web.HTTPError(400, f"kernel websockets need the {V1} protocol")
            await super().prepare()

    return V1OnlyConnection


def no_cross_origin():
    """A tornado output transform removing CORS headers: jupyter_server echoes any Origin in
    Access-Control-Allow-Origin for a token-authenticated request, letting a page on another
    site read the lessons with a learner's token."""
    from tornado.web import OutputTransform

    class NoCrossOrigin(OutputTransform):
        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            for name in [h for h in headers if h.lower().startswith("access-control-")]:
                del headers[name]
            return status_code, headers, chunk

    return NoCrossOrigin


def serve(target, *, ip, port, token, class_size, cull_after, voila_args=()):
    """Run Voila in this process until Ctrl+C, SIGTERM or SIGHUP; returns the exit code."""
    check_token(token, ip)
    os.environ.pop("CLASSROOM_TOKEN", None)  # the kernels inherit this environment
    os.environ["LSTM_VIZ_LAYOUT"] = "projector"  # lstm_viz.layout(): landscape lesson figures
    os.environ["JUPYTER_PATH"] = voila_env()["JUPYTER_PATH"]  # before Voila looks for templates
    import psutil
    from jupyter_core.paths import jupyter_runtime_dir
    from tornado.ioloop import IOLoop
    from traitlets.config import Config
    from voila.app import Voila

    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    idle = (f" (a page lost without being closed frees it after {duration(cull_after)} without "
            "activity)" if cull_after else "")
    manager = kernel_manager_class(class_size, FULL.format(n=class_size, idle=idle))
    c = Config()
    c.Voila.ip, c.Voila.port, c.Voila.port_retries = ip, port, 0
    c.Voila.open_browser = False
    c.Voila.token = token
    c.Voila.config_file_paths = []  # no voila.py / voila.json from the folder or ~/.jupyter
    c.Voila.connection_dir_root = str(runtime)  # private to this user, unlike /tmp
    c.Voila.kernel_websocket_connection_class = connection = v1_only_connection()
    vc = c.VoilaConfiguration
    vc.template, vc.theme = TEMPLATE, THEME
    vc.allow_template_override = vc.allow_theme_override = "NO"  # not ?template=, ?theme=
    vc.show_tracebacks = False
    # /voila/files/ is a plain file handler that asks for no token (tornado's StaticFileHandler):
    # with Voila's default allowlist (images) anyone reaching the port could fetch the folder's
    # images. No lesson shows a file from its folder (their figures are outputs), so none.
    vc.file_allowlist = []
    vc.multi_kernel_manager_class = manager
    km = c.MappingKernelManager
    km.cull_idle_timeout = cull_after
    km.cull_interval = max(1, min(60, cull_after // 4))
    km.cull_connected = False  # a learner reading with the page open keeps their kernel
    km.cull_busy = False

    app = Voila(config=c)
    app.initialize([str(target), *voila_args])
    conf = app.voila_configuration
    policy = (conf.template, conf.theme, conf.allow_template_override,
              conf.allow_theme_override, conf.show_tracebacks, conf.file_allowlist, app.token,
              app.ip)
    if policy != (TEMPLATE, THEME, "NO", "NO", False, [], token, ip):
        raise SystemExit(f"classroom.py: Voila's settings are not the classroom's: {policy[:5]}")

    loop = IOLoop.current()
    stopping = []

    def kill_kernels():
        kids = psutil.Process().children(recursive=True)
        for p in kids:
            p.kill()
        psutil.wait_procs(kids, timeout=5)
        if getattr(app, "connection_dir", None):
            shutil.rmtree(app.connection_dir, ignore_errors=True)

    def on_signal(signum, frame):
        # a Python-level handler runs even while the event loop is busy
        name = signal.Signals(signum).name
        if stopping:  # a second signal while the kernels shut down: no more waiting
            print(f"{name} again: killing the kernels.", flush=True)
            kill_kernels()
            os._exit(1)
        stopping.append(name)
        print(f"{name}: stopping the kernels and the server ...", flush=True)
        loop.asyncio_loop.call_soon_threadsafe(loop.stop)

    for sig in SIGNALS:  # replaces Voila's SIGTERM handler; SIGHUP would kill without cleanup
        signal.signal(sig, on_signal)

    def ready():  # the first callback of the running loop: Voila is listening
        if (not isinstance(app.kernel_manager, manager)
                or app.app.settings["kernel_websocket_connection_class"] is not connection):
            print("classroom.py: Voila does not use the classroom's kernel manager and "
                  "websocket connection", flush=True)
            loop.stop()
            return
        app.app.add_transform(no_cross_origin())
        host = ip if is_loopback(ip) else "<this machine's address>"
        host = f"[{host}]" if ":" in host else host
        print(f"Classroom mode: open http://{host}:{port}/?token={quote(token, safe='')}",
              flush=True)
        print(memory_line(class_size), flush=True)
        print(f"Beyond {class_size} open pages a learner sees \"the class is full\"; "
              + (f"a kernel left without a page stops after {duration(cull_after)} without "
                 "activity." if cull_after else "idle kernels are never stopped."), flush=True)
        print("Stop with Ctrl+C.", flush=True)

    loop.add_callback(ready)
    try:
        app.start()  # returns once on_signal stopped the loop; Voila then shuts its kernels down
    finally:
        kill_kernels()  # anything Voila left (a kernel that did not answer, an error above)
    print("Stopped: no kernel left, nothing listening.", flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lesson", nargs="?",
                    help="one lesson (e.g. 03) or a folder; default: all of notebooks/")
    ap.add_argument("--ip", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; 0.0.0.0: a classroom network)")
    ap.add_argument("--port", type=int, default=8866)
    ap.add_argument("--class-size", type=int, default=CLASS_SIZE, metavar="N",
                    help=f"kernels (open pages) at once; beyond, a learner sees 'the class is "
                         f"full' (default {CLASS_SIZE}, about {KERNEL_MB} MB each)")
    ap.add_argument("--cull-after", type=int, default=CULL_AFTER, metavar="SECONDS",
                    help="stop a kernel after this long without activity once no page is "
                         f"connected to it (default {CULL_AFTER}: 10 min; 0: never)")
    ap.add_argument("--token-file", metavar="PATH",
                    help="read the token from this private file (0600) and remove it; "
                         "default: $CLASSROOM_TOKEN, else a new random token")
    args, extra = ap.parse_known_args(argv)
    for opt in extra:
        m = re.fullmatch(r"--([\w.]+)=.*", opt)
        if not m or m.group(1) not in VOILA_OPTIONS:
            ap.error(f"unknown option {opt!r} (Voila options accepted: "
                     + ", ".join(f"--{o}=..." for o in VOILA_OPTIONS) + ")")
    if not 1 <= args.class_size <= 1000:
        ap.error(f"--class-size must be in 1..1000, got {args.class_size}")
    if args.cull_after < 0:
        ap.error(f"--cull-after must be >= 0 seconds, got {args.cull_after}")

    if args.token_file:
        token = take_token_file(args.token_file)
    elif "CLASSROOM_TOKEN" in os.environ:  # set, even to "": the teacher meant a token
        token = os.environ.pop("CLASSROOM_TOKEN")
    else:
        token = secrets.token_urlsafe(16)
    try:
        check_token(token, args.ip)
    except ValueError as e:
        raise SystemExit(f"classroom.py: {e}. Nothing started.") from None
    target = find_lesson(args.lesson) if args.lesson else NOTEBOOKS
    return serve(target, ip=args.ip, port=args.port, token=token, class_size=args.class_size,
                 cull_after=args.cull_after, voila_args=extra)


if __name__ == "__main__":
    sys.exit(main())
