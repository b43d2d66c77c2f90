"""What every run does around the page itself: the shared sidebar controls, the page, the URL."""

from __future__ import annotations

from collections.abc import Callable

from ui import controls, state


def frame(run_page: Callable[[], object]) -> None:
    """Draw the shared sidebar controls, run the page, then write the view into the URL."""
    controls.sidebar_controls()
    run_page()
    state.sync_url()
