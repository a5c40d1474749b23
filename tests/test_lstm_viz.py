"""lstm_viz: every slider is moved, and the figure's data is checked against the trace.

Expected values come from the trace arrays (or, for lesson 1, from the logistic formula
written out here), not from the figure's own helpers."""

import io
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

import lstm_viz
from lstm_core import LSTM
from lstm_viz import SliderFigure, UnrolledFigure, valve_figure

T, H, I = 100, 32, 3
NUMBER = re.compile(r"[-+]?\d+\.\d+")


def make_lstm(seed, input_size=I, hidden_size=H):
    """An LSTM with weights from a local generator (no global seeding in tests)."""
    rng = np.random.default_rng(seed)
    lstm = LSTM(input_size, hidden_size)
    for name in ("Wf", "Wi", "Wc", "Wo"):
        setattr(lstm, name, rng.standard_normal((hidden_size, hidden_size + input_size)))
    for name in ("bf", "bi", "bc", "bo"):
        setattr(lstm, name, 0.5 * rng.standard_normal((hidden_size, 1)))
    return lstm


@pytest.fixture(scope="module")
def data():
    x = np.random.default_rng(1).standard_normal((T, I))
    return x, make_lstm(0).trace(x)


@pytest.fixture
def view(data):
    x, tr = data
    v = UnrolledFigure(tr, x)
    yield v
    v.close()


def numbers(text):
    return [float(s) for s in NUMBER.findall(text)]


# ---- import hygiene ----------------------------------------------------------------------


