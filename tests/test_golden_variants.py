"""1-D, adaptive, unpooling and smooth max pooling against what PyTorch produced
(tests/golden/make_golden.py wrote variants_torch.npz); needs no torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import pooling

GOLDEN = np.load(Path(__file__).parent / "golden" / "variants_torch.npz")
CASES = json.loads(str(GOLDEN["meta"]))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_variant_matches_pytorch_golden(case):
    name, op, params = case["name"], case["op"], dict(case["params"])
    x = GOLDEN[f"{name}/x"]
    if op == "max_unpool2d":
        res = pooling.max_pool2d(x, params.pop("kernel_size"), **params)
        unpooled = pooling.max_unpool2d(GOLDEN[f"{name}/values"], res)
        assert np.array_equal(unpooled, GOLDEN[f"{name}/unpooled"])
        return
    if op == "smooth_max_pool2d":
        res = pooling.smooth_max_pool2d(x, params.pop("kernel_size"), **params)
        assert np.allclose(res.out, GOLDEN[f"{name}/out"], rtol=1e-12, atol=1e-12)
        dx = pooling.smooth_max_pool2d_backward(GOLDEN[f"{name}/dout"], res)
        assert np.allclose(dx, GOLDEN[f"{name}/dx"], rtol=1e-9, atol=1e-9)
        return
    if op == "max_pool1d":
        res = pooling.max_pool1d(x, params.pop("kernel_size"), **params)
    else:
        res = pooling.adaptive_max_pool2d(x, params["output_size"])
    assert np.array_equal(res.out, GOLDEN[f"{name}/out"], equal_nan=True)
    assert np.array_equal(res.indices, GOLDEN[f"{name}/indices"])
    assert np.array_equal(pooling.max_pool2d_backward(GOLDEN[f"{name}/dout"], res), GOLDEN[f"{name}/dx"])


def test_variant_golden_file_covers_each_operation():
    ops = {c["op"] for c in CASES}
    assert ops == {"max_pool1d", "adaptive_max_pool2d", "max_unpool2d", "smooth_max_pool2d"}
    assert {"adaptive_nan_uneven", "unpool_overlap", "1d_nan", "smooth_T1e-3_overlap"} <= {c["name"] for c in CASES}
