"""Cross-check pooling's JAX convention (framework="jax") against real JAX; not part of the test suite.

    pip install jax        # CPU wheels from PyPI, e.g. in a throwaway venv
    python scripts/check_jax_conventions.py

Pools random small grids with ties, NaN and -inf, VALID and SAME padding, with
``lax.reduce_window(max)`` and its VJP, and compares the values and input
gradients bit for bit with ``pooling.framework_pool2d(..., framework="jax")``.
Last run (JAX 0.10.2, CPU): compared 828, mismatches 0.
"""

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import pooling  # noqa: E402

jax.config.update("jax_enable_x64", True)


def jax_pool(x, k, s, pads):
    def f(a):
        return lax.reduce_window(a, -jnp.inf, lax.max, k, s, pads)

    y, vjp = jax.vjp(f, jnp.asarray(x))
    (dx,) = vjp(jnp.ones_like(y))
    return np.asarray(y), np.asarray(dx)


rng = np.random.default_rng(0)
n = bad = 0
for H, W, k, s, mode in itertools.product([2, 3, 4, 5], [3, 4, 5], [1, 2, 3], [1, 2], ["valid", "same"]):
    for _trial in range(6):
        x = rng.integers(0, 3, (H, W)).astype(float)
        for _ in range(rng.integers(0, 4)):
            x[rng.integers(H), rng.integers(W)] = np.nan
        if rng.random() < 0.3:
            x[rng.integers(H), rng.integers(W)] = -np.inf
        pads = tuple(pooling.framework_padding(n_, k, s, mode) for n_ in (H, W))
        try:
            mine = pooling.framework_pool2d(x, k, s, framework="jax", pads=pads)
        except ValueError:
            continue
        y, dx = jax_pool(x, (k, k), (s, s), pads)
        n += 1
        if not (np.array_equal(y, mine.out, equal_nan=True) and np.array_equal(dx, mine.dx)):
            bad += 1
            if bad <= 5:
                print(
                    "MISMATCH",
                    H,
                    W,
                    k,
                    s,
                    mode,
                    x.tolist(),
                    "\n jax",
                    y.tolist(),
                    dx.tolist(),
                    "\n ours",
                    mine.out.tolist(),
                    mine.dx.tolist(),
                )
print("compared", n, "mismatches", bad)