def test_import_changes_no_global_state():
    code = (
        "import matplotlib, numpy as np\n"
        "before = dict(matplotlib.rcParams); backend = matplotlib.get_backend()\n"
        "state = np.random.get_state()[1].copy()\n"
        "import lstm_viz\n"
        "after = dict(matplotlib.rcParams)\n"
        "changed = sorted(k for k in before if before[k] != after[k])\n"
        "assert not changed, changed\n"
        "assert matplotlib.get_backend() == backend\n"
        "assert (np.random.get_state()[1] == state).all(), 'global numpy seed changed'\n"
        "import matplotlib.pyplot as plt\n"
        "assert plt.get_fignums() == [], 'import made a figure'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_building_a_figure_leaves_rcparams_alone(data):
    import matplotlib

    before = dict(matplotlib.rcParams)
    v = UnrolledFigure(data[1], data[0])
    v.set(t=5, unit=2)
    _ = v.png()
    v.close()
    w = valve_figure()
    w.close()
    after = dict(matplotlib.rcParams)
    assert [k for k in before if before[k] != after[k]] == []


# ---- lesson 3: the time slider -----------------------------------------------------------


def test_default_view(view, data):
    x, tr = data
    assert view.values == {"t": 10, "unit": 0}
    assert view.defaults == {"t": 10, "unit": 0}
    for cur in view.cursors:
        assert list(cur.get_xdata()) == [10, 10]
    # the heatmaps hold the trace, units by time
    for field in "figoch":
        np.testing.assert_array_equal(view.images[field].get_array(),
                                      getattr(tr, field)[:, :, 0].T)
    assert view.figure.get_layout_engine() is None  # fixed axes: no layout cost per redraw


@pytest.mark.parametrize("t", [0, 1, 37, 99])
def test_time_slider_moves_every_cursor_and_the_numbers(view, data, t):
    x, tr = data
    unit = 7
    view.set(t=t, unit=unit)
    assert view.controls["t"].value == t
    for cur in view.cursors:  # input, six heatmaps, two unit panels
        assert list(cur.get_xdata()) == [t, t]
    assert len(view.cursors) == 9
    nums = numbers(view.readout.get_text())
    f, i, g, o, c, h = (getattr(tr, k)[t, unit, 0] for k in "figoch")
    c_prev = tr.c[t - 1, unit, 0] if t > 0 else 0.0
    expected = [*x[t],  # x_t
                tr.f_pre[t, unit, 0], f, tr.i_pre[t, unit, 0], i,
                tr.g_pre[t, unit, 0], g, tr.o_pre[t, unit, 0], o,
                f, c_prev, i, g, c,  # c_t = f_t * c_{t-1} + i_t * g_t
                o, c, h]  # h_t = o_t * tanh(c_t)
    np.testing.assert_allclose(nums, expected, atol=6e-4)
    assert view.readout.get_text().splitlines()[0].endswith(f"= {t}, {unit}")
    # the unit panels' dots sit at (t, value)
    for field, dot in view.unit_dots.items():
        assert dot.get_xdata()[0] == t
        assert dot.get_ydata()[0] == pytest.approx(getattr(tr, field)[t, unit, 0])
    # the HTML mirror says the same as the figure
    assert f"{f:+.4f}" in view.text_widget.value and f"{h:+.4f}" in view.text_widget.value


def test_readout_text_is_labels_and_numbers(view, data):
    x, tr = data
    view.set(t=42, unit=3)
    text = view.readout_text()
    assert text.splitlines()[0].startswith("step t, unit")
    assert "c_t = f_t⊙c_(t-1) + i_t⊙g_t" in text
    assert f"{tr.h[42, 3, 0]:+.4f}" in text
    assert view.readout.get_text() == text  # the figure shows the same text


def test_unit_selector_follows_one_unit(view, data):
    x, tr = data
    for unit in (0, 5, 31):
        view.set(unit=unit)
        for field, line in view.unit_lines.items():
            np.testing.assert_array_equal(line.get_ydata(), getattr(tr, field)[:, unit, 0])
        for box in view.unit_boxes:
            assert box.get_y() == unit - 0.5
        assert view.readout.get_text().splitlines()[0].endswith(f"= 10, {unit}")


def test_widget_value_change_is_the_same_path_as_set(view, data):
    tr = data[1]
    view.controls["t"].value = 55  # what a drag in the browser does
    assert list(view.cursors[3].get_xdata()) == [55, 55]
    assert f"{tr.f[55, 0, 0]:+.4f}" in view.readout.get_text()
    view.controls["unit"].value = 4
    np.testing.assert_array_equal(view.unit_lines["c"].get_ydata(), tr.c[:, 4, 0])


def test_reset_returns_to_the_default(view):
    view.set(t=80, unit=9)
    view.reset()
    assert view.values == view.defaults == {"t": 10, "unit": 0}
    assert list(view.cursors[0].get_xdata()) == [10, 10]
    assert view.readout.get_text().splitlines()[0].endswith("= 10, 0")


def test_set_runs_update_once_for_a_batch(view):
    before = view.moves
    view.set(t=20, unit=2)
    assert view.moves == before + 1
    view.set(t=20, unit=2)  # nothing changed: no update
    assert view.moves == before + 1


@pytest.mark.parametrize("kwargs, error, match", [
    ({"t": 100}, ValueError, r"t must be in \[0, 99\]; got 100"),
    ({"t": -1}, ValueError, r"t must be in \[0, 99\]"),
    ({"t": 2.5}, TypeError, "t must be an integer"),
    ({"t": "3"}, TypeError, "t must be a number"),
    ({"unit": 32}, ValueError, "unit must be one of"),
    ({"speed": 1}, ValueError, r"unknown control\(s\) \['speed'\]"),
])
def test_bad_slider_values_are_errors(view, kwargs, error, match):
    with pytest.raises(error, match=match):
        view.set(**kwargs)
    assert view.values == {"t": 10, "unit": 0}  # nothing moved


def test_bad_traces_are_errors(data):
    x, tr = data
    with pytest.raises(TypeError, match="lstm_core.Gates"):
        UnrolledFigure(np.zeros((T, H)), x)
    bad = tr._replace(c=tr.c[:, :5])  # c has 5 units, f has 32
    with pytest.raises(ValueError, match=r"trace.c must have the shape of trace.f"):
        UnrolledFigure(bad, x)
    with pytest.raises(ValueError, match=r"must be \(T, H, B\) or \(T, H\); got shape"):
        UnrolledFigure(tr._replace(f=tr.f[0, 0]), x)
    with pytest.raises(ValueError, match=r"x must be \(T, I\) or \(T, B, I\) with T = 100"):
        UnrolledFigure(tr, x[:50])
    with pytest.raises(ValueError, match=r"t must be in \[0, 99\]; got 100"):
        UnrolledFigure(tr, x, t=100)
    with pytest.raises(ValueError, match=r"unit must be in \[0, 31\]; got 40"):
        UnrolledFigure(tr, x, unit=40)
    with pytest.raises(ValueError, match="batch must be in"):
        UnrolledFigure(tr, x, batch=1)
    nan = tr._replace(h=np.full_like(tr.h, np.nan))
    with pytest.raises(ValueError, match="trace.h must hold finite numbers"):
        UnrolledFigure(nan, x)
    plt.close("all")


def test_batch_and_short_sequences():
    lstm = make_lstm(3, input_size=2, hidden_size=4)
    x = np.random.default_rng(2).standard_normal((6, 3, 2))  # T=6, B=3
    tr = lstm.trace(x)
    v = UnrolledFigure(tr, x, batch=2)
    assert v.values["t"] == 5  # default step 10 is past the end: the last step
    v.set(t=3, unit=1)
    assert f"{tr.h[3, 1, 2]:+.4f}" in v.readout.get_text()
    np.testing.assert_array_equal(v.images["c"].get_array(), tr.c[:, :, 2].T)
    v.close()


# ---- swapping the data in place (lessons 6 and 7) -----------------------------------------


def test_checkpoint_slider_swaps_the_heatmaps_in_place(data):
    x, tr0 = data
    tr1 = make_lstm(5).trace(x)
    v = UnrolledFigure(None, x, checkpoints=[tr0, tr1], checkpoint_labels=["start", "end"])
    images_before = {k: id(im) for k, im in v.images.items()}
    assert v.values == {"t": 10, "unit": 0, "checkpoint": 0}
    np.testing.assert_array_equal(v.images["f"].get_array(), tr0.f[:, :, 0].T)
    v.set(checkpoint=1, t=30, unit=2)
    for field in "figoch":
        np.testing.assert_array_equal(v.images[field].get_array(), getattr(tr1, field)[:, :, 0].T)
    assert {k: id(im) for k, im in v.images.items()} == images_before  # same artists
    np.testing.assert_array_equal(v.unit_lines["h"].get_ydata(), tr1.h[:, 2, 0])
    assert f"{tr1.c[30, 2, 0]:+.4f}" in v.readout.get_text()
    assert "(end)" in v.readout.get_text()
    v.reset()
    np.testing.assert_array_equal(v.images["o"].get_array(), tr0.o[:, :, 0].T)
    assert "(start)" in v.readout.get_text()
    v.close()


def test_set_trace_from_your_own_control(view, data):
    x, _ = data
    tr1 = make_lstm(9).trace(x)
    view.set(t=12, unit=6)
    view.set_trace(tr1)
    np.testing.assert_array_equal(view.images["g"].get_array(), tr1.g[:, :, 0].T)
    assert f"{tr1.i[12, 6, 0]:+.4f}" in view.readout.get_text()
    with pytest.raises(ValueError, match=r"\(T, H\) = \(100, 32\)"):
        view.set_trace(make_lstm(1).trace(x[:20]))


# ---- drawing: blitting under Agg, a full redraw keeps the cursor ----------------------------


def _column_darkness(view, ax, t):
    """Mean darkness of the pixel column at step t inside `ax` (the cursor is black)."""
    buf = np.asarray(view.canvas.buffer_rgba())[:, :, :3].astype(float)
    height = buf.shape[0]
    x_px, _ = ax.transData.transform((t, 0))
    y0, y1 = ax.get_window_extent().y0, ax.get_window_extent().y1
    col = buf[int(height - y1) + 3:int(height - y0) - 3, int(round(x_px))]
    return 255 - col.mean()


def test_moves_blit_only_the_moving_artists(view):
    assert view.blitting
    view.draw()  # a full draw caches the background (what the first display does)
    assert view._background is not None
    ax = view.axes["x"]  # the input panel: a thin line plot, mostly white
    assert _column_darkness(view, ax, 10) > 150  # the cursor at the default step
    before = _column_darkness(view, ax, 60)
    view.set(t=60)
    assert _column_darkness(view, ax, 60) > 150 > before
    assert _column_darkness(view, ax, 10) < 150  # the old cursor is gone
    view.canvas.draw()  # a full redraw (resize, zoom) keeps the cursor: draw_event redraws it
    assert _column_darkness(view, ax, 60) > 150


def test_without_blitting_every_move_asks_for_a_redraw(data, monkeypatch):
    x, tr = data
    v = UnrolledFigure(tr, x, blit=False)
    calls = []
    monkeypatch.setattr(v.canvas, "draw_idle", lambda: calls.append(1))
    v.set(t=3)
    v.set(unit=1)
    assert len(calls) == 2
    v.close()


def test_snapshot_is_a_png_of_the_current_view(view):
    from IPython.display import Image

    img = view.snapshot()
    assert isinstance(img, Image)
    assert img.data[:8] == b"\x89PNG\r\n\x1a\n"
    view.set(t=70)
    assert view.png() != img.data  # the cursor and the numbers moved
    view.reset()
    assert view.png() == img.data


def test_widget_holds_the_controls_and_the_text(view):
    box = view.widget
    assert isinstance(box, widgets.VBox)
    assert list(box.children[0].children) == list(view.controls.values())
    assert view.text_widget in box.children


# ---- the machinery on its own (what lessons 2, 4, 5 build on) ----------------------------


def test_module_docstring_example_runs():
    doc = lstm_viz.__doc__
    block = []
    for line in doc.split("::\n", 1)[1].splitlines()[1:]:  # the indented block after "::"
        if line and not line.startswith("    "):
            break
        block.append(line[4:])
    code = "\n".join(block)
    code = code.replace("view.show()", "pass")
    namespace = {}
    exec(compile(code, "lstm_viz docstring", "exec"), namespace)
    view = namespace["view"]
    assert view.values == {"t": 30}
    assert "0.0424" in namespace["label"].get_text()  # 0.9 ** 30
    view.close()


def test_slider_figure_checks_its_arguments():
    fig = lstm_viz.new_figure()
    (line,) = fig.add_axes([0.1, 0.1, 0.8, 0.8]).plot([0, 1])
    ok = {"a": widgets.IntSlider(1, min=0, max=5)}
    with pytest.raises(TypeError, match="matplotlib Figure"):
        SliderFigure("fig", ok, lambda a: None, [line])
    with pytest.raises(TypeError, match="non-empty dict"):
        SliderFigure(fig, {}, lambda a: None, [line])
    with pytest.raises(TypeError, match="control 'a' must be an ipywidgets value widget"):
        SliderFigure(fig, {"a": 3}, lambda a: None, [line])
    with pytest.raises(TypeError, match="update must be callable"):
        SliderFigure(fig, ok, None, [line])
    with pytest.raises(ValueError, match="full_redraw names unknown controls"):
        SliderFigure(fig, ok, lambda a: None, [line], full_redraw=("b",))
    plt.close(fig)


def test_float_slider_and_dropdown_controls():
    fig = lstm_viz.new_figure()
    (line,) = fig.add_axes([0.1, 0.1, 0.8, 0.8]).plot([0, 1], [0, 0])
    seen = []

    def update(scale, kind):
        seen.append((scale, kind))
        line.set_ydata([0, scale if kind == "up" else -scale])

    v = SliderFigure(fig, {"scale": widgets.FloatSlider(0.5, min=0, max=2),
                           "kind": widgets.Dropdown(options=["up", "down"], value="up")},
                     update, [line])
    assert line.get_animated()
    v.set(scale=1.5, kind="down")
    assert list(line.get_ydata()) == [0, -1.5]
    assert seen[-1] == (1.5, "down")
    with pytest.raises(ValueError, match=r"scale must be in \[0.0, 2.0\]; got 3"):
        v.set(scale=3)
    with pytest.raises(ValueError, match=r"kind must be one of \['up', 'down'\]"):
        v.set(kind="sideways")
    v.reset()
    assert list(line.get_ydata()) == [0, 0.5]
    v.close()


# ---- lesson 1: the valve ------------------------------------------------------------------


def logistic(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.mark.parametrize("w, b, x", [(2.0, 0.0, 1.0), (-3.0, 1.5, 0.5), (6.0, -6.0, -3.0)])
def test_valve_sliders(w, b, x):
    v = valve_figure()
    v.set(w=w, b=b, x=x)
    gate = logistic(w * x + b)
    np.testing.assert_allclose(v.passed.get_ydata(), gate * v.signal, atol=1e-12)
    assert v.gate_value() == pytest.approx(gate)
    assert f"= {gate:.4f}" in v.readout.get_text()
    assert f"{100 * gate:.1f}%" in v.readout.get_text()
    assert f"tanh({w * x + b:.2f}) = {np.tanh(w * x + b):.4f}" in v.readout.get_text()
    v.reset()
    assert v.values == {"w": 2.0, "b": 0.0, "x": 1.0}
    np.testing.assert_allclose(v.passed.get_ydata(), logistic(2.0) * v.signal, atol=1e-12)
    v.close()


def test_signed_unit_panel_scales_to_the_selected_unit(view, data, monkeypatch):
    tr = data[1]
    peaks = np.abs(np.stack([tr.g, tr.c, tr.h]))[:, :, :, 0].max(axis=(0, 1))  # per unit
    big, small = int(np.argmax(peaks)), int(np.argmin(peaks))
    assert peaks[big] > 1.5  # this trace has a unit whose cell state leaves (-1, 1)
    full = []
    monkeypatch.setattr(view.canvas, "draw_idle", lambda: full.append(1))
    view.set(unit=big)
    low, high = view.axes["unit_signed"].get_ylim()
    assert -low == high >= peaks[big]  # symmetric and the whole line is visible
    assert full  # new tick labels: a full redraw, not a blit
    view.set(unit=small)
    assert view.axes["unit_signed"].get_ylim() == (-1.5, 1.5)  # at least +-1, half steps
    n = len(full)
    view.draw()
    view.set(t=50)  # same unit, same scale: blitted, no full redraw
    assert len(full) == n


def test_set_and_reset_return_nothing_to_display(view):
    # a notebook cell ending with view.set(...) must not display the widget a second time
    assert view.set(t=3) is None
    assert view.reset() is None


IPYMPL_MOVE = r"""
import numpy as np
import matplotlib.pyplot as plt
from lstm_core import LSTM
from lstm_viz import UnrolledFigure

x = np.random.default_rng(1).standard_normal((100, 3))
lstm = LSTM(3, 32)
v = UnrolledFigure(lstm.trace(x), x)
canvas = v.canvas
assert type(canvas).__module__ == "ipympl.backend_nbagg", type(canvas)
assert v.blitting  # ipympl says supports_blit False, yet its Agg buffer blits
assert v.fast_frames == FAST and ("get_diff_image" in vars(canvas)) == FAST, v.fast_frames
canvas.syncing_data_url = False  # as after the browser's 'initialized' message
frames = []
canvas.send_binary = lambda data: frames.append(data)  # what would go to the browser
canvas.draw()  # the browser's first draw request
assert v._background is not None and len(frames) == 1

def frame_column(t):
    # darkness of the pixel column at step t in the input panel, in the last frame sent
    buf = canvas._last_buff.view(np.uint8).reshape(*canvas._last_buff.shape, 4)[:, :, :3]
    ax = v.axes["x"]
    px = int(round(ax.transData.transform((t, 0))[0]))
    box = ax.get_window_extent()
    h = buf.shape[0]
    return 255 - buf[int(h - box.y1) + 3:int(h - box.y0) - 3, px].mean()

assert frame_column(10) > 150  # the default cursor is in the first frame
v.set(t=60)
assert len(frames) == 2, len(frames)  # one move, one frame
assert canvas._current_image_mode == "diff"  # only the changed pixels go out
assert frame_column(60) > 150 and frame_column(10) < 150
canvas.draw()  # a full redraw (resize, zoom): the cursor survives it
assert frame_column(60) > 150
assert len(frames) == 3
print("ok")
"""

# A matplotlib whose private get_diff_image is not the one lstm_viz copied (here: another
# signature, as a later release might have): the canvas must stay plain ipympl, and every
# frame must still come out, made by matplotlib's own function.
IPYMPL_OTHER_INTERNALS = r"""
from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore

made = []
matplotlibs_own = FigureCanvasWebAggCore.get_diff_image

def get_diff_image(self, *args):
    frame = matplotlibs_own(self)
    made.append(frame is not None)
    return frame

FigureCanvasWebAggCore.get_diff_image = get_diff_image
"""


def _run_ipympl(script):
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "module://ipympl.backend_nbagg"},
                          timeout=120)


