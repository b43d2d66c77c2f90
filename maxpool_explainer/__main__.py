"""``python -m maxpool_explainer [streamlit options]``: the same as the ``maxpool-explainer`` command."""

from maxpool_explainer.cli import main

main()
