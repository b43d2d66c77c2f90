"""The smooth-max weight-path figure: one line per window cell on a reversed log axis, the current T marked."""

from __future__ import annotations

import numpy as np
import pytest

from figures.grid import HIGHLIGHT
from figures.smooth import make_weight_paths_figure


def test_weight_paths_figure():
    temps = np.logspace(1, -3, 5)
    weights = np.array([[0.3, 0.7]] * 5)
    fig = make_weight_paths_figure(temps, weights, ["x[0, 0] = 1", "x[0, 1] = 2"], 0.1)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["x[0, 0] = 1", "x[0, 1] = 2"]
    assert np.allclose(lines[1].y, 0.7) and np.allclose(lines[0].x, temps)
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.autorange == "reversed"
    assert [s.x0 for s in fig.layout.shapes] == [0.1] and fig.layout.shapes[0].line.color == HIGHLIGHT
    assert lines[0].line.dash != lines[1].line.dash  # told apart without colour
    with pytest.raises(ValueError, match="shape"):
        make_weight_paths_figure(temps, weights[:, :1], ["a", "b"], 1.0)