def test_ipympl_canvas_blits_and_sends_diff_frames():
    """The ipympl path without a browser: the frames the kernel would send after a move."""
    out = _run_ipympl("FAST = True\n" + IPYMPL_MOVE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


def test_ipympl_with_other_internals_stays_plain_and_still_sends_frames():
    out = _run_ipympl("FAST = False\n" + IPYMPL_OTHER_INTERNALS + IPYMPL_MOVE
                      + "assert made == [True, True, True], made\nprint('plain')\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "plain"]
    assert out.stderr == ""  # silently: no warning printed


def _ink(fig, ax):
    """Darkness of each pixel inside `ax` after a full draw, (rows top first, columns)."""
    fig.canvas.draw()
    buf = 255.0 - np.asarray(fig.canvas.buffer_rgba())[:, :, :3].mean(axis=2)
    box = ax.get_window_extent()
    h = buf.shape[0]
    return buf[int(h - box.y1):int(h - box.y0), int(box.x0):int(box.x1)]


def test_glyph_text_looks_like_matplotlib_text():
    text = "step t = 10\nf_t = σ(+2.484) = +0.9230\nc_t = 0.923×(+1.170) ⊙ [0.5, -0.2]"
    inks = []
    for fast in (False, True):
        fig = lstm_viz.new_figure(figsize=(6, 2))
        ax = fig.add_axes([0.05, 0.05, 0.9, 0.9])
        ax.set_axis_off()
        if fast:
            artist = lstm_viz.add_readout(ax, 0.0, 1.0, fontsize=12)
            artist.set_text(text)
            assert artist.get_text() == text
        else:
            ax.text(0.0, 1.0, text, transform=ax.transAxes, family="monospace", fontsize=12,
                    va="top", ha="left")
        inks.append(_ink(fig, ax))
        plt.close(fig)
    slow, fast = inks
    assert fast.sum() == pytest.approx(slow.sum(), rel=0.15)  # the same amount of ink
    rows, cols = np.indices(slow.shape)
    for coord in (rows, cols):  # in the same place (top first: not upside down)
        assert abs((coord * fast).sum() / fast.sum() - (coord * slow).sum() / slow.sum()) < 4
    rows_slow = np.flatnonzero(slow.max(axis=1) > 100)
    rows_fast = np.flatnonzero(fast.max(axis=1) > 100)
    assert abs(rows_fast[0] - rows_slow[0]) <= 3 and abs(rows_fast[-1] - rows_slow[-1]) <= 6


def test_glyph_text_follows_the_dpi_and_is_saved(view):
    # savefig at another dpi renders the readout at that dpi (a second glyph atlas)
    buf = io.BytesIO()
    view.figure.savefig(buf, format="png", dpi=160)
    assert 80 in view.readout._atlases and 160 in view.readout._atlases
    bbox = view.readout.get_window_extent()
    assert bbox.width > 300 and bbox.height > 100


# ---- real-valued sliders, labels, the text widget's class, saving figure-level artists ----


def test_float_slider_is_a_selection_slider_on_a_rounded_grid():
    s = lstm_viz.float_slider(1.0, -3, 3, 0.1, description="x1")
    assert isinstance(s, widgets.SelectionSlider)  # the page sends an index: no float echo
    values = [v for _, v in s.options]
    assert len(values) == 61 and values[0] == -3.0 and values[-1] == 3.0
    assert 0.3 in values and 2.0 in values and -0.0 not in [str(v) for v in values]
    assert all(label == f"{v:.1f}" for label, v in s.options)
    assert s.value == 1.0 and s.index == 40 and s.continuous_update
    half = lstm_viz.float_slider(8.0, 0.0, 10.0, 0.5)
    assert [v for _, v in half.options][:3] == [0.0, 0.5, 1.0] and half.label == "8.0"
    quarter = lstm_viz.float_slider(0.25, 0, 1, 0.25)
    assert quarter.options[1] == ("0.25", 0.25)
    assert lstm_viz.float_slider(0.1 + 0.2, 0, 1, 0.1).value == 0.3  # snapped onto the grid


def test_float_slider_checks_its_arguments():
    with pytest.raises(ValueError, match="value must be on the grid"):
        lstm_viz.float_slider(0.05, 0, 1, 0.1)
    with pytest.raises(ValueError, match="whole number of steps"):
        lstm_viz.float_slider(0, 0, 1, 0.3)
    with pytest.raises(ValueError, match="min must be below max"):
        lstm_viz.float_slider(1, 1, 1, 0.1)
    with pytest.raises(ValueError, match="step must be positive"):
        lstm_viz.float_slider(0, 0, 1, -0.1)
    with pytest.raises(TypeError, match="value must be a finite number"):
        lstm_viz.float_slider("1", 0, 1, 0.1)


def test_float_slider_in_a_figure_set_reset_and_near_values():
    fig = lstm_viz.new_figure()
    (line,) = fig.add_axes([0.1, 0.1, 0.8, 0.8]).plot([0, 1], [0, 0])
    v = SliderFigure(fig, {"s": lstm_viz.float_slider(0.5, 0, 2, 0.1, description="scale s")},
                     lambda s: line.set_ydata([0, s]), [line])
    v.set(s=0.1 + 0.2)  # 0.30000000000000004: the option 0.3
    assert v.values == {"s": 0.3} and list(line.get_ydata()) == [0, 0.3]
    with pytest.raises(ValueError, match="s must be one of"):
        v.set(s=0.35)
    v.reset()
    assert v.values == {"s": 0.5} and v.controls["s"].index == 5
    v.close()


def test_controls_show_their_whole_description_and_the_text_has_its_class(view):
    for w in view.controls.values():
        assert w.style.description_width == "initial"
    assert lstm_viz.TEXT_CLASS in view.text_widget._dom_classes
    valve = valve_figure()
    assert all(isinstance(w, widgets.SelectionSlider) for w in valve.controls.values())
    assert all(w.style.description_width == "initial" for w in valve.controls.values())
    valve.close()


def test_png_draws_figure_level_moving_artists():
    """savefig skips animated artists placed on the figure (not in an axes); png() must not."""
    from PIL import Image

    fig = lstm_viz.new_figure(figsize=(3, 2))
    fig.add_axes([0.6, 0.1, 0.3, 0.8])
    label = fig.text(0.05, 0.4, "", fontsize=40, color="red")
    v = SliderFigure(fig, {"n": widgets.IntSlider(3, min=0, max=5)},
                     lambda n: label.set_text("X" * n), [label])

    def red_pixels(png):
        rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
        return int(((rgb[:, :, 0] > 200) & (rgb[:, :, 1] < 80) & (rgb[:, :, 2] < 80)).sum())

    assert red_pixels(v.png()) > 100
    assert label.get_animated()  # still blitted on moves after the save
    v.set(n=0)
    assert red_pixels(v.png()) == 0
    v.close()


def test_no_lesson_uses_a_float_slider():
    """A FloatSlider echoes kernel-set values back from the page (see float_slider)."""
    import json
    from pathlib import Path

    for nb in sorted((Path(__file__).parent.parent / "notebooks").glob("0*.ipynb")):
        state = json.loads(nb.read_text())["metadata"].get("widgets", {}).get(
            "application/vnd.jupyter.widget-state+json", {}).get("state", {})
        models = {m["model_name"] for m in state.values()}
        assert "FloatSliderModel" not in models, f"{nb.name} stores a FloatSlider"


# ---- the package: one module per concern, the public names from lstm_viz ----------------


def _names_imported_from_lstm_viz():
    """{(module, name)} for every `from lstm_viz... import name` and `lstm_viz.name` in the
    lessons, tests, scripts and benchmarks (notebook magics and shell lines left out)."""
    import ast
    import json
    from pathlib import Path

    root = Path(__file__).parent.parent
    sources = [p.read_text() for d in ("tests", "scripts", "benchmarks")
               for p in sorted((root / d).glob("*.py"))]
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                sources.append("\n".join(ln for ln in lines if ln.lstrip()[:1] not in "%!"))
    found = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lstm_viz"):
                found |= {(node.module, alias.name) for alias in node.names}
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id == "lstm_viz"):
                found.add(("lstm_viz", node.attr))
    return found


def test_every_name_the_project_imports_is_still_there():
    import importlib

    found = _names_imported_from_lstm_viz()
    assert ("lstm_viz", "UnrolledFigure") in found and len(found) > 20  # the scan works
    missing = [(m, n) for m, n in sorted(found) if not hasattr(importlib.import_module(m), n)]
    assert missing == []
    assert all(hasattr(lstm_viz, name) for name in lstm_viz.__all__)


def test_each_concern_has_its_module():
    layout = {
        "lstm_viz.style": ["FONT", "GATE_CMAP", "SIGNED_CMAP", "CURSOR_STYLE", "new_figure",
                           "style_axes", "add_cursor", "gate_image", "signed_image"],
        "lstm_viz.sliders": ["SliderFigure", "float_slider", "TEXT_CLASS"],
        "lstm_viz.fast_drawing": ["GlyphText", "add_readout", "_faster_frames"],
        "lstm_viz.figures": ["valve_figure", "UnrolledFigure"],
    }
    import importlib

    for module, names in layout.items():
        mod = importlib.import_module(module)
        for name in names:
            obj = getattr(mod, name)
            if callable(obj):
                assert obj.__module__ == module, (name, obj.__module__)
            if not name.startswith("_"):
                assert getattr(lstm_viz, name) is obj  # the same object from the package


# ---- ipympl's faster frames: only where matplotlib's internals are the known ones -------


def _web_canvas(cls=None):
    """matplotlib's own web canvas (what ipympl's Canvas is built on), with no browser: a
    figure that no pyplot knows, one line on it."""
    from matplotlib.backends.backend_webagg_core import (
        FigureCanvasWebAggCore,
        FigureManagerWebAgg,
    )
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), dpi=40)
    canvas = (cls or FigureCanvasWebAggCore)(fig)
    FigureManagerWebAgg(canvas, 1)  # draw() tells the manager; no socket is attached
    fig.add_axes([0.1, 0.1, 0.8, 0.8]).plot([0, 1], [0, 1], color="red")
    return canvas


