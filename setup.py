"""Build hook only (the metadata is in pyproject.toml): ship the app's entry files inside the launcher package.

``app.py``, ``pages/``, ``.streamlit/config.toml`` and ``assets/`` are files Streamlit runs
or reads by path, not importable modules, so a wheel would leave them out. This copies them
into ``maxpool_explainer/app/`` of the build, where ``maxpool_explainer.cli.app_dir`` finds
them after ``pip install .``. An editable install needs no copy: it runs the checkout's files.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
APP_FILES = ("app.py", "pages/*.py", ".streamlit/config.toml", "assets/*.png")


class BuildPyWithApp(build_py):
    """The usual build_py, then the app's entry files copied into the launcher package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "maxpool_explainer" / "app"
        for pattern in APP_FILES:
            for source in sorted(ROOT.glob(pattern)):
                destination = target / source.relative_to(ROOT)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)


setup(cmdclass={"build_py": BuildPyWithApp})
