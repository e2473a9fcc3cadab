"""The README's quick start stays true: its main command runs, and its Python example works."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tnpu.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def quick_start_lines() -> list[str]:
    block = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]


def test_quick_start_is_two_commands():
    lines = quick_start_lines()
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && tnpu ")
    assert lines[1] == 'pip install ".[test]" && pytest'


@pytest.mark.slow
def test_main_command_runs(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    cmd = shlex.split(quick_start_lines()[0].split("&&", 1)[1].split("#", 1)[0])
    assert cmd[0] == "tnpu"
    assert main(cmd[1:]) == 0
    out = capsys.readouterr().out
    assert "speedup over DNPU" in out
    assert "bandwidth sensitivity" in out


def test_python_example_runs(monkeypatch, capsys, tmp_path):
    # From an empty directory: the example needs no file of the repository.
    monkeypatch.chdir(tmp_path)
    code = README.split("## Python", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own example
    out = capsys.readouterr().out
    assert "at 500 ns:" in out


@pytest.mark.parametrize("link", re.findall(r"\]\(([^)#]+)\)", README))
def test_relative_links_exist(link):
    if "://" not in link:
        assert (REPO / link).exists(), link