def _frames(canvas):
    """The two frames a browser would get: the first draw (full), then a move (diff)."""
    from PIL import Image

    out = []
    for y in (1, 0):
        canvas.figure.axes[0].lines[0].set_ydata([0, y])
        canvas.draw()
        png = canvas.get_diff_image()
        out.append((canvas._current_image_mode, np.asarray(Image.open(io.BytesIO(png))), png))
    return out


def _zlib_level(png):
    """zlib's FLEVEL of the first image chunk: 0 is levels 0-1, 2 is PIL's default 6."""
    data = png[png.index(b"IDAT") + 4:]
    return data[1] >> 6


def test_frame_copy_makes_matplotlibs_frames_at_level_1():
    from lstm_viz.fast_drawing import _faster_frames

    plain, fast = _web_canvas(), _web_canvas()
    assert _faster_frames(fast) is True and "get_diff_image" in vars(fast)
    assert _faster_frames(fast) is True  # a second SliderFigure on the canvas: still the copy
    for (mode_p, pix_p, png_p), (mode_f, pix_f, png_f) in zip(_frames(plain), _frames(fast),
                                                             strict=True):
        assert mode_f == mode_p and np.array_equal(pix_f, pix_p)  # the same pixels, same mode
        assert _zlib_level(png_p) == 2 and _zlib_level(png_f) == 0  # only the level differs
    assert [m for m, _, _ in _frames(fast)] == ["diff", "diff"]


def _other_internals(name, monkeypatch):
    """A web canvas whose internals differ from the ones the copy was written for."""
    from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore

    own = FigureCanvasWebAggCore.get_diff_image
    if name == "no web canvas":
        return lstm_viz.new_figure(figsize=(3, 2)).canvas
    if name.startswith("no "):
        canvas = _web_canvas()
        delattr(canvas, name[3:])
        return canvas
    if name == "_last_buff is not an array":
        canvas = _web_canvas()
        canvas._last_buff = []
        return canvas
    if name == "a subclass makes its own frames":
        class OwnFrames(FigureCanvasWebAggCore):
            def get_diff_image(self):
                return own(self)

        return _web_canvas(OwnFrames)
    if name == "get_diff_image has another signature":
        monkeypatch.setattr(FigureCanvasWebAggCore, "get_diff_image",
                            lambda self, compress_level=6: own(self))
        return _web_canvas()
    assert name == "get_diff_image reads other state"

    def get_diff_image(self):  # as if matplotlib kept the last frame under another name
        self._previous_frame = None
        return own(self)

    monkeypatch.setattr(FigureCanvasWebAggCore, "get_diff_image", get_diff_image)
    return _web_canvas()


