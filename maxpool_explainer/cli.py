"""The ``maxpool-explainer`` command: run the app's ``app.py`` with Streamlit, from wherever it was installed.

A source checkout (``pip install -e .``, or no install at all) runs its own ``app.py``
and ``pages/``. A wheel (``pip install .``) carries a copy of those entry files, with
``.streamlit/config.toml`` and ``assets/``, in this package's ``app/`` folder: setup.py's
build step puts them there, because they are scripts Streamlit runs by path, not modules.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENTRY_FILES = ("app.py", "pages/explorer.py")
"""What a folder must hold to be the app: Streamlit's main script and the default page."""


def _is_app(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ENTRY_FILES)


def app_dir() -> Path:
    """The folder holding the ``app.py`` to run: the source checkout if this runs from one, else the bundled copy."""
    for folder in (HERE.parent, HERE / "app"):
        if _is_app(folder):
            return folder
    raise FileNotFoundError(
        f"no app.py with pages/ found beside {HERE} (a source checkout) or in {HERE / 'app'} (an installed wheel); "
        "reinstall with `pip install .` from the repository"
    )


def streamlit_argv(folder: Path, options: list[str]) -> list[str]:
    """The ``streamlit run`` command line for the app in ``folder``, with the user's extra options."""
    return ["streamlit", "run", str(folder / "app.py"), *options]


def main(argv: list[str] | None = None) -> None:
    """Start the app: ``maxpool-explainer [--server.port 8501] [--server.address 127.0.0.1] ...``."""
    options = sys.argv[1:] if argv is None else list(argv)
    folder = app_dir()
    # Streamlit reads .streamlit/config.toml from the working folder, not from the script's.
    os.chdir(folder)
    # Streamlit serves <app folder>/static; the linked picture puts plotly.js there (ui/linked.py).
    os.environ["MAXPOOL_STATIC_DIR"] = str(folder / "static")
    from streamlit.web import cli as streamlit_cli

    sys.argv = streamlit_argv(folder, options)
    sys.exit(streamlit_cli.main())
