"""The repository's promises: the README's commands, CI running the same test command."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    run, test = commands
    # A system Python on Debian 12 / Ubuntu 24.04 / Homebrew refuses a bare `pip install`
    # (externally managed) and may have no `python`: each command makes its own venv and uses it.
    assert run == "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && .venv/bin/streamlit run app.py"
    steps = test.split(" && ")
    assert steps[-3:] == ["python3 -m venv .venv", ".venv/bin/pip install -r requirements-dev.txt",
                          ".venv/bin/python -m pytest"]
    assert not any(step.startswith(("pip ", "python ")) for step in steps)


def test_the_test_command_installs_every_system_package_the_suite_needs():
    test = readme_commands()[1]
    apt_install = next(step for step in test.split(" && ") if step.startswith("apt-get install -y "))
    packages = set(apt_install.removeprefix("apt-get install -y ").split())
    # Browser tests (Chromium), the replica test (nginx), the class-mode Redis store, and venv on Debian.
    assert {"chromium", "nginx", "redis-server", "python3-venv"} <= packages
    readme = (ROOT / "README.md").read_text()
    assert all(f"**{name}**" in readme.lower() for name in ("chromium", "nginx", "redis-server"))


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def _fake_bin(tmp_path, pytest_status: int):
    """A PATH where apt-get succeeds and the venv's python 'runs pytest' with ``pytest_status``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {
        "apt-get": "exit 0",
        "python3": 'mkdir -p .venv/bin\n'
        'printf "#!/bin/sh\\nexit 0\\n" > .venv/bin/pip\n'
        f'printf "#!/bin/sh\\nexit {pytest_status}\\n" > .venv/bin/python\n'
        "chmod +x .venv/bin/pip .venv/bin/python",
    }.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


@pytest.mark.parametrize(("pytest_status", "ci_status"), [(0, 0), (1, 1), (5, 1)])
def test_ci_passes_on_pytest_exit_codes_and_fails_when_nothing_ran(tmp_path, pytest_status, ci_status):
    copy = tmp_path / "repo"
    (copy / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", copy / ".ci" / "run")
    env = _fake_bin(tmp_path, pytest_status)
    done = subprocess.run(["bash", str(copy / ".ci" / "run")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == ci_status, done.stdout + done.stderr
    assert (copy / ".venv" / "bin" / "python").exists()  # the command ran inside the repository


def test_torch_is_never_an_app_dependency():
    lines = (ROOT / "requirements.txt").read_text().lower().splitlines()
    packages = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    assert packages and not any(p.startswith("torch") for p in packages)
    assert "torch==2.13.0" in (ROOT / "requirements-dev.txt").read_text()


def test_every_page_leaves_streamlits_pages_folder_mode_first():
    # A deep link on a fresh server would otherwise run the page without app.py (see ui/shell.py).
    for page in sorted((ROOT / "pages").glob("*.py")):
        assert "shell.leave_pages_folder_mode()" in page.read_text(), page.name


def test_a_test_run_keeps_screenshots_out_of_tracked_files():
    from tests.browser.conftest import SCREENSHOTS

    probe = SCREENSHOTS / "explorer.png"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=ROOT)
    if ignored.returncode == 128:  # not a git checkout (an unpacked archive): check the rule itself
        assert "/artifacts/" in (ROOT / ".gitignore").read_text().splitlines()
    else:
        assert ignored.returncode == 0, f"{probe} would be tracked by git"
    assert not SCREENSHOTS.is_relative_to(ROOT / "docs")


def test_refresh_screenshots_copies_new_and_changed_pictures_only(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import refresh_screenshots
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    source, target = tmp_path / "artifacts", tmp_path / "docs"
    source.mkdir()
    target.mkdir()
    (source / "same.png").write_bytes(b"same")
    (target / "same.png").write_bytes(b"same")
    (source / "changed.png").write_bytes(b"new")
    (target / "changed.png").write_bytes(b"old")
    (source / "added.png").write_bytes(b"added")
    assert refresh_screenshots.copy_screenshots(source, target) == ["added.png", "changed.png"]
    assert (target / "changed.png").read_bytes() == b"new" and (target / "added.png").read_bytes() == b"added"


DOCS = ["README.md", "docs/CONTRIBUTING.md", "docs/deploy.md", "docs/load.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FILE_IN_BACKTICKS = re.compile(r"`([^`\s]+\.(?:md|py|toml|txt|sh|yaml|template|png))`")


@pytest.mark.parametrize("doc", DOCS)
def test_docs_point_only_at_files_that_exist(doc):
    text = (ROOT / doc).read_text()
    here = (ROOT / doc).parent
    missing = []
    for target in LINK.findall(text):
        if "://" not in target and not (here / target).exists():
            missing.append(target)
    for target in FILE_IN_BACKTICKS.findall(text):
        if not any((base / target).exists() for base in (here, ROOT)):
            missing.append(target)
    assert not missing, f"{doc} points at files that are not in the repository: {missing}"