@pytest.mark.parametrize("internals", [
    "no _png_is_old", "no _force_full", "no _last_buff", "_last_buff is not an array",
    "a subclass makes its own frames", "get_diff_image has another signature",
    "get_diff_image reads other state", "no web canvas",
])
def test_frame_patch_leaves_other_internals_to_plain_ipympl(internals, monkeypatch):
    import warnings

    canvas = _other_internals(internals, monkeypatch)
    fig = canvas.figure
    ax = fig.axes[0] if fig.axes else fig.add_axes([0.1, 0.1, 0.8, 0.8])
    cursor = lstm_viz.add_cursor(ax, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # silently: no warning either
        view = SliderFigure(fig, {"t": widgets.IntSlider(0, min=0, max=5)},
                            lambda t: cursor.set_xdata([t, t]), [cursor])
        assert view.fast_frames is False
        assert "get_diff_image" not in vars(canvas)  # the canvas is as it came
        view.set(t=4)  # the figure still works
        assert list(cursor.get_xdata()) == [4, 4]
        if "signature" in internals or "other state" in internals or "subclass" in internals:
            modes = [mode for mode, _, png in _frames(canvas) if png[:4] == b"\x89PNG"]
            assert modes == ["full", "diff"]  # frames come out, made by the canvas's own code
    view.close()


# ---- float_slider: bounded, and every bad argument named ----------------------------------


FLOAT_SLIDER_SCRIPT = r"""
import lstm_viz
for args in [(0, 0, 1, 1e-300), (0, 0, 1e7, 1)]:
    try:
        lstm_viz.float_slider(*args)
    except ValueError as err:
        assert "at most 2001 options" in str(err), err
        print("refused")
"""


def test_float_slider_bounds_its_number_of_options():
    """1e-300 steps ran forever (2.6 GB after 30 s), 1e7 options died of MemoryError: both
    are refused at once. (In a subprocess: without the bound this would never return.)"""
    out = subprocess.run([sys.executable, "-c", FLOAT_SLIDER_SCRIPT], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["refused", "refused"]
    largest = lstm_viz.float_slider(0, 0, 2, 0.001)  # 2000 steps: the most allowed
    assert len(largest.options) == lstm_viz.MAX_OPTIONS == 2001
    assert largest.options[-1] == ("2.000", 2.0)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((0, 0, 1, float("nan")), {}, ValueError, "step must be a finite number; got nan"),
    ((0, 0, 1, float("inf")), {}, ValueError, "step must be a finite number; got inf"),
    ((0, 0, 1, 0), {}, ValueError, "step must be positive; got 0"),
    ((0, 0, 1, -0.1), {}, ValueError, "step must be positive"),
    ((0, 1, 0, 0.1), {}, ValueError, "min must be below max; got min=1.0, max=0.0"),
    ((float("nan"), 0, 1, 0.1), {}, ValueError, "value must be a finite number; got nan"),
    ((2, 0, 1, 0.1), {}, ValueError, r"value must be in \[min, max\] = \[0.0, 1.0\]; got 2"),
    ((-0.5, 0, 1, 0.1), {}, ValueError, r"value must be in \[min, max\]"),
    ((0, -1e308, 1e308, 1e306), {}, ValueError, "max - min must be a finite number"),
    ((0, 0, 10**400, 1), {}, ValueError, "max must be a finite number; got an integer of 401"),
    ((1e17, 1e17, 1e17 + 64, 1), {}, ValueError, "at least 1000 times the float resolution"),
    ((0, 0, 1e-18, 1e-20), {}, ValueError, "step must be written with at most 15 decimals"),
    ((0.5, 0, 1, 0.5), {"decimals": 0}, ValueError, "decimals must be at least 1"),
    ((0.5, 0, 1, 0.5), {"decimals": 2.0}, TypeError, "decimals must be an integer"),
    ((0.5, 0, 1, 0.5), {"decimals": 99}, ValueError, r"decimals must be in \[0, 15\]"),
    (("0.5", 0, 1, 0.5), {}, TypeError, "value must be a finite number; got '0.5' of type str"),
    ((None, 0, 1, 0.5), {}, TypeError, "value must be a finite number; got None"),
    ((0.5, [0], 1, 0.5), {}, TypeError, "min must be a finite number"),
    ((0.5, 0, 1j, 0.5), {}, TypeError, "max must be a finite number"),
    ((True, 0, 1, 1), {}, TypeError, "value must be a finite number; got True"),
    ((0.5, 0, 1, np.array([0.5])), {}, TypeError, "step must be a finite number"),
    ((0.5, 0, 1, 0.5), {"description": 3}, TypeError, "description must be a str; got int"),
    ((7, -6, 6, 0.1), {"description": "weight w"}, ValueError, "weight w must be in"),
])
def test_float_slider_refuses_bad_arguments_by_name(args, kwargs, error, match):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            lstm_viz.float_slider(*args, **kwargs)


def test_decimals_of_tiny_steps_and_of_min():
    from lstm_viz.sliders import _decimals

    assert _decimals(1e-12) == 12  # was 0: the tolerance was absolute, 1e-12
    assert [_decimals(s) for s in (0.5, 0.25, 2, 0.1 + 0.2, 1e-3)] == [1, 2, 0, 1, 3]
    tiny = lstm_viz.float_slider(3e-12, 0, 1e-9, 1e-12)
    assert tiny.options[3] == ("0.000000000003", 3e-12) and tiny.value == 3e-12
    assert len({label for label, _ in tiny.options}) == 1001  # every label different
    # min with more decimals than the step: 0.05, 0.15, ... (was 0.1, 0.1, 0.2: wrong labels)
    odd = lstm_viz.float_slider(0.15, 0.05, 1.05, 0.1)
    assert [label for label, _ in odd.options[:3]] == ["0.05", "0.15", "0.25"]
    assert odd.value == 0.15 and odd.options[-1][1] == 1.05


def test_a_float_slider_set_snaps_to_the_nearest_option_only():
    fig = lstm_viz.new_figure(figsize=(3, 2))
    (line,) = fig.add_axes([0.1, 0.1, 0.8, 0.8]).plot([0, 1], [0, 0])
    v = SliderFigure(fig, {"s": lstm_viz.float_slider(0, 0, 1e-9, 1e-12)},
                     lambda s: line.set_ydata([0, s]), [line])
    v.set(s=5e-12 + 1e-25)  # round-off away from an option: that option, not the first near
    assert v.values == {"s": 5e-12}
    with pytest.raises(ValueError, match=r"s must be one of \[0.0, 1e-12, 2e-12, '...'"):
        v.set(s=5.5e-12)  # between two options: no option
    v.close()


def test_float_options_property_over_extreme_numbers():
    """Any numbers at all: a bounded grid, or a TypeError/ValueError; never a hang, a
    MemoryError or a warning."""
    import warnings

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lstm_viz.sliders import MAX_OPTIONS, _float_options

    anything = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                         st.integers(-10**400, 10**400), st.sampled_from([0.1, 1e-12, 0.5]))

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(anything, anything, anything, anything)
    def check(value, low, high, step):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                options, chosen = _float_options(value, low, high, step, None, "value")
            except (TypeError, ValueError):
                return
        values = [v for _, v in options]
        assert 2 <= len(options) <= MAX_OPTIONS
        assert all(a < b for a, b in zip(values, values[1:], strict=False))
        assert len({label for label, _ in options}) == len(options)
        assert chosen in values and abs(chosen - value) <= abs(step)

    check()


# ---- UnrolledFigure: the trace, the input, batch, t, unit, c0, checkpoints, labels --------


@pytest.fixture(scope="module")
def small():
    x = np.random.default_rng(5).standard_normal((6, 2, 2))  # T=6, B=2, I=2
    return x, make_lstm(4, input_size=2, hidden_size=3).trace(x)  # H=3


def _with(a, value):
    """A copy of `a` with one entry set to `value`."""
    a = np.array(a, dtype=float)
    a.flat[3] = value
    return a


# (what, (trace, x, kwargs) from (x, tr), error, a part of the message)
BAD_UNROLLED = [
    ("NaN in x", lambda x, tr: (tr, _with(x, np.nan), {}), ValueError, "x must hold finite"),
    ("inf in x", lambda x, tr: (tr, _with(x, -np.inf), {}), ValueError, "x must hold finite"),
    ("1e308 in x", lambda x, tr: (tr, _with(x, 1e308), {}), ValueError, "at most 1e\\+100"),
    ("NaN in c", lambda x, tr: (tr._replace(c=_with(tr.c, np.nan)), x, {}), ValueError,
     "trace.c must hold finite numbers"),
    ("inf in f_pre", lambda x, tr: (tr._replace(f_pre=_with(tr.f_pre, np.inf)), x, {}),
     ValueError, "trace.f_pre must hold finite"),
    ("gate above 1", lambda x, tr: (tr._replace(f=_with(tr.f, 1.5)), x, {}), ValueError,
     r"trace.f must be in \[0, 1\] \(a sigmoid\)"),
    ("h beyond -1", lambda x, tr: (tr._replace(h=_with(tr.h, -2)), x, {}), ValueError,
     r"trace.h must be in \[-1, 1\]"),
    ("batch 0.5", lambda x, tr: (tr, x, {"batch": 0.5}), TypeError, "batch must be an integer"),
    ("batch True", lambda x, tr: (tr, x, {"batch": True}), TypeError, "batch must be an int"),
    ("batch -1", lambda x, tr: (tr, x, {"batch": -1}), ValueError, r"batch must be in \[0, 1\]"),
    ("batch 2", lambda x, tr: (tr, x, {"batch": 2}), ValueError, r"batch must be in \[0, 1\]"),
    ("unit 1.5", lambda x, tr: (tr, x, {"unit": 1.5}), TypeError, "unit must be an integer"),
    ("unit True", lambda x, tr: (tr, x, {"unit": True}), TypeError, "unit must be an integer"),
    ("unit 3", lambda x, tr: (tr, x, {"unit": 3}), ValueError, r"unit must be in \[0, 2\]"),
    ("t 6", lambda x, tr: (tr, x, {"t": 6}), ValueError, r"t must be in \[0, 5\]; got 6"),
    ("t a float", lambda x, tr: (tr, x, {"t": np.float64(2)}), TypeError, "t must be an int"),
    ("t a str", lambda x, tr: (tr, x, {"t": "2"}), TypeError, "t must be an integer"),
    ("x of rank 4", lambda x, tr: (tr, x[..., None], {}), ValueError, r"x must be \(T, I\)"),
    ("x with no features", lambda x, tr: (tr, x[:, :, :0], {}), ValueError, "I >= 1"),
    ("x of another batch", lambda x, tr: (tr, x[:, :1], {}), ValueError, "B = 2 sequences"),
    ("x too short", lambda x, tr: (tr, x[:4], {}), ValueError, "with T = 6"),
    ("x of strings", lambda x, tr: (tr, x.astype(str), {}), TypeError, "x must hold real num"),
    ("x complex", lambda x, tr: (tr, x + 1j, {}), TypeError, "x must hold real numbers"),
    ("x ragged", lambda x, tr: (tr, [[1.0], [1.0, 2.0]] * 3, {}), TypeError,
     "x must be an array of real numbers; got a list"),
    ("x a dict", lambda x, tr: (tr, {"x": 1}, {}), TypeError, "x must hold real numbers"),
    ("a field of rank 1", lambda x, tr: (tr._replace(f=tr.f[:, 0, 0]), x, {}), ValueError,
     r"trace.f must be \(T, H, B\) or \(T, H\)"),
    ("fields of two batch sizes", lambda x, tr: (tr._replace(c=tr.c[:, :, :1]), x, {}),
     ValueError, "trace.c must have the shape of trace.f"),
    ("an empty trace", lambda x, tr: (make_lstm(4, 2, 3).trace(x[:0]), x[:0], {}), ValueError,
     "at least one time step"),
    ("a dict as trace", lambda x, tr: (tr._asdict(), x, {}), TypeError, "lstm_core.Gates"),
    ("a field of strings", lambda x, tr: (tr._replace(g=tr.g.astype(str)), x, {}), TypeError,
     "trace.g must hold real numbers"),
    ("c0 of 4 units", lambda x, tr: (tr, x, {"c0": np.zeros(4)}), ValueError,
     r"c0 must be \(H,\), \(H, 1\) or \(H, B\) with H = 3"),
    ("NaN in c0", lambda x, tr: (tr, x, {"c0": np.full(3, np.nan)}), ValueError,
     "c0 must hold finite"),
    ("one trace as checkpoints", lambda x, tr: (None, x, {"checkpoints": tr}), TypeError,
     "checkpoints must be a list of traces"),
    ("no checkpoints", lambda x, tr: (None, x, {"checkpoints": []}), ValueError, "non-empty"),
    ("a bad checkpoint", lambda x, tr: (None, x, {"checkpoints": [tr, tr._replace(
        i=_with(tr.i, np.nan))]}), ValueError, r"checkpoints\[1\].i must hold finite"),
    ("labels a str", lambda x, tr: (None, x, {"checkpoints": [tr, tr],
                                              "checkpoint_labels": "ab"}), TypeError,
     "checkpoint_labels must be a list of str"),
    ("labels not str", lambda x, tr: (None, x, {"checkpoints": [tr, tr],
                                                "checkpoint_labels": [1, 2]}), TypeError,
     r"checkpoint_labels\[0\] must be a str"),
    ("a label the font lacks", lambda x, tr: (None, x, {"checkpoints": [tr, tr],
                                                        "checkpoint_labels": ["a", "b\t"]}),
     ValueError, "characters the monospace font has"),
    ("labels without checkpoints", lambda x, tr: (tr, x, {"checkpoint_labels": ["a"]}),
     ValueError, "checkpoint_labels need checkpoints"),
    ("title not a str", lambda x, tr: (tr, x, {"title": 3}), TypeError, "title must be a str"),
    ("title bad mathtext", lambda x, tr: (tr, x, {"title": "$x_$ input"}), ValueError,
     "title must be valid mathtext"),
    ("blit 1", lambda x, tr: (tr, x, {"blit": 1}), ValueError, "blit must be 'auto', True or"),
]


