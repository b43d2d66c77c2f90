"""A plain-loop reference for max pooling, written from the definitions, for the tests.

Deliberately naive: one window at a time, one position at a time, no numpy tricks,
so that it can be checked by reading.
"""

from __future__ import annotations

import math

import numpy as np


def out_len(size, k, s, p, d, ceil_mode):
    # PyTorch's pooling_output_shape, spelled out with math.floor / math.ceil.
    span = size + 2 * p - d * (k - 1) - 1
    n = (math.ceil(span / s) if ceil_mode else math.floor(span / s)) + 1
    if ceil_mode and (n - 1) * s >= size + p:
        n -= 1
    return n


def window_positions(i, j, H, W, k, s, p, d):
    """Yield (h, w, inside) for each position of window (i, j) in row-major order."""
    for a in range(k[0]):
        for b in range(k[1]):
            h = i * s[0] - p[0] + a * d[0]
            w = j * s[1] - p[1] + b * d[1]
            yield h, w, 0 <= h < H and 0 <= w < W


def ref_forward(x, k, s, p, d, ceil_mode):
    """(out, indices, tied_sets) for one plane; tied_sets[i][j] lists flat indices in scan order."""
    H, W = x.shape
    Ho = out_len(H, k[0], s[0], p[0], d[0], ceil_mode)
    Wo = out_len(W, k[1], s[1], p[1], d[1], ceil_mode)
    out = np.empty((Ho, Wo), dtype=x.dtype)
    idx = np.empty((Ho, Wo), dtype=np.int64)
    tied = [[None] * Wo for _ in range(Ho)]
    for i in range(Ho):
        for j in range(Wo):
            best, best_at = -math.inf, -1
            inside = [(h, w) for h, w, ok in window_positions(i, j, H, W, k, s, p, d) if ok]
            for h, w in inside:
                v = x[h, w]
                # PyTorch's rule: strictly greater, or NaN (so the last NaN wins).
                if v > best or math.isnan(v):
                    best, best_at = v, h * W + w
            if inside and best_at == -1:
                h, w = inside[0]
                best_at = h * W + w  # every value -inf: PyTorch reports the first position
            out[i, j] = best
            idx[i, j] = best_at
            if math.isnan(best):
                tied[i][j] = [h * W + w for h, w in inside if math.isnan(x[h, w])]
            else:
                tied[i][j] = [h * W + w for h, w in inside if x[h, w] == best]
    return out, idx, tied


def ref_backward(dout, x, k, s, p, d, ceil_mode, tie_policy):
    out, idx, tied = ref_forward(x, k, s, p, d, ceil_mode)
    dx = np.zeros(x.size, dtype=np.float64)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            g = float(dout[i, j])
            T = tied[i][j]
            if not T:
                continue
            if tie_policy == "first":
                dx[idx[i, j]] += g
            elif tie_policy == "last":
                dx[T[-1]] += g
            elif tie_policy == "split":
                for t in T:
                    dx[t] += g / len(T)
            elif tie_policy == "all":
                for t in T:
                    dx[t] += g
            elif tie_policy == "none" and len(T) == 1:
                dx[T[0]] += g
    return dx.reshape(x.shape)
