"""AppTest of the network page: conv -> ReLU -> max pooling on the view's x, its gradients and the gradient check.

Every number is checked against a plain-loop computation written here, not against ``pooling.network``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from ui.codec import DEFAULT_X

ROOT = Path(__file__).resolve().parents[1]

# The app's frame around one page, so AppTest reruns keep the sidebar (AppTest reruns of an
# st.navigation app run only the page file).
HARNESS = """
import runpy
import streamlit as st
from ui import shell
shell.frame(lambda: runpy.run_path(st.session_state["_page_file"], run_name="__page__"))
"""

X8 = np.array(
    [
        [3, 1, 4, 1, 5, 9, 2, 6],
        [5, 3, 5, 8, 9, 7, 9, 3],
        [2, 3, 8, 4, 6, 2, 6, 4],
        [3, 3, 8, 3, 2, 7, 9, 5],
        [0, 2, 8, 8, 4, 1, 9, 7],
        [1, 6, 9, 3, 9, 9, 3, 7],
        [5, 1, 0, 5, 8, 2, 0, 9],
        [7, 4, 9, 4, 4, 5, 9, 2],
    ],
    dtype=float,
)


def link_grid(a) -> str:
    return ";".join(",".join(f"{v:g}" for v in row) for row in np.asarray(a))


def network_page(query: dict[str, str]) -> AppTest:
    at = AppTest.from_string(HARNESS, default_timeout=60)
    at.session_state["_page_file"] = str(ROOT / "pages" / "network.py")
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def decode(value) -> np.ndarray:
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return data.reshape([int(s) for s in str(shape).split(",")]) if shape else data
    return np.array(
        [np.nan if v is None else v for v in value]
        if np.ndim(value) == 1
        else [[np.nan if v is None else v for v in row] for row in value],
        dtype=float,
    )


def chart(at: AppTest, key: str) -> dict:
    return json.loads(at.get_by_key(key).proto.spec)


def grid(at: AppTest, key: str) -> np.ndarray:
    """The heatmap of chart ``key`` cut to its real cells (rows and columns with index >= 0 and not padding)."""
    spec = chart(at, key)
    heat = next(t for t in spec["data"] if t.get("name") == "grid")
    z = decode(heat["z"]).astype(float)
    rows, cols = decode(heat["y"]), decode(heat["x"])
    border = [s for s in spec["layout"].get("shapes", []) if s.get("name") == "grid-border"]
    if border:
        b = border[0]
        keep_r = (rows > min(b["y0"], b["y1"])) & (rows < max(b["y0"], b["y1"]))
        keep_c = (cols > min(b["x0"], b["x1"])) & (cols < max(b["x0"], b["x1"]))
        return z[np.ix_(keep_r, keep_c)]
    return z


def reference(x, kernel, pool_k, pool_s, dy=None):
    """Plain loops: valid cross-correlation, ReLU, k x k max pooling (first maximum wins), and the backward pass."""
    kH, kW = kernel.shape
    H_out, W_out = x.shape[0] - kH + 1, x.shape[1] - kW + 1
    z = np.zeros((H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            z[i, j] = sum(kernel[a, b] * x[i + a, j + b] for a in range(kH) for b in range(kW))
    a = np.maximum(z, 0)
    P_h, P_w = (H_out - pool_k) // pool_s + 1, (W_out - pool_k) // pool_s + 1
    y = np.zeros((P_h, P_w))
    dy = np.ones((P_h, P_w)) if dy is None else dy
    da = np.zeros_like(a)
    for i in range(P_h):
        for j in range(P_w):
            best = None
            for r in range(i * pool_s, i * pool_s + pool_k):
                for c in range(j * pool_s, j * pool_s + pool_k):
                    if best is None or a[r, c] > a[best]:
                        best = (r, c)
            y[i, j] = a[best]
            da[best] += dy[i, j]
    dz = np.where(z > 0, da, 0.0)
    dk = np.zeros_like(kernel)
    for p in range(kH):
        for q in range(kW):
            dk[p, q] = sum(dz[i, j] * x[i + p, j + q] for i in range(H_out) for j in range(W_out))
    return z, a, y, da, dz, dk


def loss(x, kernel, pool_k, pool_s):
    return reference(x, kernel, pool_k, pool_s)[2].sum()


def test_page_is_listed_and_runs_from_app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/network.py").run()
    assert not at.exception
    # The default view pools 2x2 windows at stride 1: on the default 4x4 x the diagonal-difference kernel gives
    # a 3x3 z and four overlapping windows, so the page keeps that x (no swap for NETWORK_X needed).
    assert grid(at, "net_y_chart").shape == (2, 2)
    assert np.array_equal(grid(at, "net_x_chart"), DEFAULT_X)
    _, _, _, _, _, dk = reference(DEFAULT_X, np.array([[1.0, 0.0], [0.0, -1.0]]), 2, 1)
    assert np.array_equal(grid(at, "net_dk_chart"), dk)


def test_numbers_match_loops_and_finite_differences():
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
    at = network_page({"x": link_grid(X8), "k": "2", "conv": "1,0;0,-1"})
    assert not at.exception
    z, a, y, da, dz, dk = reference(X8, kernel, 2, 2)
    assert np.array_equal(grid(at, "net_z_chart"), z)
    assert np.array_equal(grid(at, "net_a_chart"), a)
    assert np.array_equal(grid(at, "net_y_chart"), y)
    assert np.array_equal(grid(at, "net_da_chart"), da)
    assert np.array_equal(grid(at, "net_dz_chart"), dz)
    assert np.array_equal(grid(at, "net_dk_chart"), dk)
    # Sparse: dL/dz is non-zero only at winners, at most one per window.
    assert np.count_nonzero(dz) <= y.size
    # Central differences computed here from the loss, entry by entry.
    h = 1e-4
    numeric = np.zeros_like(kernel)
    for p, q in np.ndindex(*kernel.shape):
        up, down = kernel.copy(), kernel.copy()
        up[p, q] += h
        down[p, q] -= h
        numeric[p, q] = (loss(X8, up, 2, 2) - loss(X8, down, 2, 2)) / (2 * h)
    assert np.allclose(numeric, dk, atol=1e-6)
    check = chart(at, "net_check_chart")
    central = next(t for t in check["data"] if t["name"] == "central difference")
    assert np.allclose(decode(central["y"]), dk.ravel(), atol=1e-6)
    assert any("agree with the backward pass" in s.value for s in at.success)
    assert not [w for w in at.warning if "sits on" in w.value]


def test_editing_the_kernel_and_its_size_changes_the_gradient():
    at = network_page({"x": link_grid(X8), "k": "2"})
    at.number_input(key="net_k_1_1").set_value(2.0).run()
    kernel = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert np.array_equal(grid(at, "net_dk_chart"), reference(X8, kernel, 2, 2)[5])
    assert at.query_params["conv"] == ["1,0;0,2"] or at.query_params["conv"] == "1,0;0,2"

    at.radio(key="net_ksize").set_value(3).run()
    assert not at.exception
    kernel3 = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.0]])  # kept entries, new ones 0
    assert grid(at, "net_z_chart").shape == (6, 6)
    assert np.array_equal(grid(at, "net_dk_chart"), reference(X8, kernel3, 2, 2)[5])

    at.button(key="net_preset_vertical").click().run()
    sobel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    assert np.array_equal(grid(at, "net_dk_chart"), reference(X8, sobel, 2, 2)[5])
    assert at.number_input(key="net_k_1_0").value == 2.0


def test_sidebar_window_and_tie_rule_reach_the_page():
    at = network_page({"x": link_grid(X8), "k": "2", "conv": "1,1;1,1"})
    at.checkbox(key="stride_same").uncheck().run()
    at.number_input(key="s_h").set_value(1).run()
    at.number_input(key="s_w").set_value(1).run()
    # Kernel of ones: z sums 2x2 blocks; with stride 1 the 2x2 windows overlap.
    assert grid(at, "net_y_chart").shape == (6, 6)
    _, _, _, _, dz_first, dk_first = reference(X8, np.ones((2, 2)), 2, 1)
    assert np.array_equal(grid(at, "net_dk_chart"), dk_first)
    assert np.array_equal(grid(at, "net_dz_chart"), dz_first)


def test_a_tie_is_warned_about_and_the_differences_disagree():
    # Every column sum of x is equal, so z (a 2x1 kernel of ones) ties in every pooling window.
    x = np.array([[1.0, 2.0, 3.0, 0.0], [3.0, 2.0, 1.0, 4.0], [0.0, 1.0, 2.0, 0.0]])
    at = network_page({"x": link_grid(x), "k": "2", "s": "1", "conv": "1,0;1,0"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "sits on a tie" in warnings
    assert "window (0, 0) has its maximum 4 at a[0, 0], a[0, 1]" in warnings
    check = chart(at, "net_check_chart")
    names = [t["name"] for t in check["data"]]
    assert "forward difference (+h)" in names and "backward difference (−h)" in names  # one-sided slopes drawn
    table = at.table[0].value
    assert list(table.columns) == ["backward pass ('first')", "central", "forward (+h)", "backward (−h)"]
    assert table.loc["K[0,0]", "forward (+h)"] != table.loc["K[0,0]", "backward (−h)"]


def test_a_relu_kink_is_warned_about():
    # The kernel takes differences along row 0: z = [[0, -2, 3]]. Window (0, 0) covers z[0, 0] = 0 and
    # z[0, 1] = -2, so its maximum is relu's 0 and raising z[0, 0] would make it win.
    x = np.array([[1.0, 1.0, 3.0, 0.0], [9.0, 9.0, 9.0, 9.0]])
    at = network_page({"x": link_grid(x), "k": "1x2", "s": "1x2", "conv": "1,-1;0,0"})
    assert not at.exception
    z = grid(at, "net_z_chart")
    assert z[0, 0] == 0
    assert any("ReLU kink" in w.value and "z[0, 0] = 0" in w.value for w in at.warning)


def test_bad_inputs_get_messages():
    at = network_page({"x": "1,2;3", "k": "abc"})
    assert not at.exception
    assert {"`x`", "`k`"} <= {w.value.split()[2] for w in at.warning if w.value.startswith("The link's")}

    at = network_page({"x": link_grid(X8), "conv": "1,2,3;4,5,6"})
    assert any("kernel could not be used" in w.value and "2×2 or 3×3" in w.value for w in at.warning)
    assert grid(at, "net_dk_chart").shape == (2, 2)  # the default kernel is used

    at = network_page({"x": "1,2;3,4", "k": "2"})  # a 2x2 kernel leaves a 1x1 z: no 2x2 window fits
    assert not at.exception
    assert any("does not fit the 1×1 convolution output" in e.value for e in at.error)

    at = network_page({"x": "1,nan,3;4,5,6;7,8,9", "k": "1"})
    assert not at.exception
    assert any("NaN or ±inf" in w.value for w in at.warning)
