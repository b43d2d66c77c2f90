"""Time the pages beyond 2-D max pooling and the slide export. Prints medians; asserts nothing.

- server rerun (AppTest, in-process, the page inside the app's frame) of each new page after
  one control change, with a 16x16 and a 64x64 x (design target: <= 50 ms and <= 200 ms);
- slide export: PNG (2x) and SVG of the four 16x16 grids, and the step-through GIF of a 4x4
  grid (8 frames, the default view) and of a 16x16 grid with kernel 2 (128 frames).

    python benchmarks/bench_variants.py [--runs N]

Output lines: ``NAME median=… p90=… n=…`` (milliseconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

# (page, query for the view, widget key to toggle, its two values)
PAGES = [
    ("pages/smooth_max.py", {"k": "2"}, "smooth_temp", (1.0, 0.1)),
    ("pages/unpool.py", {"k": "3", "s": "1"}, "tie", ("first", "split")),
    ("pages/adaptive.py", {"aout": "5"}, "tie", ("first", "split")),
    ("pages/frameworks.py", {"k": "2"}, "fw_pad", ("valid", "same")),
    ("pages/one_d.py", {}, "tie", ("first", "split")),
]


def _grid(side: int) -> str:
    rng = np.random.default_rng(side)
    return ";".join(",".join(str(v) for v in row) for row in rng.integers(0, 9, (side, side)))


def _line(name: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    print(f"{name} median={statistics.median(ms):.1f} p90={p90:.1f} n={len(ms)}", flush=True)


def page_reruns(runs: int) -> None:
    from tests.apptest_util import run_page, widget

    for page, query, key, values in PAGES:
        for side in (16, 64):
            params = dict(query)
            if page == "pages/one_d.py":
                params["sig"] = ",".join(str(v) for v in np.random.default_rng(side).integers(0, 9, side))
                params["k1"], params["s1"] = "2", "2"
            else:
                params["x"] = _grid(side)
            at = run_page(page, params)
            times = []
            for i in range(runs + 2):
                widget(at, key).set_value(values[i % 2])
                t0 = time.perf_counter()
                at.run()
                if i >= 2:
                    times.append(time.perf_counter() - t0)
                if at.exception:
                    raise RuntimeError([e.value for e in at.exception])
            _line(f"rerun_{Path(page).stem}_{side}x{side}", times)


def exports(runs: int) -> None:
    import pooling
    from figures.export import build_scene, to_gif, to_png, to_svg
    from ui.export import pooled_panels, step_scenes
    from ui.model import Window, pooled_from
    from ui.steps import plan_steps

    x = np.random.default_rng(0).integers(0, 9, (16, 16)).astype(float)
    res = pooling.max_pool2d(x, 2)
    pooled = pooled_from(res, Window((2, 2), (2, 2), (0, 0), (1, 1), False), np.ones(res.out.shape), "first")
    panels = pooled_panels(pooled, (0, 0))
    for name, make in (("png2x", lambda: to_png(build_scene(panels))), ("svg", lambda: to_svg(build_scene(panels)))):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            make()
            times.append(time.perf_counter() - t0)
        _line(f"export_{name}_16x16", times)
    for side in (4, 16):
        small = x[:side, :side]
        plan = plan_steps(pooling.max_pool2d(small, 2), np.ones((side // 2, side // 2)))
        times = []
        for _ in range(max(1, runs // 10)):
            t0 = time.perf_counter()
            to_gif(step_scenes(plan, "bench"))
            times.append(time.perf_counter() - t0)
        _line(f"export_gif_{side}x{side}_{plan.n_steps}frames", times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    exports(args.runs)
    page_reruns(args.runs)


if __name__ == "__main__":
    main()
