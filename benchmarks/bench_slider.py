"""Kernel-side cost of one slider move on the lesson-3 figure (six 32x100 heatmaps).

    python benchmarks/bench_slider.py            # 40 moves per contender, interleaved
    python benchmarks/bench_slider.py --moves 100

Runs in one process with ipympl's real canvas class (`%matplotlib widget`'s backend), with no
browser attached: the canvas is told the front-end is there (`syncing_data_url = False`, as
after ipympl's 'initialized' message), so each refresh computes and PNG-encodes the diff frame
that would go to the browser, exactly as in a kernel; only the websocket send is missing.

Contenders, one move each (t changes; medians over interleaved rounds):
  callback       the update function alone: set_xdata, set_data, set_text on the artists
  blit           SliderFigure's move: callback + restore the cached background + draw the
                 moving artists + ipympl's diff PNG (what lstm_viz does under ipympl)
    of which draw  restore + draw_artist only, without the PNG
  full redraw    callback + canvas.draw() with fixed axes positions: what a `draw_idle`
                 costs once the browser asks for the frame (full render + diff PNG)
  inline re-plot the whole figure made again and saved as a PNG with bbox_inches='tight'
                 (what `interact` does with the inline backend), Agg canvas
Target: blit (callback + the redraw it causes) under 50 ms median.
"""

import argparse
import io
import os
import statistics
import time

import matplotlib

matplotlib.use("module://ipympl.backend_nbagg")  # a script: choosing the backend is its job

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import lstm_viz  # noqa: E402
from lstm_core import LSTM  # noqa: E402
from lstm_viz import UnrolledFigure  # noqa: E402
from lstm_viz.figures import _PANELS  # noqa: E402

T, H, I = 100, 32, 3


def make_trace():
    np.random.seed(0)  # the problem statement's init draws from the global generator
    lstm = LSTM(I, H)
    x = np.random.default_rng(0).standard_normal((T, I))
    return lstm.trace(x), x


def inline_replot(tr, x, t, unit):
    """The lesson-3 figure re-created from scratch, as an `interact` callback with the inline
    backend does on each move: a new figure, every panel, then a PNG for the notebook."""
    fig = Figure(figsize=(13, 11), dpi=lstm_viz.DPI)
    FigureCanvasAgg(fig)
    for k, (field, title, kind) in enumerate(_PANELS):
        row, col = divmod(k, 3)
        ax = fig.add_axes([0.06 + 0.315 * col, 0.555 - 0.255 * row, 0.235, 0.175])
        cax = fig.add_axes([0.30 + 0.315 * col, 0.555 - 0.255 * row, 0.01, 0.175])
        a = getattr(tr, field)[:, :, 0].T
        if kind == "gate":
            lstm_viz.gate_image(ax, a, cax=cax)
        else:
            lstm_viz.signed_image(ax, a, cax=cax)
        lstm_viz.style_axes(ax, title, "time step $t$", "unit")
        lstm_viz.add_cursor(ax, t)
        ax.axhline(unit, color="white")
    ax_x = fig.add_axes([0.06, 0.80, 0.40, 0.14])
    ax_x.plot(x)
    lstm_viz.add_cursor(ax_x, t)
    for left, fields in ((0.06, "fio"), (0.55, "gch")):
        ax = fig.add_axes([left, 0.05, 0.38, 0.16])
        for f in fields:
            ax.plot(getattr(tr, f)[:, unit, 0])
        lstm_viz.add_cursor(ax, t)
        lstm_viz.style_axes(ax, f"unit {unit}", "time step $t$")
    fig.text(0.545, 0.97, "\n".join(f"{f}_t = {getattr(tr, f)[t, unit, 0]:+.4f}"
                                    for f in "figoch"), family="monospace", va="top")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()

    tr, x = make_trace()
    blit_view = UnrolledFigure(tr, x)
    full_view = UnrolledFigure(tr, x, blit=False)
    for v in (blit_view, full_view):
        assert type(v.canvas).__module__.startswith("ipympl"), type(v.canvas)
        v.canvas.syncing_data_url = False  # as when a browser is attached
        v.draw()  # the first display: a full draw caches the background
    assert blit_view.blitting and blit_view._background is not None

    times = {name: [] for name in ("callback", "blit", "draw", "full redraw", "inline re-plot")}
    rng = np.random.default_rng(1)
    for k in range(args.moves):
        t = int(rng.integers(0, T))
        while t == blit_view.values["t"]:
            t = int(rng.integers(0, T))
        unit = blit_view.values["unit"]

        start = time.perf_counter()
        blit_view._update_view(t=t, unit=unit)
        times["callback"].append(time.perf_counter() - start)

        # the draw part of a blit, without the PNG (the callback already ran)
        start = time.perf_counter()
        blit_view.canvas.restore_region(blit_view._background)
        for a in blit_view.artists:
            blit_view.figure.draw_artist(a)
        times["draw"].append(time.perf_counter() - start)

        t2 = (t + 1 + k % 7) % T
        start = time.perf_counter()
        blit_view.set(t=t2)  # the real path: widget value -> callback -> blit -> diff PNG
        times["blit"].append(time.perf_counter() - start)
        assert blit_view.canvas._png_is_old is False  # the frame was made

        start = time.perf_counter()
        full_view.set(t=t2)  # callback + draw_idle (a message asking the browser)
        full_view.canvas.draw()  # ... which asks the kernel for the whole frame
        times["full redraw"].append(time.perf_counter() - start)

        start = time.perf_counter()
        inline_replot(tr, x, t2, unit)
        times["inline re-plot"].append(time.perf_counter() - start)

    med = {name: 1e3 * statistics.median(v) for name, v in times.items()}
    print(f"lesson-3 figure: six {H}x{T} heatmaps, {len(blit_view.artists)} moving artists, "
          f"{int(blit_view.figure.bbox.width)}x{int(blit_view.figure.bbox.height)} px, "
          f"ipympl canvas; medians of {args.moves} interleaved moves")
    print(f"  callback (update artists)         {med['callback']:7.2f} ms")
    print(f"  blit: callback + redraw + PNG     {med['blit']:7.2f} ms   "
          f"(draw part {med['draw']:.1f} ms)")
    print(f"  full redraw, fixed axes + PNG     {med['full redraw']:7.2f} ms   "
          f"({med['full redraw'] / med['blit']:.1f}x blit)")
    print(f"  inline re-plot (interact)         {med['inline re-plot']:7.2f} ms   "
          f"({med['inline re-plot'] / med['blit']:.1f}x blit)")
    target = 50.0
    verdict = "meets" if med["blit"] < target else "MISSES"
    print(f"target: one move under {target:.0f} ms median: blit {med['blit']:.1f} ms "
          f"({med['blit'] / target:.2f} of the target) {verdict}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average during the run: {load} on {os.cpu_count()} cores "
          "(other work on the machine slows every contender; compare the ratios)")
    plt.close("all")


if __name__ == "__main__":
    main()
