"""Regenerate the PyTorch golden file the core tests compare against (needs torch).

    python tests/golden/make_golden.py

Writes tests/golden/maxpool_torch.npz and tests/golden/variants_torch.npz (1-D,
adaptive, unpooling and smooth max pooling: see ``variant_cases``).

maxpool_torch.npz: for each case, the input, the pooling
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


def variant_cases():
    """(name, op, x, params) for the variants; x is one (H, W) plane or, for 1-D, one (L) signal."""
    rng = np.random.default_rng(2027)
    yield "1d_question", "max_pool1d", np.array([1.0, 5.0, 2.0, 4.0]), dict(kernel_size=2)
    yield "1d_tie", "max_pool1d", np.array([3.0, 3.0, 0.0, 1.0]), dict(kernel_size=2)
    yield "1d_overlap", "max_pool1d", np.array([0.0, 5.0, 1.0, 0.0]), dict(kernel_size=3, stride=1)
    yield "1d_nan", "max_pool1d", np.array([1.0, np.nan, 2.0, np.nan, 0.0]), dict(kernel_size=3, stride=2, padding=1)
    yield (
        "1d_dilated_ceil",
        "max_pool1d",
        rng.integers(0, 3, 9).astype(float),
        dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
    )
    yield "adaptive_5x5_to_3", "adaptive_max_pool2d", rng.integers(0, 3, (5, 5)).astype(float), dict(output_size=3)
    yield "adaptive_global_tie", "adaptive_max_pool2d", np.ones((3, 4)), dict(output_size=1)
    nan_x = rng.integers(0, 4, (7, 6)).astype(float)
    nan_x[1, 1] = nan_x[2, 3] = np.nan
    yield "adaptive_nan_uneven", "adaptive_max_pool2d", nan_x, dict(output_size=(3, 4))
    yield "adaptive_upsample", "adaptive_max_pool2d", rng.integers(0, 3, (2, 3)).astype(float), dict(output_size=(3, 5))
    overlap = rng.integers(0, 3, (6, 6)).astype(float)
    yield "unpool_overlap", "max_unpool2d", overlap, dict(kernel_size=3, stride=1)
    yield "unpool_disjoint", "max_unpool2d", rng.integers(0, 9, (4, 6)).astype(float), dict(kernel_size=2)
    ties = np.round(rng.standard_normal((5, 6)))
    yield "smooth_T1", "smooth_max_pool2d", ties, dict(kernel_size=2, temperature=1.0)
    yield "smooth_T1e-3_overlap", "smooth_max_pool2d", ties, dict(kernel_size=3, stride=1, padding=1, temperature=1e-3)
    yield "smooth_T10_big", "smooth_max_pool2d", ties * 100, dict(kernel_size=2, stride=1, temperature=10.0)


def _torch_variant(op, x, params, rng):
    """Run one variant in torch; return the arrays to store (float64 throughout)."""
    if op == "max_pool1d":
        tx = torch.tensor(x[None], requires_grad=True)
        y, idx = F.max_pool1d(tx, return_indices=True, **params)
    elif op == "adaptive_max_pool2d":
        tx = torch.tensor(x[None], requires_grad=True)
        y, idx = F.adaptive_max_pool2d(tx, params["output_size"], return_indices=True)
    elif op == "max_unpool2d":
        y, idx = F.max_pool2d(torch.tensor(x[None]), return_indices=True, **params)
        values = rng.integers(-3, 4, y.shape).astype(float)
        torch.set_num_threads(1)  # several threads race where windows share an index (pytorch#80827)
        unpooled = F.max_unpool2d(torch.tensor(values), idx, output_size=x.shape, **params)
        return {"values": values[0], "unpooled": unpooled.numpy()[0]}
    else:
        geometry = {k: v for k, v in params.items() if k != "temperature"}
        T = params["temperature"]
        _, idx = F.max_pool2d(torch.tensor(x[None]), return_indices=True, **geometry)
        tx = torch.tensor(x, requires_grad=True)
        H, W = x.shape
        k, s, p = geometry["kernel_size"], geometry.get("stride", geometry["kernel_size"]), geometry.get("padding", 0)
        padded = F.pad(tx[None, None], (p, p, p, p), value=-float("inf"))
        windows = padded.unfold(2, k, s).unfold(3, k, s)  # (1, 1, H_out, W_out, k, k)
        y = T * torch.logsumexp(windows.reshape(*windows.shape[:4], -1) / T, dim=-1)[0, 0]
        dout = rng.integers(-3, 4, y.shape).astype(float)
        y.backward(torch.tensor(dout))
        return {"out": y.detach().numpy(), "dout": dout, "dx": tx.grad.numpy()}
    dout = rng.integers(-3, 4, y.shape).astype(float)
    y.backward(torch.tensor(dout))
    return {"out": y.detach().numpy()[0], "indices": idx.numpy()[0], "dout": dout[0], "dx": tx.grad.numpy()[0]}


def main_variants():
    arrays, meta = {}, []
    rng = np.random.default_rng(8)
    for name, op, x, params in variant_cases():
        arrays[f"{name}/x"] = x
        for key, value in _torch_variant(op, x, params, rng).items():
            arrays[f"{name}/{key}"] = value
        meta.append({"name": name, "op": op, "params": params})
    arrays["meta"] = np.array(json.dumps({"torch": torch.__version__, "cases": meta}))
    np.savez_compressed(HERE / "variants_torch.npz", **arrays)
    print(f"wrote {len(meta)} variant cases from torch {torch.__version__}")


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
    main_variants()


if __name__ == "__main__":
    main()
