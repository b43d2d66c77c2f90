"""Time the core's max-pool forward+backward against PyTorch's CPU kernels on one thread.

Prints, per shape, the median time of ours and of PyTorch, their ratio, and the
geometric mean of the ratios (design target: <= 1.0). PyTorch is timed through its
ATen kernels (``max_pool2d_with_indices`` and its backward) without autograd, the
fastest way PyTorch itself offers, so the comparison is strict.

    python benchmarks/bench_pooling.py [--repeat N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import pooling  # noqa: E402

CASES = [
    ((8, 64, 112, 112), 3, 2, 1),
    ((8, 64, 112, 112), 2, 2, 0),
    ((1, 1, 512, 512), 3, 1, 0),
    ((1, 1, 16, 16), 2, 2, 0),
]


def median_time(fn, repeat: int, budget: float = 3.0) -> float:
    fn()  # warm up
    times = []
    start = time.perf_counter()
    while len(times) < repeat or (time.perf_counter() - start < budget and len(times) < 10 * repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > 4 * budget:
            break
    return statistics.median(times)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = []
    for shape, k, s, p in CASES:
        x = rng.standard_normal(shape).astype(np.float32)
        res = pooling.max_pool2d(x, k, stride=s, padding=p)
        dout = rng.standard_normal(res.out.shape).astype(np.float32)

        def ours():
            r = pooling.max_pool2d(x, k, stride=s, padding=p)
            pooling.max_pool2d_backward(dout, r)

        tx, tdout = torch.from_numpy(x), torch.from_numpy(dout)

        def theirs():
            y, idx = torch.ops.aten.max_pool2d_with_indices(tx, [k, k], [s, s], [p, p], [1, 1], False)
            torch.ops.aten.max_pool2d_with_indices_backward(tdout, tx, [k, k], [s, s], [p, p], [1, 1], False, idx)

        t_ours, t_torch = median_time(ours, args.repeat), median_time(theirs, args.repeat)
        rows.append(
            {
                "shape": list(shape),
                "kernel": k,
                "stride": s,
                "padding": p,
                "ours_ms": t_ours * 1e3,
                "torch_ms": t_torch * 1e3,
                "ratio": t_ours / t_torch,
            }
        )
        print(
            f"{str(shape):>20} k{k} s{s} p{p}: ours {t_ours * 1e3:9.3f} ms  torch {t_torch * 1e3:9.3f} ms  "
            f"ratio {t_ours / t_torch:6.2f}",
            flush=True,
        )
    geo = float(np.exp(np.mean(np.log([r["ratio"] for r in rows]))))
    print(f"geometric-mean ratio (ours / torch, 1 thread): {geo:.2f}")
    result = {
        "cases": rows,
        "geomean_ratio": geo,
        "numpy": np.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
