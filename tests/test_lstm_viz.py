"""lstm_viz: every slider is moved, and the figure's data is checked against the trace.

Expected values come from the trace arrays (or, for lesson 1, from the logistic formula
written out here), not from the figure's own helpers."""

import io
import os
import re
import subprocess
import sys

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
    assert "c_t = f_t⊙c_{t-1} + i_t⊙g_t" in text
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
    with pytest.raises(ValueError, match="trace.h must be finite"):
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


IPYMPL_SCRIPT = r"""
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
print("ok")
"""


def test_ipympl_canvas_blits_and_sends_diff_frames():
    """The ipympl path without a browser: the frames the kernel would send after a move."""
    out = subprocess.run([sys.executable, "-c", IPYMPL_SCRIPT], capture_output=True, text=True,
                         env={**os.environ, "MPLBACKEND": "module://ipympl.backend_nbagg"},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


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
