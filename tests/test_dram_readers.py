"""The DRAMsim3 and Ramulator 1 readers (issue 16): every file the peers ship loads or is refused naming what tnpu-sim
does not model; unknown keys are errors naming the file, the line and the nearest key; known keys without effect are
one summary line (all of them with --verbose and in the JSON); requests smaller than a burst are served by one burst.

The "every shipped file" tests read the configs from the peers' source snapshots in ../shared/peers (skipped when
they are not there); the others use the copies in tests/data/readers.
"""

from __future__ import annotations

import re
import tarfile
import tempfile
from pathlib import Path

import pytest

from tnpu.cli import main
from tnpu.dram import DramConfig, load_dram_config, read_dramsim3_ini, read_ramulator1_cfg, replay_dram
from tnpu.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
READERS = REPO / "tests" / "data" / "readers"
INI = READERS / "DDR4_8Gb_x8_2400.ini"
CFG = READERS / "ramulator1_DDR4_2400U_8Gb_x8_2rank.cfg"
SNAPSHOTS = REPO.parent / "shared" / "peers"

# What tnpu-sim refuses among the peers' shipped files, and the words the refusal must contain.
DRAMSIM3_REFUSED = {
    "HMC2_8GB_4Lx16.ini": "protocol 'HMC' is not supported: the Hybrid Memory Cube",
    "HMC_2GB_4Lx16.ini": "protocol 'HMC' is not supported: the Hybrid Memory Cube",
    "HMC_2GB_4Lx16_dummy.ini": "protocol 'HMC' is not supported: the Hybrid Memory Cube",
    "HMC_4GB_4Lx16.ini": "protocol 'HMC' is not supported: the Hybrid Memory Cube",
    "ST-1.2x.ini": "queue_structure: 'PER_RANK' is not supported",
    "ST-1.5x.ini": "queue_structure: 'PER_RANK' is not supported",
    "ST-2.0x.ini": "queue_structure: 'PER_RANK' is not supported",
}
RAMULATOR1_REFUSED = {
    "ALDRAM-config.cfg": "standard 'ALDRAM' is not supported: adaptive-latency",
    "DSARP-config.cfg": "standard 'DSARP' is not supported",
    "SALP-config.cfg": "standard 'SALP-MASA' is not supported: subarray",
    "TLDRAM-config.cfg": "standard 'TLDRAM' is not supported: tiered-latency",
    "PCM-config.cfg": "standard 'PCM' is not supported: phase-change memory is not DRAM",
    "STTMRAM-config.cfg": "standard 'STTMRAM' is not supported: STT-MRAM is not DRAM",
}


def _shipped(peer: str, suffix: str) -> list[tuple[str, str]]:
    """(file name, text) of every config the peer ships in configs/ (from its source snapshot)."""
    tarballs = sorted(SNAPSHOTS.glob(f"{peer}-*.tar.gz"))
    if not tarballs:
        return []
    with tarfile.open(tarballs[0]) as tar:
        out = []
        for m in tar.getmembers():
            if m.isfile() and m.name.startswith("configs/") and m.name.endswith(suffix):
                data = tar.extractfile(m)
                assert data is not None
                out.append((Path(m.name).name, data.read().decode()))
    return sorted(out)


DRAMSIM3_FILES = _shipped("dramsim3", ".ini")
RAMULATOR1_FILES = _shipped("ramulator1", ".cfg")
needs_snapshots = pytest.mark.skipif(
    not DRAMSIM3_FILES, reason=f"peer source snapshots not found in {SNAPSHOTS}"
)


@needs_snapshots
def test_the_snapshots_hold_what_the_issue_lists() -> None:
    names = {n for n, _ in DRAMSIM3_FILES}
    assert len(DRAMSIM3_FILES) == 86
    assert {"HBM1_4Gb_x128.ini", "HBM2_8Gb_x128.ini", "LPDDR4_8Gb_x16_2400.ini", "GDDR5_8Gb_x32.ini"} <= names
    assert len(RAMULATOR1_FILES) == 14


