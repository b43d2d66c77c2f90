"""The numpy core of the explainer: max pooling as PyTorch computes it, its backward
pass under five tie rules, and the views and checks that explain it; beside it
1-D, adaptive, smooth max pooling, unpooling, and other frameworks' conventions.

Plain numpy: importing this package loads neither streamlit nor plotly.
"""

from .adaptive import AdaptiveGeometry, adaptive_bounds, adaptive_geometry, adaptive_max_pool2d
from .avgpool import AvgPoolResult, avg_pool2d, avg_pool2d_backward
from .explain import (
    Contribution,
    Routing,
    Tie,
    contributions,
    partial_tie_corner,
    routing,
    selection_matrix,
    tie_counts,
    tie_report,
    tied_cells,
    win_counts,
    window_values,
    winner_mask,
)
from .frameworks import (
    FRAMEWORKS,
    PADDING_MODES,
    FrameworkPool,
    framework_padding,
    framework_pool2d,
    pytorch_settings,
    same_padding,
    torch_equivalent,
    window_cells,
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
    MaxPool1dResult,
    MaxPoolResult,
    check_tie_policy,
    max_pool2d,
    max_pool2d_backward,
    tied_mask,
    window_weights,
)
from .onedim import max_pool1d, max_pool1d_backward
from .smooth import SmoothMaxPoolResult, check_temperature, smooth_max_pool2d, smooth_max_pool2d_backward
from .unpool import SwitchCollision, max_unpool2d, switch_collisions

__all__ = [
    "FRAMEWORKS",
    "PADDING_MODES",
    "TIE_POLICIES",
    "AdaptiveGeometry",
    "AvgPoolResult",
    "Contribution",
    "FiniteDifferences",
    "FrameworkPool",
    "MaxPool1dResult",
    "MaxPoolResult",
    "PoolGeometry",
    "Routing",
    "SmoothMaxPoolResult",
    "SubgradientVerdict",
    "SwitchCollision",
    "Tie",
    "adaptive_bounds",
    "adaptive_geometry",
    "adaptive_max_pool2d",
    "as_pair",
    "avg_pool2d",
    "avg_pool2d_backward",
    "check_subgradient",
    "check_temperature",
    "check_tie_policy",
    "contributions",
    "default_step",
    "finite_differences",
    "framework_padding",
    "framework_pool2d",
    "max_pool1d",
    "max_pool1d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_unpool2d",
    "output_size",
    "pool_geometry",
    "pytorch_settings",
    "relative_error",
    "routing",
    "runner_up_gap",
    "same_padding",
    "selection_matrix",
    "smooth_max_pool2d",
    "smooth_max_pool2d_backward",
    "switch_collisions",
    "tie_counts",
    "tied_cells",
    "tie_report",
    "tied_mask",
    "torch_equivalent",
    "win_counts",
    "window_cells",
    "window_values",
    "window_weights",
    "winner_mask",
    "partial_tie_corner",
]
