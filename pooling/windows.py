"""Scan every window of a pooling grid with one framework's winner rule (plain numpy).

The variants (adaptive, TensorFlow's and JAX's conventions) all gather their
windows into a ``(planes, windows, K)`` array with a validity mask and then
pick one winner per window by walking the K positions in row-major order, as
each framework's loop does. Only the comparison differs, so it lives here once.
"""

from __future__ import annotations

import numpy as np

WINNER_RULES = ("pytorch", "tensorflow", "jax")
"""How a running winner is replaced while a window is scanned in row-major order.

- ``pytorch``: start at ``-inf`` with the first real position; replace when
  ``value > best or isnan(value)`` (so the first maximum, or the last NaN).
- ``tensorflow``: start with the first real position's value; replace when
  ``best < value`` (a NaN never replaces, but a leading NaN is never replaced):
  ``SpatialMaxPoolWithArgMaxHelper``, which TF's CPU gradient uses.
- ``jax``: XLA's select with ``ge``, padding positions included as ``-inf``;
  keep the current one while ``best >= value``, else replace (a NaN is
  replaced by whatever follows it).
"""


def gather_windows(planes: np.ndarray, window_index: np.ndarray) -> np.ndarray:
    """(B, n_windows, K) values of each window from (B, H*W) planes; index -1 reads ``-inf``."""
    fill = np.full((planes.shape[0], 1), -np.inf, dtype=planes.dtype)
    padded = np.concatenate([planes, fill], axis=1)
    return padded[:, window_index]  # index -1 picks the appended -inf column


def scan_winners(values: np.ndarray, valid: np.ndarray, rule: str = "pytorch") -> tuple[np.ndarray, np.ndarray]:
    """Winner of every window under ``rule``.

    Parameters
    ----------
    values : ndarray, shape (B, n_windows, K)
        Window values in row-major window order; padding reads ``-inf``.
    valid : ndarray of bool, shape (n_windows, K)
        True where the position is a real input cell.
    rule : one of WINNER_RULES

    Returns
    -------
    best : ndarray, shape (B, n_windows)
        The value the scan ends on (PyTorch's output for ``pytorch``).
    arg : ndarray of int64, shape (B, n_windows)
        Position in ``[0, K)`` of the winner; -1 where the window has no real
        position (or, for ``jax``, where the winner is a padding position).
    """
    if rule not in WINNER_RULES:
        raise ValueError(f"rule={rule!r} is invalid: choose one of {', '.join(WINNER_RULES)}")
    B, n, K = values.shape
    any_valid = valid.any(axis=1)
    first = np.where(any_valid, valid.argmax(axis=1), -1)
    if rule == "jax":
        best = values[:, :, 0].copy()
        arg = np.zeros((B, n), dtype=np.int64)
        start = 1
    elif rule == "pytorch":
        best = np.full((B, n), -np.inf, dtype=values.dtype)
        arg = np.broadcast_to(first, (B, n)).astype(np.int64)
        start = 0
    else:  # tensorflow: the first real position is taken unconditionally
        best = np.take_along_axis(values, np.maximum(first, 0)[None, :, None].repeat(B, 0), axis=2)[..., 0]
        best = np.where(any_valid, best, -np.inf).astype(values.dtype)
        arg = np.broadcast_to(first, (B, n)).astype(np.int64)
        start = 0
    for k in range(start, K):
        v = values[:, :, k]
        if rule == "pytorch":
            take = (v > best) | np.isnan(v)
            take &= valid[:, k]
        elif rule == "tensorflow":
            take = (best < v) & valid[:, k]
        else:
            take = ~(best >= v)  # padding takes part as -inf, as XLA pads the operand
        best = np.where(take, v, best)
        arg = np.where(take, k, arg)
    if rule == "jax":
        winner_valid = np.take_along_axis(np.broadcast_to(valid, (B, n, K)), arg[..., None], axis=2)[..., 0]
        arg = np.where(winner_valid, arg, -1)
    return best, arg