@needs_snapshots
@pytest.mark.parametrize(("name", "text"), DRAMSIM3_FILES, ids=[n for n, _ in DRAMSIM3_FILES])
def test_every_dramsim3_config_loads_or_names_what_is_not_modelled(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    if name in DRAMSIM3_REFUSED:
        with pytest.raises(ConfigError, match=re.escape(DRAMSIM3_REFUSED[name])) as err:
            load_dram_config(path)
        assert re.match(rf"{re.escape(str(path))}:\d+: ", str(err.value))  # the file and the line
        return
    cfg = load_dram_config(path)
    cfg.validate()
    # Quiet: at most the one summary line plus the warnings about values DRAMsim3 replaces by its defaults.
    summaries = [n for n in cfg.notes if "have no effect here" in n]
    assert len(summaries) <= 1
    assert all(
        ("DRAMsim3 uses" in n or "so do we" in n or "so does" in n) for n in cfg.notes if n not in summaries
    )


@needs_snapshots
@pytest.mark.parametrize(("name", "text"), RAMULATOR1_FILES, ids=[n for n, _ in RAMULATOR1_FILES])
def test_every_ramulator1_config_loads_or_names_the_standard(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    if name in RAMULATOR1_REFUSED:
        with pytest.raises(ConfigError, match=re.escape(RAMULATOR1_REFUSED[name])):
            load_dram_config(path)
        return
    cfg = load_dram_config(path)
    cfg.validate()
    assert len(cfg.notes) == 2  # the energy note and the summary of the CPU-mode keys


@needs_snapshots
def test_every_ramulator1_speed_bin_and_organisation_loads(tmp_path: Path) -> None:
    from tnpu.dram._ramulator1_tables import TABLES

    path = tmp_path / "x.cfg"
    loaded = 0
    refused = []
    for standard, table in TABLES.items():
        channels = {"HBM": 8, "WideIO": 4, "WideIO2": 8, "LPDDR4": 2}.get(standard, 1)
        for org in table["org"]:
            for speed in table["speed"]:
                path.write_text(
                    f"standard = {standard}\norg = {org}\nspeed = {speed}\nchannels = {channels}\n"
                )
                try:
                    load_dram_config(path).validate()
                    loaded += 1
                except ConfigError as exc:
                    refused.append((org, str(exc)))
    # Only what Ramulator 1 itself cannot run: it has no tRFC for 12 and 16 Gb LPDDR3 ('TBD' in its source).
    assert refused
    for org, message in refused:
        assert re.fullmatch(r"LPDDR3_(12|16)Gb_x(16|32)", org), message
        assert "Ramulator 1 has no tRFC" in message
    assert loaded > 100


def test_dramsim3_typo_names_file_line_key_and_nearest_key(tmp_path: Path) -> None:
    p = tmp_path / "typo.ini"
    p.write_text(INI.read_text().replace("tRCD = 17", "tRDC = 17"))
    line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if t.startswith("tRDC"))
    with pytest.raises(
        ConfigError, match=rf"typo\.ini:{line}: \[timing\] tRDC: not a DRAMsim3 key \(did you mean tRCD\?\)"
    ):
        read_dramsim3_ini(p)
    # A key in a section DRAMsim3 does not have.
    p.write_text(INI.read_text() + "\n[timings]\ntCL = 3\n")
    with pytest.raises(ConfigError, match=r"DRAMsim3 has no section \[timings\] .*did you mean \[timing\]\?"):
        read_dramsim3_ini(p)


def test_ramulator1_typo_names_file_line_key_and_nearest_key(tmp_path: Path) -> None:
    p = tmp_path / "typo.cfg"
    p.write_text(CFG.read_text().replace("ranks = 2", "rank = 2"))
    line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if t.strip().startswith("rank "))
    with pytest.raises(
        ConfigError, match=rf"typo\.cfg:{line}: rank: not a Ramulator 1 key \(did you mean ranks\?\)"
    ):
        read_ramulator1_cfg(p)


