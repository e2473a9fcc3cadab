"""The sample traces in traces/: each one reads cleanly and is exactly what the command in traces/README.md makes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tnpu import cli, traces

TRACES = Path(__file__).resolve().parents[1] / "traces"
README = TRACES / "README.md"


def _commands() -> list[list[str]]:
    text = README.read_text()
    return [shlex.split(m) for m in re.findall(r"^tnpu (trace gen .*)$", text, flags=re.MULTILINE)]


def test_every_sample_file_has_a_command_and_every_format_has_a_sample() -> None:
    made = {cmd[cmd.index("-o") + 1] for cmd in _commands()}
    present = {p.name for p in TRACES.iterdir() if p.is_file() and p.name != "README.md"}
    assert made == present
    formats = {traces.detect_format(TRACES / name) for name in present}
    assert formats == set(traces.FORMATS)
    assert any(name.endswith(".gz") for name in present)
    assert sum(p.stat().st_size for p in TRACES.iterdir() if p.is_file()) < 100_000


@pytest.mark.parametrize("cmd", _commands(), ids=lambda c: c[c.index("-o") + 1])
def test_the_readme_command_reproduces_the_sample_byte_for_byte(
    cmd: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(cmd) == 0
    capsys.readouterr()
    name = cmd[cmd.index("-o") + 1]
    assert (tmp_path / name).read_bytes() == (TRACES / name).read_bytes()
    n = int(cmd[cmd.index("-n") + 1])
    assert sum(len(c) for c in traces.read_dram_trace(TRACES / name)) == n
