"""The numpy core of the explainer: max pooling as PyTorch computes it, its backward
pass under five tie rules, and the views and checks that explain it.

Plain numpy: importing this package loads neither streamlit nor plotly.
"""

from .avgpool import AvgPoolResult, avg_pool2d, avg_pool2d_backward
from .explain import (
    Contribution,
    Routing,
    Tie,
    contributions,
    routing,
    selection_matrix,
    tie_counts,
    tie_report,
    win_counts,
    window_values,
    winner_mask,
)
from .geometry import PoolGeometry, as_pair, output_size, pool_geometry
from .gradcheck import (
    FiniteDifferences,
    SubgradientVerdict,
    check_subgradient,
    default_step,
    finite_differences,
    relative_error,
    runner_up_gap,
)
from .maxpool import (
    TIE_POLICIES,
    MaxPoolResult,
    check_tie_policy,
    max_pool2d,
    max_pool2d_backward,
    tied_mask,
    window_weights,
)

__all__ = [
    "TIE_POLICIES",
    "AvgPoolResult",
    "Contribution",
    "FiniteDifferences",
    "MaxPoolResult",
    "PoolGeometry",
    "Routing",
    "SubgradientVerdict",
    "Tie",
    "as_pair",
    "avg_pool2d",
    "avg_pool2d_backward",
    "check_subgradient",
    "check_tie_policy",
    "contributions",
    "default_step",
    "finite_differences",
    "max_pool2d",
    "max_pool2d_backward",
    "output_size",
    "pool_geometry",
    "relative_error",
    "routing",
    "runner_up_gap",
    "selection_matrix",
    "tie_counts",
    "tie_report",
    "tied_mask",
    "win_counts",
    "window_values",
    "window_weights",
    "winner_mask",
]