def test_dramsim3_values_read_as_dramsim3_reads_them(tmp_path: Path) -> None:
    text = INI.read_text()
    p = tmp_path / "x.ini"
    # Case-insensitive keys, a trailing ';' comment without a space, a number followed by words.
    p.write_text(text.replace("CL = 17", "cl = 18;").replace("tCK = 0.83", "tCK = 0.83 (1200 MHz)"))
    cfg = read_dramsim3_ini(p)
    assert (cfg.tCL, cfg.tck_ps) == (18, 830)
    assert any("reads only the leading 0.83" in n for n in cfg.notes)
    # A missing or empty key takes DRAMsim3's own default, not tnpu-sim's (tRTP: 5; tRFC: 74).
    p.write_text(text.replace("tRTP = 9\n", "").replace("tRFC = 420", "tRFC ="))
    cfg = read_dramsim3_ini(p)
    assert (cfg.tRTP, cfg.tRFC) == (5, 74)
    assert any("tRFC is empty: DRAMsim3 uses its default 74" in n for n in cfg.notes)
    # Set twice: an error naming both lines (DRAMsim3 would silently take the first).
    p.write_text(text.replace("CL = 17", "CL = 17\nCL = 18"))
    with pytest.raises(ConfigError, match=r"\[timing\] CL: set twice \(also on line \d+"):
        read_dramsim3_ini(p)


@needs_snapshots
def test_shipped_files_that_dramsim3_misreads_say_so() -> None:
    # DRAMsim3's DDR3 files spell tREFI "REFI", a key DRAMsim3 never reads: it runs with its default 7800, and so
    # must we; its HBM files give tRTP_L/tRTP_S, which it never reads either (its default tRTP 5 applies).
    text = dict(DRAMSIM3_FILES)
    for name, key, value in (("DDR3_8Gb_x8_1600.ini", "tREFI", 7800), ("HBM2_8Gb_x128.ini", "tRTP", 5)):
        cfg = _load_text(name, text[name])
        assert getattr(cfg, key) == value
        assert any(f"did you mean {key}?" in n and f"default {value}" in n for n in cfg.notes), cfg.notes


def _load_text(name: str, text: str) -> DramConfig:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        p.write_text(text)
        return load_dram_config(p)


@needs_snapshots
def test_dramsim3_hbm_is_eight_128_bit_channels_with_dual_command() -> None:
    cfg = _load_text("HBM2_8Gb_x128.ini", dict(DRAMSIM3_FILES)["HBM2_8Gb_x128.ini"])
    assert (cfg.standard, cfg.channels, cfg.bus_width, cfg.burst_length) == ("hbm", 8, 128, 4)
    # DRAMsim3 counts HBM columns of 2 x 128 bits: 64 in the file are 128, i.e. 32 bursts of 64 B per 2 KB row.
    assert cfg.columns == 128
    assert (cfg.tRCD, cfg.tRCDWR, cfg.dual_command) == (14, 0, True)


def test_requests_smaller_than_a_burst_are_served_by_one_burst(tmp_path: Path) -> None:
    # DRAMsim3's LPDDR4 file: BL16 on a 64-bit channel, 128 B bursts; the trace's 64 B requests at every 64 B.
    p = tmp_path / "lp4.ini"
    p.write_text(
        INI.read_text()
        .replace("protocol = DDR4", "protocol = LPDDR4")
        .replace("BL = 8", "BL = 16")
        .replace("bankgroups = 4", "bankgroups = 2")
    )
    cfg = read_dramsim3_ini(p)
    assert cfg.to_spec().line_bytes == 128
    trace = tmp_path / "t.trace"
    trace.write_text("".join(f"0x{i * 64:X} READ 0\n" for i in range(64)))
    res = replay_dram(trace, cfg)
    assert (res.requests, res.bytes, res.cmd_rd) == (64, 64 * 64, 64)  # one burst (RD) per request


def test_tnpu_run_refuses_a_typo_instead_of_running_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    p = tmp_path / "typo.ini"
    p.write_text(INI.read_text().replace("tRCD = 17", "tRDC = 30"))
    assert main(["run", "--model", "lenet5", "--batch", "1", "--dram", str(p)]) == 1
    err = capsys.readouterr().err
    assert "tRDC: not a DRAMsim3 key (did you mean tRCD?)" in err
    # A good file runs and says, in one line, that some of its keys have no effect.
    assert main(["run", "--model", "lenet5", "--batch", "1", "--dram", str(INI)]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "note:" in line]
    assert len(notes) == 1
    assert "have no effect here" in notes[0]