@pytest.mark.parametrize("make, error, match", [case[1:] for case in BAD_UNROLLED],
                         ids=[case[0] for case in BAD_UNROLLED])
def test_unrolled_figure_refuses_bad_input_by_name(small, make, error, match):
    import warnings

    trace, x, kwargs = make(*small)
    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # never a numpy or matplotlib warning on the way
        with pytest.raises(error, match=match):
            UnrolledFigure(trace, x, **kwargs)
    assert plt.get_fignums() == before  # a refused call leaves no figure behind


def test_unrolled_figure_takes_reasonable_extremes(small):
    """Large and tiny magnitudes, other dtypes and containers, numpy integers, one step and
    one unit: drawn and read out right, without a warning."""
    import warnings

    torch = pytest.importorskip("torch")
    x, tr = small
    big = _with(x, 1e100)
    big.flat[5] = 1e-300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = UnrolledFigure(tr._replace(c=_with(tr.c, 1e50)), big, t=np.int64(1), unit=np.int8(0),
                           batch=np.int64(1))
        assert v.values == {"t": 1, "unit": 0} and v.batch == 1
        assert v.values_at()["x"] == [big[1, 1, 0], big[1, 1, 1]]
        assert v.c_limit == 1e50 and v.images["c"].get_clim() == (-1e50, 1e50)
        v.draw()
        v.set(t=0, unit=2.0)  # a float equal to an option: that option, the int 2
        assert v.values == {"t": 0, "unit": 2} and type(v.values["unit"]) is int
        assert f"{tr.h[0, 2, 1]:+.4f}" in v.readout.get_text()
        v.png()
        v.close()
        one = make_lstm(6, input_size=1, hidden_size=1).trace(np.ones((1, 1)))
        w = UnrolledFigure(one._replace(f=one.f.astype(np.float32)), np.array([True]))
        assert w.values == {"t": 0, "unit": 0} and w.values_at()["x"] == [1.0]
        w.png()
        w.close()
        grad = torch.tensor(x, requires_grad=True)  # numpy cannot read it as it is
        u = UnrolledFigure(tr, grad)
        np.testing.assert_array_equal(u.x, x[:, 0])
        u.close()


def test_a_refused_set_trace_changes_nothing(view, data):
    x, tr = data
    view.set(t=12, unit=6)
    shown = {k: im.get_array().copy() for k, im in view.images.items()}
    before = (view.x.copy(), view.readout.get_text(), view.c_limit)
    tr1 = make_lstm(9).trace(x)
    for bad_trace, bad_x, match in [
        (tr1._replace(o=_with(tr1.o, np.nan)), None, "trace.o must hold finite"),
        (make_lstm(1).trace(x[:20]), None, r"\(T, H\) = \(100, 32\)"),
        (tr1, x[:, :2], r"x must have the shape of the input shown.*\(100, 3\)"),
        (tr1, _with(x, np.inf), "x must hold finite"),
    ]:
        with pytest.raises(ValueError, match=match):
            view.set_trace(bad_trace, bad_x)
        assert all(np.array_equal(im.get_array(), shown[k]) for k, im in view.images.items())
        assert (view.x.copy(), view.readout.get_text(), view.c_limit)[1:] == before[1:]
        np.testing.assert_array_equal(view.x, before[0])
    view.set_trace(tr1, 2 * x)  # a good one still goes in, the input's scale follows it
    np.testing.assert_array_equal(view.input_lines[0].get_ydata(), 2 * x[:, 0])
    assert view.axes["x"].get_ylim()[1] == pytest.approx(1.1 * np.abs(2 * x).max())


def test_slider_set_takes_the_option_itself(view):
    with pytest.raises(ValueError, match="unit must be one of"):
        view.set(unit=True)  # True == 1, but a bool is not a unit number
    with pytest.raises(ValueError, match=r"unit must be one of \[0, 1, 2, '...', 30, 31\]"):
        view.set(unit=np.nan)
    with pytest.raises(TypeError, match="t must be an integer"):
        view.set(t=np.float64(3))
    assert view.values == {"t": 10, "unit": 0}  # nothing moved


# ---- valve_figure ------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, error, match", [
    ({"period": 0}, ValueError, "period must be at least 2 steps; got 0"),  # was a NaN drawing
    ({"period": -20}, ValueError, "period must be at least 2"),
    ({"period": 1.5}, ValueError, "period must be at least 2"),
    ({"period": float("nan")}, ValueError, "period must be a finite number; got nan"),
    ({"period": float("inf")}, ValueError, "period must be a finite number"),
    ({"period": "20"}, TypeError, "period must be a finite number; got '20'"),
    ({"steps": 1}, ValueError, r"steps must be in \[2, 10000\]; got 1"),  # was a warning
    ({"steps": 0}, ValueError, r"steps must be in \[2, 10000\]"),
    ({"steps": 10**9}, ValueError, r"steps must be in \[2, 10000\]"),
    ({"steps": 2.5}, TypeError, "steps must be an integer"),
    ({"steps": True}, TypeError, "steps must be an integer"),
    ({"w": 7}, ValueError, r"w must be in \[min, max\] = \[-6.0, 6.0\]; got 7"),
    ({"w": 0.05}, ValueError, "w must be on the grid"),
    ({"b": float("nan")}, ValueError, "b must be a finite number"),
    ({"x": "1"}, TypeError, "x must be a finite number"),
    ({"x": 10**400}, ValueError, "x must be a finite number; got an integer"),
    ({"x": [1.0]}, TypeError, "x must be a finite number"),
])
def test_valve_figure_refuses_bad_arguments(kwargs, error, match):
    import warnings

    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            valve_figure(**kwargs)
    assert plt.get_fignums() == before


def test_valve_figure_at_its_limits():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = valve_figure(w=np.float64(-6.0), steps=2, period=2)  # the fewest steps, the
        np.testing.assert_allclose(v.signal, [0, 0], atol=1e-15)  # shortest period
        v.png()
        v.close()
        flat = valve_figure(steps=np.int64(5), period=1e308)  # a period longer than any run
        np.testing.assert_allclose(flat.signal, 0, atol=1e-300)
        flat.close()


