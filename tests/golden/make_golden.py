"""Regenerate the PyTorch golden file the core tests compare against (needs torch).

    python tests/golden/make_golden.py

Writes tests/golden/maxpool_torch.npz: for each case, the input, the pooling
parameters, and what PyTorch returns for the output, the indices and the input
gradient (autograd, upstream gradient included in the file). Cases cover ties,
NaN, -inf, overlap, padding, dilation and the ceil-mode edge. Cases where a
window lies wholly in padding are left out: PyTorch 2.13 writes outside the
gradient buffer there (see shared semantics notes); the core tests cover them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent


def cases():
    rng = np.random.default_rng(2026)
    seed = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
    yield "seed_4x4_k2", seed, dict(kernel_size=2)
    yield "two_way_tie", np.array([[1, 3], [3, 2]], float), dict(kernel_size=2)
    yield "four_way_tie", np.ones((4, 4)), dict(kernel_size=2)
    yield "relu_zeros", np.maximum(rng.standard_normal((6, 6)), 0), dict(kernel_size=2)
    yield "overlap_1d", np.array([[0, 5, 1, 0]], float), dict(kernel_size=(1, 3), stride=1)
    yield "overlap_k3s1", rng.integers(0, 4, (7, 7)).astype(float), dict(kernel_size=3, stride=1)
    yield "overlap_k3s2p1", rng.integers(0, 4, (8, 9)).astype(float), dict(kernel_size=3, stride=2, padding=1)
    nan_x = rng.integers(0, 5, (6, 6)).astype(float)
    nan_x[0, 1] = nan_x[1, 0] = nan_x[4, 4] = np.nan
    yield "nan_last_wins", nan_x, dict(kernel_size=2)
    yield "nan_overlap", nan_x, dict(kernel_size=3, stride=1, padding=1)
    inf_x = rng.integers(0, 5, (5, 5)).astype(float)
    inf_x[:2, :2] = -np.inf
    inf_x[4, 4] = np.inf
    yield "minus_inf_window", inf_x, dict(kernel_size=2, stride=1)
    yield "all_minus_inf_padded", np.full((3, 3), -np.inf), dict(kernel_size=3, stride=1, padding=1)
    yield "negative_with_padding", -rng.random((5, 5)), dict(kernel_size=3, stride=2, padding=1)
    yield "dilation_2", rng.integers(0, 6, (7, 7)).astype(float), dict(kernel_size=2, stride=1, dilation=2)
    yield "dilation_pad", rng.integers(0, 6, (7, 6)).astype(float), dict(kernel_size=3, stride=2, padding=1, dilation=2)
    yield "ceil_edge", np.arange(25.0).reshape(5, 5), dict(kernel_size=2, padding=1, ceil_mode=True)
    yield "ceil_partial", rng.integers(0, 9, (5, 7)).astype(float), dict(kernel_size=2, ceil_mode=True)
    yield (
        "ceil_k3s2",
        rng.integers(0, 3, (6, 6)).astype(float),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    )
    yield "rect_kernel", rng.integers(0, 3, (5, 8)).astype(float), dict(kernel_size=(2, 3), stride=(1, 2))
    yield "float32_overlap", rng.standard_normal((2, 9, 9)).astype(np.float32), dict(kernel_size=3, stride=1)


def main():
    arrays, meta = {}, []
    rng = np.random.default_rng(7)
    for name, x, params in cases():
        # PyTorch wants (C, H, W) or (N, C, H, W): pool a 2-D grid as one channel.
        tx = torch.tensor(x[None] if x.ndim == 2 else x, requires_grad=True)
        y, idx = F.max_pool2d(tx, return_indices=True, **params)
        dout = rng.integers(-3, 4, y.shape).astype(x.dtype)
        y.backward(torch.tensor(dout))
        y, idx, dout, grad = (
            a.reshape(a.shape[1:]) if x.ndim == 2 else a
            for a in (y.detach().numpy(), idx.numpy(), dout, tx.grad.numpy())
        )
        arrays[f"{name}/x"] = x
        arrays[f"{name}/out"] = y
        arrays[f"{name}/indices"] = idx
        arrays[f"{name}/dout"] = dout
        arrays[f"{name}/dx"] = grad
        meta.append({"name": name, "params": params})
    arrays["meta"] = np.array(json.dumps({"torch": torch.__version__, "cases": meta}))
    np.savez_compressed(HERE / "maxpool_torch.npz", **arrays)
    print(f"wrote {len(meta)} cases from torch {torch.__version__}")


if __name__ == "__main__":
    main()
