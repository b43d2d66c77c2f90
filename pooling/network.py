"""A tiny network around max pooling: convolution, ReLU, max pooling, and ``L = sum(dL/dy * y)``.

Forward and backward of each layer sit side by side, in plain numpy, so the
chain rule can be followed through a pooling layer that is not the first one.
The convolution is PyTorch's ``conv2d`` with one input and one output channel
and no bias: a cross-correlation, ``'valid'`` (no padding), stride 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .maxpool import MaxPoolResult, max_pool2d, max_pool2d_backward


def _check_conv_args(x: np.ndarray, weight: np.ndarray) -> None:
    if weight.ndim != 2:
        raise ValueError(f"weight has shape {weight.shape}; expected a 2-D kernel (kH, kW)")
    if x.ndim < 2:
        raise ValueError(f"x has shape {x.shape}; expected (..., H, W)")
    (H, W), (kH, kW) = x.shape[-2:], weight.shape
    if kH < 1 or kW < 1 or kH > H or kW > W:
        raise ValueError(
            f"a {kH}x{kW} kernel does not fit in the {H}x{W} input: a 'valid' convolution needs "
            "1 <= kernel size <= input size in each dimension"
        )


def conv2d(x, weight) -> np.ndarray:
    """Valid cross-correlation with stride 1: ``z[i, j] = sum_ab weight[a, b] * x[i + a, j + b]``.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
        Leading dimensions are a batch (PyTorch's N with C = 1).
    weight : array_like, shape (kH, kW)

    Returns
    -------
    z : ndarray, shape (..., H - kH + 1, W - kW + 1)
        Same as ``torch.nn.functional.conv2d(x[:, None], weight[None, None])[:, 0]``.
    """
    x, weight = np.asarray(x, dtype=np.float64), np.asarray(weight, dtype=np.float64)
    _check_conv_args(x, weight)
    patches = sliding_window_view(x, weight.shape, axis=(-2, -1))  # (..., H_out, W_out, kH, kW), a view
    return np.einsum("...ijab,ab->...ij", patches, weight)


def conv2d_backward(dout, x, weight) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``L`` with respect to the convolution's input and kernel, given ``dout = dL/dz``.

    Parameters
    ----------
    dout : array_like, shape (..., H_out, W_out)
    x : array_like, shape (..., H, W)
    weight : array_like, shape (kH, kW)

    Returns
    -------
    dx : ndarray, shape (..., H, W)
        ``dx[i + a, j + b] += dout[i, j] * weight[a, b]``: every output sends its
        gradient back to the inputs it read, weighted by the kernel.
    dweight : ndarray, shape (kH, kW)
        ``dweight[a, b] = sum_ij dout[i, j] * x[i + a, j + b]`` (summed over the batch too):
        each kernel entry collects the inputs it multiplied, weighted by the gradient.
    """
    x, weight = np.asarray(x, dtype=np.float64), np.asarray(weight, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    _check_conv_args(x, weight)
    kH, kW = weight.shape
    H_out, W_out = x.shape[-2] - kH + 1, x.shape[-1] - kW + 1
    if dout.shape != x.shape[:-2] + (H_out, W_out):
        raise ValueError(f"dout has shape {dout.shape}; expected {x.shape[:-2] + (H_out, W_out)}")
    patches = sliding_window_view(x, (kH, kW), axis=(-2, -1))
    lead = "".join(chr(ord("n") + k) for k in range(x.ndim - 2))  # batch letters, if any
    dweight = np.einsum(f"{lead}ij,{lead}ijab->ab", dout, patches)
    dx = np.zeros(x.shape)
    for a in range(kH):
        for b in range(kW):
            dx[..., a : a + H_out, b : b + W_out] += dout * weight[a, b]
    return dx, dweight


def relu(z) -> np.ndarray:
    """``max(z, 0)``; NaN stays NaN, as in ``torch.relu``."""
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def relu_backward(dout, z) -> np.ndarray:
    """``dout`` where ``z > 0``, else 0. At the kink ``z == 0`` the gradient is 0, as in PyTorch.

    NaN ``z`` passes the gradient, as PyTorch's ``threshold_backward`` (``z <= 0 ? 0 : dout``) does.
    """
    z = np.asarray(z, dtype=np.float64)
    return np.where(z <= 0, 0.0, np.asarray(dout, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class NetworkForward:
    """Every intermediate value of ``y = maxpool(relu(conv2d(x, weight)))`` for one (H, W) plane.

    Attributes
    ----------
    x : ndarray, shape (H, W)
    weight : ndarray, shape (kH, kW)
    z : ndarray, shape (H - kH + 1, W - kW + 1)
        The convolution's output.
    a : ndarray, shape of z
        ``relu(z)``, the pooling layer's input.
    pool : MaxPoolResult
        Max pooling of ``a``; ``pool.out`` is ``y``.
    """

    x: np.ndarray
    weight: np.ndarray
    z: np.ndarray
    a: np.ndarray
    pool: MaxPoolResult

    @property
    def y(self) -> np.ndarray:
        return self.pool.out

    @property
    def pool_kwargs(self) -> dict:
        g = self.pool.geometry
        return dict(
            kernel_size=g.kernel, stride=g.stride, padding=g.padding, dilation=g.dilation, ceil_mode=g.ceil_mode
        )


def network_forward(
    x, weight, kernel_size, *, stride=None, padding=0, dilation=1, ceil_mode: bool = False
) -> NetworkForward:
    """Run conv (valid, stride 1) -> ReLU -> max pooling on one (H, W) plane.

    The pooling arguments are those of ``max_pool2d``; a window that does not fit
    the convolution's output raises its ``ValueError``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x has shape {x.shape}; expected one (H, W) plane")
    weight = np.asarray(weight, dtype=np.float64)
    z = conv2d(x, weight)
    a = relu(z)
    pool = max_pool2d(a, kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    return NetworkForward(x, weight, z, a, pool)


def network_loss(dout, y) -> float:
    """``L = sum(dL/dy * y)`` over windows with a winner (a window wholly in padding has ``y = -inf``)."""
    y = np.asarray(y, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    keep = y != -np.inf
    return float(np.sum(dout[keep] * y[keep]))


@dataclass(frozen=True, eq=False)
class NetworkGradients:
    """The backward pass, layer by layer (shapes as the matching forward values).

    ``da = dL/da`` from the pooling layer (non-zero only at winners),
    ``dz = dL/dz = da * [z > 0]`` through the ReLU, then ``dweight = dL/dweight``
    and ``dx = dL/dx`` through the convolution.
    """

    da: np.ndarray
    dz: np.ndarray
    dweight: np.ndarray
    dx: np.ndarray


def network_backward(dout, net: NetworkForward, tie_policy: str = "first") -> NetworkGradients:
    """Back-propagate ``dout = dL/dy`` through pooling (with ``tie_policy``), ReLU and the convolution."""
    da = max_pool2d_backward(dout, net.pool, tie_policy)
    dz = relu_backward(da, net.z)
    dx, dweight = conv2d_backward(dz, net.x, net.weight)
    return NetworkGradients(da=da, dz=dz, dweight=dweight, dx=dx)


@dataclass(frozen=True)
class Kinks:
    """Places where ``L`` as a function of the kernel may have no derivative.

    Attributes
    ----------
    ties : list of ((i, j), [(r, c), ...])
        Pooling windows whose positive maximum is held by two or more cells of ``a``.
    relu_kinks : list of (r, c)
        Cells with ``z == 0`` in a window whose maximum is 0: nudging the kernel
        can make such a cell positive, and then it wins its window.
    """

    ties: list
    relu_kinks: list

    def __bool__(self) -> bool:
        return bool(self.ties or self.relu_kinks)


KINK_TOLERANCE = 1e-9
"""Relative to the size of the terms that make up ``z``: values this close count as equal.

``z`` is a sum of products, so values that are equal on paper (a tie, or a ``z`` of 0)
can differ by a few units of rounding; a finite difference steps across such a gap
at once, so it is a kink all the same.
"""


def kink_tolerance(net: NetworkForward) -> float:
    """Absolute tolerance for "equal" among ``z`` and ``a``: KINK_TOLERANCE * sum|weight| * max|x|."""
    finite = np.abs(net.x[np.isfinite(net.x)])
    size = float(np.abs(net.weight).sum()) * (float(finite.max()) if finite.size else 0.0)
    return KINK_TOLERANCE * max(size, np.finfo(np.float64).tiny)


def _window_values(net: NetworkForward) -> tuple[np.ndarray, np.ndarray]:
    """(H_out, W_out, kH, kW) values of ``a`` in every pooling window (-inf in padding), and their flat indices."""
    widx = net.pool.geometry.window_index()
    padded = np.append(net.a.reshape(-1), -np.inf)  # index -1 (padding) reads -inf
    return padded[widx], widx


def kinks(net: NetworkForward) -> Kinks:
    """Find the ties and ReLU kinks at the current point (see ``Kinks``), equal up to ``kink_tolerance``.

    Ties at 0 among cells with ``z < 0`` are left out: those cells pass no
    gradient whoever wins, and a small change of the kernel keeps them at 0.
    """
    tol = kink_tolerance(net)
    values, widx = _window_values(net)
    top = net.y[..., None, None]
    with np.errstate(invalid="ignore"):  # inf - inf in windows of infinities
        near = (widx >= 0) & (top - values <= tol)
    W = net.a.shape[1]
    ties = []
    for i, j in zip(*np.nonzero(near.sum(axis=(-2, -1)) >= 2)):
        if net.y[i, j] > tol:
            cells = [divmod(int(v), W) for v in widx[i, j][near[i, j]]]
            ties.append(((int(i), int(j)), cells))
    flat_z = net.z.reshape(-1)
    zero_max = ((net.y >= 0) & (net.y <= tol))[..., None, None] & (widx >= 0)
    candidates = np.unique(widx[zero_max])
    relu_kinks = [divmod(int(v), W) for v in candidates if abs(flat_z[v]) <= tol]
    return Kinks(ties=ties, relu_kinks=relu_kinks)


def kink_margin(net: NetworkForward) -> float:
    """How far the point is from the nearest kink it does not sit on, in units of ``z``.

    The smallest gap between a window's maximum and a smaller value of it, and the
    smallest ``|z|``, each counted only above ``kink_tolerance`` (below it the point
    sits on that kink); ``inf`` when there is neither.
    """
    tol = kink_tolerance(net)
    values, widx = _window_values(net)
    with np.errstate(invalid="ignore"):
        gaps = net.y[..., None, None] - values
    gaps = gaps[(widx >= 0) & np.isfinite(gaps) & (gaps > tol)]
    sizes = np.abs(net.z[np.isfinite(net.z)])
    sizes = sizes[sizes > tol]
    return min(float(gaps.min()) if gaps.size else np.inf, float(sizes.min()) if sizes.size else np.inf)


def kernel_step(net: NetworkForward) -> float:
    """A finite-difference step for the kernel that crosses no kink the point does not sit on.

    Changing one kernel entry by ``h`` moves every ``z`` by at most ``h * max|x|``,
    so a difference between two of them by at most ``2 h max|x|``; the step is a
    quarter of the kink margin over ``max|x|``, and at most 1e-3.
    """
    finite = np.abs(net.x[np.isfinite(net.x)])
    scale = max(float(finite.max()) if finite.size else 1.0, 1e-12)
    margin = kink_margin(net)
    return min(1e-3, 0.25 * margin / scale) if np.isfinite(margin) else 1e-3


@dataclass(frozen=True)
class KernelFiniteDifferences:
    """Finite-difference estimates of ``dL/dweight``, each of shape (kH, kW).

    ``forward[a, b] = (L(w + h e_ab) - L(w)) / h``, ``backward = (L(w) - L(w - h e_ab)) / h``,
    ``central = (L(w + h e_ab) - L(w - h e_ab)) / 2h``, with ``h = step``. Away from
    kinks the three agree with the backward pass; on a tie or a ReLU kink the
    one-sided slopes differ and ``central`` is their average.
    """

    forward: np.ndarray
    backward: np.ndarray
    central: np.ndarray
    step: float


def kernel_finite_differences(dout, net: NetworkForward, step: float | None = None) -> KernelFiniteDifferences:
    """Nudge each kernel entry up and down by ``step`` and re-run the whole forward pass each time.

    Parameters
    ----------
    dout : array_like, shape of ``net.y``
        The upstream gradient that defines ``L = sum(dout * y)``.
    net : NetworkForward
    step : float, optional
        Defaults to ``kernel_step(net)``, small enough to cross no kink the point
        does not already sit on.
    """
    h = kernel_step(net) if step is None else float(step)
    if not (h > 0 and np.isfinite(h)):
        raise ValueError(f"step={step!r} is invalid: the step must be a positive finite number")
    dout = np.asarray(dout, dtype=np.float64)
    kwargs = net.pool_kwargs
    size = kwargs.pop("kernel_size")

    def loss_at(weight: np.ndarray) -> float:
        return network_loss(dout, network_forward(net.x, weight, size, **kwargs).y)

    base = network_loss(dout, net.y)
    plus = np.empty(net.weight.shape)
    minus = np.empty(net.weight.shape)
    for a, b in np.ndindex(*net.weight.shape):
        nudged = net.weight.copy()
        nudged[a, b] += h
        plus[a, b] = loss_at(nudged)
        nudged[a, b] = net.weight[a, b] - h
        minus[a, b] = loss_at(nudged)
    return KernelFiniteDifferences(
        forward=(plus - base) / h,
        backward=(base - minus) / h,
        central=(plus - minus) / (2 * h),
        step=h,
    )
