"""The repository's promises: the README's commands, CI running the same test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    run, test = commands
    assert run == "pip install -r requirements.txt && streamlit run app.py"
    assert test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def test_torch_is_never_an_app_dependency():
    lines = (ROOT / "requirements.txt").read_text().lower().splitlines()
    packages = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    assert packages and not any(p.startswith("torch") for p in packages)
    assert "torch==2.13.0" in (ROOT / "requirements-dev.txt").read_text()


def test_every_page_leaves_streamlits_pages_folder_mode_first():
    # A deep link on a fresh server would otherwise run the page without app.py (see ui/shell.py).
    for page in sorted((ROOT / "pages").glob("*.py")):
        assert "shell.leave_pages_folder_mode()" in page.read_text(), page.name
