"""The core against outputs PyTorch produced (tests/golden/make_golden.py); needs no torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import pooling

GOLDEN = np.load(Path(__file__).parent / "golden" / "maxpool_torch.npz")
CASES = json.loads(str(GOLDEN["meta"]))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_pytorch_golden(case):
    name, params = case["name"], dict(case["params"])
    x = GOLDEN[f"{name}/x"]
    kernel_size = params.pop("kernel_size")
    res = pooling.max_pool2d(x, kernel_size, **params)
    assert res.out.dtype == x.dtype
    assert np.array_equal(res.out, GOLDEN[f"{name}/out"], equal_nan=True)
    assert np.array_equal(res.indices, GOLDEN[f"{name}/indices"])
    dx = pooling.max_pool2d_backward(GOLDEN[f"{name}/dout"], res, "first")
    # Bit for bit, float32 overlap sums included.
    assert np.array_equal(dx, GOLDEN[f"{name}/dx"], equal_nan=True)


def test_golden_file_covers_the_edges():
    names = {c["name"] for c in CASES}
    for needed in ("two_way_tie", "nan_last_wins", "minus_inf_window", "overlap_k3s1", "dilation_pad", "ceil_edge"):
        assert needed in names