# ---- the helpers a lesson builds its own figure with --------------------------------------


def test_helpers_refuse_bad_arguments_by_name():
    import warnings

    before = plt.get_fignums()
    fig = lstm_viz.new_figure(figsize=(3, 2))
    ax = fig.add_axes([0.1, 0.1, 0.8, 0.8])
    cases = [
        (lambda: lstm_viz.new_figure(figsize=(0, 2)), ValueError, r"figsize\[0\] must be pos"),
        (lambda: lstm_viz.new_figure(figsize=(1e6, 2)), ValueError, r"figsize\[0\] must be"),
        (lambda: lstm_viz.new_figure(figsize=(np.nan, 2)), ValueError, "finite number"),
        (lambda: lstm_viz.new_figure(figsize="10x6"), TypeError, r"figsize must be \(width"),
        (lambda: lstm_viz.new_figure(figsize=(3, 2), dpi=0), ValueError,
         r"dpi must be in \[20, 10000\]; got 0"),
        (lambda: lstm_viz.new_figure(figsize=(0.001, 2)), ValueError, "at least one pixel"),
        (lambda: lstm_viz.style_axes("ax", "t"), TypeError, "ax must be a matplotlib Axes"),
        (lambda: lstm_viz.style_axes(ax, 3), TypeError, "title must be a str or None; got int"),
        (lambda: lstm_viz.style_axes(ax, r"$\foo$"), ValueError, "title must be valid mathtext"),
        (lambda: lstm_viz.style_axes(ax, "ok", "a\tb"), ValueError, "xlabel must use char"),
        (lambda: lstm_viz.add_cursor(ax, np.nan), ValueError, "t must be a finite number"),
        (lambda: lstm_viz.add_cursor(ax, 1e300), ValueError, "t must be at most 1e\\+100"),
        (lambda: lstm_viz.signed_limit([1.0, np.nan]), ValueError, "values must hold finite"),
        (lambda: lstm_viz.signed_limit([1.0], floor=0), ValueError, "floor must be positive"),
        (lambda: lstm_viz.gate_image(ax, np.zeros(5)), ValueError, "data must be a non-empty 2"),
        (lambda: lstm_viz.signed_image(ax, np.ones((2, 2)), limit=-1), ValueError, "limit must"),
        (lambda: lstm_viz.add_readout(ax, fontsize=0), ValueError, r"fontsize must be in \[4,"),
        (lambda: lstm_viz.add_readout(ax, fontsize=1e6), ValueError, r"\[4, 200\]; got 1e\+06"),
        (lambda: lstm_viz.add_readout(ax, color="notacolour"), ValueError, "color must be a"),
        (lambda: lstm_viz.add_readout(ax, x=np.inf), ValueError, "x must be a finite number"),
        (lambda: lstm_viz.add_readout(ax, y=1e300), ValueError, "x and y must be at most"),
        (lambda: lstm_viz.add_readout(ax).set_text("🎉"), ValueError, "monospace font has"),
        (lambda: lstm_viz.add_readout(ax).set_text("0" * 10**7), ValueError,  # 2 GB of image
         "text must have at most 10000 characters; got 10000000"),
        (lambda: lstm_viz.GlyphText(0, 0, transform="axes"), TypeError, "transform must be"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for call, error, match in cases:
            with pytest.raises(error, match=match):
                call()
        readout = lstm_viz.add_readout(ax)
        readout.set_text("f_t = +0.5")
        with pytest.raises(ValueError, match="monospace font"):
            readout.set_text("f_t = 🎉")
        assert readout.get_text() == "f_t = +0.5"  # a refused text changes nothing
        fig.canvas.draw()
    plt.close(fig)
    assert plt.get_fignums() == before


def test_slider_figure_refuses_bad_artists_blit_and_text():
    fig = lstm_viz.new_figure(figsize=(3, 2))
    (line,) = fig.add_axes([0.1, 0.1, 0.8, 0.8]).plot([0, 1])
    ok = {"a": widgets.IntSlider(1, min=0, max=5)}
    cases = [
        (dict(artists=line), TypeError, "artists must be a list or tuple; got Line2D"),
        (dict(artists=[line, "line"]), TypeError, r"artists\[1\] must be a matplotlib artist"),
        (dict(artists=[line], full_redraw="a"), TypeError, "full_redraw must be a list or"),
        (dict(artists=[line], blit=1), ValueError, "blit must be 'auto', True or False; got 1"),
        (dict(artists=[line], text=lambda a: 3), TypeError, r"text\(\*\*values\) must return"),
        (dict(artists=[line], controls={1: ok["a"]}), TypeError, "control names must be str"),
    ]
    for kwargs, error, match in cases:
        kwargs = {"controls": ok, **kwargs}
        with pytest.raises(error, match=match):
            SliderFigure(fig, kwargs.pop("controls"), lambda a: None, kwargs.pop("artists"),
                         **kwargs)
    a = widgets.IntSlider(1, min=0, max=5)
    with pytest.raises(TypeError, match=r"text\(\*\*values\) must return a str; got int"):
        SliderFigure(fig, {"a": a}, lambda a: line.set_ydata([0, a]), [line], text=lambda a: a)
    a.value = 3  # the refused figure left no observer behind: nothing runs, nothing raises
    assert not line.get_animated() and list(line.get_ydata()) == [0, 1]
    v = SliderFigure(fig, {"on": widgets.Checkbox(True)}, lambda on: line.set_visible(on),
                     [line])
    with pytest.raises(TypeError, match="on must be a value a Checkbox takes"):
        v.set(on="yes")
    for dpi in (0, 2.5, np.nan, 1e9):  # 2.5: fonts under a pixel, a FreeType error
        with pytest.raises(ValueError, match="dpi must be"):
            v.png(dpi=dpi)
    v.set(on=False)
    assert not line.get_visible()
    v.close()


# ---- figures fit JupyterLab's output area (issue 9) ---------------------------------------

# At 1280x800 with the file browser open, JupyterLab's notebook output area is 848 px wide,
# and a live ipympl canvas does not shrink with it: every lesson figure must be at most that.
OUTPUT_AREA_PX = 848


def _lesson_figures(data):
    """The library's lesson figures with default arguments, as the lessons build them:
    valve_figure (lesson 1), UnrolledFigure with a few inputs (lessons 3, 6, 7), with more
    than 8 inputs (lesson 7's second layer: a heatmap), without an input, with checkpoints
    (lesson 6), and with the longest readout lines (pre-activations, 4+ inputs, a label)."""
    x, tr = data
    x8, x9 = (np.random.default_rng(2).standard_normal((T, n)) for n in (8, 9))
    tr8, tr9 = (make_lstm(3, input_size=n).trace(xn) for n, xn in ((8, x8), (9, x9)))
    yield "valve_figure()", valve_figure()
    yield "UnrolledFigure(trace, x)", UnrolledFigure(tr, x)
    yield "UnrolledFigure(trace)", UnrolledFigure(tr)
    yield "UnrolledFigure(trace, x8)", UnrolledFigure(tr8, x8)  # 8 input lines, 8 legend rows
    yield "UnrolledFigure(trace, x9)", UnrolledFigure(tr9, x9)
    yield "UnrolledFigure(checkpoints)", UnrolledFigure(
        None, x, checkpoints=[tr, make_lstm(1).trace(x)],
        checkpoint_labels=["step 0, test mse 1.1744", "step 1500, test mse 0.0003"])


def test_every_lesson_figure_fits_the_output_area(data):
    for name, view in _lesson_figures(data):
        try:
            width, height = view.figure.get_size_inches() * view.figure.dpi
            assert width <= OUTPUT_AREA_PX, f"{name} is {width:.0f} px wide"
            assert view.figure.dpi == lstm_viz.DPI
        finally:
            view.close()


def _fonts_and_cuts(name, view, smallest):
    """Nothing drawn falls outside the canvas (titles, legends, tick labels, the readout), no
    legend overlaps another axes, and no text (legends and the readout too) is smaller than
    `smallest` points. Returns the boxes checked, [(what, bbox)] in pixels."""
    if hasattr(view, "set") and "checkpoint" in view.values:
        view.set(checkpoint=1)  # the longer checkpoint label
    fig = view.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    readouts = [view.readout] if hasattr(view, "readout") else []
    readouts += getattr(view, "readouts", [])  # lesson 8's, one a model, and its step's
    readouts += [view.step_readout] if hasattr(view, "step_readout") else []
    boxes = [(f"readout {r.get_text()[:30]!r}", r.get_window_extent(renderer))
             for r in readouts]
    for r in readouts:
        assert r._prop.get_size() >= smallest, (name, "readout", r._prop.get_size())
    for ax in fig.axes:
        if ax.axison:  # everything an axes draws: ticks, labels, title, legend
            boxes.append((f"axes {ax.get_title()!r}", ax.get_tightbbox(renderer)))
        legend = ax.get_legend()
        ticks = [*ax.get_xticklabels(), *ax.get_yticklabels()] if ax.axison else []  # drawn
        for text in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts, *ticks,
                     *(legend.get_texts() if legend else [])]:
            if text.get_text() and text.get_visible():
                assert text.get_fontsize() >= smallest, (name, text.get_text(),
                                                         text.get_fontsize())
    for ax in fig.axes:  # a legend beside its axes overlaps no other axes
        legend = ax.get_legend()
        if legend is None:
            continue
        lbox = legend.get_window_extent(renderer)
        for other in fig.axes:
            if other is not ax and other.axison:
                obox = other.get_tightbbox(renderer)
                assert not lbox.overlaps(obox), (
                    f"{name}: the legend of {ax.get_title()!r} overlaps "
                    f"{other.get_title()!r}: {lbox} {obox}")
    for what, box in boxes:
        assert box.x0 >= -0.5 and box.x1 <= width + 0.5, f"{name}: {what} cut: {box}"
        assert box.y0 >= -0.5 and box.y1 <= height + 0.5, f"{name}: {what} cut: {box}"
    return boxes


def test_lesson_figures_keep_projector_fonts_and_cut_nothing(data):
    """Nothing drawn falls outside the canvas (titles, legends, tick labels, the readout),
    and no text is smaller than the series' smallest font."""
    smallest = min(lstm_viz.FONT.values()) - 1  # colorbar ticks are FONT["tick"] - 1
    for name, view in _lesson_figures(data):
        try:
            _fonts_and_cuts(name, view, smallest)
        finally:
            view.close()


# ---- the projector layout (classroom mode, $LSTM_VIZ_LAYOUT) ------------------------------

# The smallest text (points) of each figure's projector layout. The classroom template zooms
# UnrolledFigure's 1240 px wide canvas to ~0.98 at 1280x720, where 18 pt at 80 dpi is 19.6 px
# (18 px down to zoom 0.9); RelativesFigure's stays 840 px wide (lesson 8 asserts that it fits
# JupyterLab) and 460 px high, zoomed ~1.4: 12.5 pt is ~19 px (18 px down to zoom 1.3).
PROJECTOR_MIN_PT = {UnrolledFigure: 18, lstm_viz.RelativesFigure: 12.5}


def test_layout_reads_the_variable_and_refuses_bad_values(data, monkeypatch):
    monkeypatch.delenv(lstm_viz.LAYOUT_VARIABLE, raising=False)
    assert lstm_viz.layout() == "notebook" and lstm_viz.layout_font() is lstm_viz.FONT
    monkeypatch.setenv(lstm_viz.LAYOUT_VARIABLE, "")
    assert lstm_viz.layout() == "notebook"
    monkeypatch.setenv(lstm_viz.LAYOUT_VARIABLE, "projector")
    assert lstm_viz.layout() == "projector"
    assert lstm_viz.layout_font() is lstm_viz.PROJECTOR_FONT
    assert lstm_viz.layout("notebook") == "notebook"  # an explicit value wins
    x, tr = data
    view = UnrolledFigure(tr, x)
    assert view.layout == "projector"
    view.close()
    for bad in ("Projector", "slides", " notebook"):
        monkeypatch.setenv(lstm_viz.LAYOUT_VARIABLE, bad)
        refused = r"\$LSTM_VIZ_LAYOUT must be one of 'notebook', 'projector'; got "
        with pytest.raises(ValueError, match=refused + re.escape(repr(bad))):
            lstm_viz.layout()
        with pytest.raises(ValueError, match="LSTM_VIZ_LAYOUT must be one of"):
            UnrolledFigure(tr, x)
        with pytest.raises(ValueError, match="LSTM_VIZ_LAYOUT must be one of"):
            lstm_viz.RelativesFigure([("LSTM", tr, 0)], x)
    monkeypatch.delenv(lstm_viz.LAYOUT_VARIABLE)
    for bad in ("big", 3):
        with pytest.raises(ValueError, match=r"layout must be one of 'notebook', 'projector'"):
            UnrolledFigure(tr, x, layout=bad)
    with pytest.raises(TypeError, match="font must be a dict"):
        lstm_viz.style_axes(plt.figure().add_subplot(), "t", font={"title": 20})
    plt.close("all")


def _projector_figures(data, monkeypatch):
    """The lesson figures that have a projector layout, in it: from $LSTM_VIZ_LAYOUT as in
    classroom mode (the variants lessons 3, 6, 7 and 8 build) and from the layout argument."""
    monkeypatch.setenv(lstm_viz.LAYOUT_VARIABLE, "projector")
    for name, view in _lesson_figures(data):
        if isinstance(view, UnrolledFigure):
            yield name, view
        else:
            view.close()
    x, tr = data
    yield "UnrolledFigure(trace, x, layout='projector')", UnrolledFigure(
        tr, x, layout="projector", title="$x_t$ a longer title: the input sequence")
    other = make_lstm(1).trace(x)
    for n in (1, 2, 3):  # lesson 8 shows three models
        models = [(["LSTM", "peephole LSTM", "coupled LSTM"][k], [tr, other][k % 2], 5 * k)
                  for k in range(n)]
        yield f"RelativesFigure({n} models)", lstm_viz.RelativesFigure(
            models, x[:, :2], t=20, marks=[12, 31], input_labels=["value $v_t$", "marker $m_t$"])
    small = SimpleNamespace(**{f: getattr(tr, f) for f in "figo"}, c=0.2 * tr.c, h=0.2 * tr.h)
    yield "RelativesFigure(small states)", lstm_viz.RelativesFigure(  # long tick labels
        [("LSTM", small, 3), ("GRU", small, 4), ("peephole LSTM", small, 5)], x[:, :2], t=20)


def test_projector_layout_is_landscape_with_big_fonts_and_cuts_nothing(data, monkeypatch):
    """The projector layout: a landscape canvas (~16:9), no text under the figure's smallest
    size (PROJECTOR_MIN_PT), nothing cut, no legend over another axes, and the panels (each
    heatmap with its colorbar, the input, the unit lines, the readouts) overlap no other."""
    names = []
    for name, view in _projector_figures(data, monkeypatch):
        try:
            names.append(name)
            assert view.layout == "projector", name
            width, height = view.figure.get_size_inches() * view.figure.dpi
            assert 1.6 <= width / height <= 2.4, (name, width, height)
            if isinstance(view, UnrolledFigure):
                assert 1200 <= width <= 1240, (name, width)  # 1280x720 less its margins
            else:  # lesson 8 asserts that it fits JupyterLab's output area
                assert width <= OUTPUT_AREA_PX, (name, width)
            assert view.figure.dpi == lstm_viz.DPI
            boxes = _fonts_and_cuts(name, view, PROJECTOR_MIN_PT[type(view)])
            fig = view.figure
            renderer = fig.canvas.get_renderer()
            # (what, box, the heatmap it belongs to: a colorbar may touch its own heatmap)
            panels = [(what, box, what) for what, box in boxes if what.startswith("readout")]
            for ax in fig.axes:
                if ax.axison:
                    host = getattr(getattr(ax, "_colorbar", None), "mappable", None)
                    panels.append((f"axes {ax.get_title()!r}", ax.get_tightbbox(renderer),
                                   host.axes if host is not None else ax))
            for k, (a, abox, aowner) in enumerate(panels):
                for b, bbox, bowner in panels[k + 1:]:
                    assert aowner is bowner or not abox.overlaps(bbox), (
                        f"{name}: {a} {abox} overlaps {b} {bbox}")
        finally:
            view.close()
    assert len(names) == 10, names


def test_projector_layout_shows_what_the_notebook_layout_shows(data):
    """The same panels, moving artists, controls and numbers in both layouts."""
    x, tr = data
    views = [UnrolledFigure(tr, x, t=40, unit=5, layout=name) for name in lstm_viz.LAYOUTS]
    try:
        notebook, projector = views
        assert notebook.figure.get_size_inches().tolist() == [10.5, 12.0]  # unchanged
        assert set(notebook.axes) == set(projector.axes)
        assert len(notebook._moving) == len(projector._moving)
        assert list(notebook.controls) == list(projector.controls)
        for view in views:
            view.set(t=55, unit=7)
        assert notebook.readout_text() == projector.readout_text()
        assert notebook.values_at() == projector.values_at()
        for field in FIELDS_SHOWN:
            assert (notebook.images[field].get_array() == projector.images[field].get_array()).all()
    finally:
        for view in views:
            view.close()
    rel = [lstm_viz.RelativesFigure([("LSTM", tr, 3)], x, t=20, layout=name)
           for name in lstm_viz.LAYOUTS]
    try:
        assert rel[0].figure.get_size_inches().tolist() == [10.5, 9.2]  # unchanged
        assert rel[1].layout == "projector"
        for view in rel:
            view.set(t=33)
        assert rel[0].readout_text() == rel[1].readout_text()
        assert len(rel[0]._moving) == len(rel[1]._moving)
    finally:
        for view in rel:
            view.close()


FIELDS_SHOWN = ("f", "i", "o", "g", "c", "h")
