"""The project as a package: ``pip install .`` and ``pip install -e .`` give importable layers from any
folder, the dependencies are requirements.txt's, and the ``maxpool-explainer`` command finds and starts
the app's ``app.py`` even from a wheel (where app.py and pages/ are not modules).

Installs go into a temporary folder from a copy of the tree (so no build/ or *.egg-info appears in the
checkout), without dependencies and without build isolation: nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import free_port, stop_server, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "artifacts",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    "screenshots",
    "golden",
)


def _can_build_wheels() -> str | None:
    """Why this interpreter cannot build the project without downloading, or None."""
    try:
        import setuptools
    except ImportError:
        return "setuptools is not installed (requirements-dev.txt lists it)"
    major = int(setuptools.__version__.split(".")[0])
    if major < 70:  # bdist_wheel moved into setuptools in 70.1; before, it needed the wheel package
        try:
            import wheel  # noqa: F401
        except ImportError:
            return f"setuptools {setuptools.__version__} needs the wheel package to build a wheel"
    return None


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    reason = _can_build_wheels()
    if reason:
        if IN_CI:
            pytest.fail(f"packaging tests must run in CI: {reason}")
        pytest.skip(reason)
    copy = tmp_path_factory.mktemp("src") / "maxpool"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCE)
    return copy


def _pip(*args: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            *args,
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--no-input",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(source, tmp_path_factory) -> Path:
    """``pip install .`` (a real wheel build) into a target folder; the folder."""
    target = tmp_path_factory.mktemp("target")
    _pip("install", "--target", str(target), str(source))
    return target


@pytest.fixture()
def elsewhere(tmp_path) -> Path:
    """A folder that holds nothing of the project, to run from."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def run_python(
    code: str, cwd: Path, *, path: Path | None = None, site_dir: Path | None = None, timeout: float = 120
) -> str:
    """Run ``code`` in a fresh interpreter in ``cwd`` that sees the install but not the checkout; its stdout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    if path is not None:
        env["PYTHONPATH"] = str(path)
    prelude = f"import site; site.addsitedir({str(site_dir)!r})\n" if site_dir else ""
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def requirement_lines() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_pip_install_gives_importable_layers_from_any_folder(installed, elsewhere):
    out = run_python(
        """
        import pooling, figures, ui.codec
        res = pooling.max_pool2d([[1.0, 3.0], [3.0, 2.0]], 2)
        print(pooling.__file__, figures.__file__, ui.codec.__file__)
        print(res.out.tolist(), res.indices.tolist())
        """,
        cwd=elsewhere,
        path=installed,
    )
    files, result = out.splitlines()
    assert all(Path(f).is_relative_to(installed) for f in files.split()), files
    # [[1, 3], [3, 2]]: the max 3 first appears at flat index 1 (row 0, column 1), as PyTorch picks.
    assert result == "[[3.0]] [[1]]"


def test_the_package_depends_on_requirements_txt_and_names_the_command(installed):
    (dist_info,) = installed.glob("maxpool_backprop_explainer-*.dist-info")
    metadata = (dist_info / "METADATA").read_text()
    declared = sorted(re.findall(r"^Requires-Dist: (.+)$", metadata, flags=re.M))

    def canonical(requirement: str) -> str:
        # METADATA orders a specifier set its own way: compare names and sorted specifiers.
        name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", requirement).groups()
        return name.lower() + ",".join(sorted(s.strip() for s in spec.split(",") if s.strip()))

    assert sorted(map(canonical, declared)) == sorted(map(canonical, requirement_lines()))
    assert not any(d.lower().startswith("torch") for d in declared)
    entry_points = (dist_info / "entry_points.txt").read_text()
    assert re.search(r"^maxpool-explainer = maxpool_explainer\.cli:main$", entry_points, flags=re.M)
    top_level = {p.name for p in installed.iterdir() if (p / "__init__.py").is_file()}
    assert {"pooling", "figures", "ui", "maxpool_explainer"} <= top_level
    assert not top_level & {"tests", "benchmarks", "scripts", "deploy", "pages"}


def test_the_command_finds_the_bundled_app_with_every_page(installed, elsewhere):
    out = run_python(
        """
        import ui.images
        from maxpool_explainer.cli import app_dir
        print(app_dir()); print(ui.images.SAMPLE_PATH)
        """,
        cwd=elsewhere,
        path=installed,
    )
    app, sample = map(Path, out.splitlines())
    assert app == installed / "maxpool_explainer" / "app"
    pages = re.findall(r'"(pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text())
    assert pages and all((app / page).is_file() for page in pages), pages
    for name in ("app.py", ".streamlit/config.toml", "assets/sample.png"):
        assert (app / name).read_bytes() == (ROOT / name).read_bytes(), name
    assert sample == app / "assets" / "sample.png"


def test_the_bundled_app_runs_from_the_install(installed, elsewhere):
    out = run_python(
        """
        from streamlit.testing.v1 import AppTest
        from maxpool_explainer.cli import app_dir
        at = AppTest.from_file(str(app_dir() / "app.py"), default_timeout=60).run()
        assert not at.exception, at.exception
        print(at.title[0].value)
        at.switch_page("pages/images.py").run()
        assert not at.exception and not at.error, (at.exception, at.error)
        """,
        cwd=elsewhere,
        path=installed,
        timeout=180,
    )
    assert "Max pooling" in out


def test_the_console_script_starts_the_server(installed, elsewhere):
    script = installed / "bin" / "maxpool-explainer"
    assert "maxpool_explainer.cli" in script.read_text()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(installed)}
    log = open(elsewhere / "server.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, str(script), "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=elsewhere,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        with urllib.request.urlopen(base_url + "/", timeout=10) as response:
            assert response.status == 200 and b"<html" in response.read().lower()
    finally:
        stop_server(process)
        log.close()


def test_editable_install_runs_the_checkouts_own_files(source, tmp_path, elsewhere):
    prefix = tmp_path / "prefix"
    _pip("install", "--prefix", str(prefix), "-e", str(source))
    (site_dir,) = prefix.glob("lib/python*/site-packages")
    out = run_python(
        """
        import pooling
        from maxpool_explainer.cli import app_dir
        print(pooling.__file__); print(app_dir())
        """,
        cwd=elsewhere,
        site_dir=site_dir,
    )
    pooling_file, app = map(Path, out.splitlines())
    assert pooling_file == source / "pooling" / "__init__.py"
    assert app == source
