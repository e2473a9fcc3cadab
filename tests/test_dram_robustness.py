"""Every policy combination drains every request, deterministically, within peak bandwidth (no deadlock)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from tnpu import _core
from tnpu.dram import load_dram_config, replay_dram


@pytest.fixture(scope="module")
def mixed_trace(tmp_path_factory) -> Path:
    rng = np.random.default_rng(11)
    n = 3000
    # Mixed locality: half sequential, half random over 64 MiB; a third writes; some repeated addresses.
    seq = np.arange(n // 2) * 64
    rnd = rng.integers(0, (64 << 20) // 64, n - n // 2) * 64
    addrs = np.empty(n, dtype=np.uint64)
    addrs[0::2] = seq
    addrs[1::2] = rnd
    addrs[100:110] = addrs[90:100]
    writes = (rng.random(n) < 0.33).astype(np.uint8)
    path = tmp_path_factory.mktemp("mix") / "mixed.dramsim3.trace"
    w = _core.DramTraceWriter(str(path), "dramsim3")
    w.write(writes, addrs, np.sort(rng.integers(0, 20_000, n)).astype(np.uint64))
    w.close()
    return path


COMBOS = list(
    itertools.product(
        [0, 1, 4],  # bank_queue_size
        ["open", "closed"],
        ["rank_staggered", "all_ranks", "none"],
        ["watermark", "dramsim3"],
        [False, True],  # promote_activated
    )
)


@pytest.mark.parametrize(("bq", "page", "refresh", "drain", "promote"), COMBOS)
def test_policies_drain_everything(mixed_trace, bq, page, refresh, drain, promote):
    cfg = load_dram_config(
        "ddr4-2400",
        {
            "bank_queue_size": bq,
            "page_policy": page,
            "refresh_policy": refresh,
            "write_drain": drain,
            "promote_activated": promote,
            "read_queue_size": 2,
            "write_queue_size": 3,
            "row_hit_cap": 2,
            "tREFI": 700,
            "tRFC": 120,
        },
    )
    res = replay_dram(mixed_trace, cfg)
    assert res.requests == 3000
    assert res.cmd_rd + res.forwarded_reads == res.reads
    assert res.cmd_wr == res.writes
    assert res.bandwidth_gbps <= res.peak_bandwidth_gbps
    again = replay_dram(mixed_trace, cfg)
    assert (again.cycles, again.row_hits, again.energy_pj) == (res.cycles, res.row_hits, res.energy_pj)


@pytest.mark.parametrize("preset", ["ddr3-1600", "lpddr4-3200", "hbm2", "ddr4-3200"])
def test_other_standards_drain_mixed_traffic(mixed_trace, preset):
    res = replay_dram(mixed_trace, preset)
    assert res.requests == 3000
    assert res.cmd_wr == res.writes
    assert res.cmd_ref > 0


def test_request_crossing_a_burst_is_refused():
    import tnpu
    from tnpu.errors import ConfigError

    sim = tnpu.Simulator()
    ctrl = _core.DramController(sim, "dram", load_dram_config("ddr4-2400").to_spec())
    _core.TrafficGenerator(sim, "gen", ctrl, count=4, start_address=32, size_bytes=64)
    with pytest.raises(ConfigError, match="crosses a 64 B burst"):
        sim.run()


@pytest.mark.parametrize("suffix", [".ini", ".cfg", ".toml"])
def test_garbage_config_files_raise_config_error(tmp_path, suffix):
    from tnpu.errors import ConfigError

    rng = np.random.default_rng(42)
    base = {
        ".ini": b"[dram_structure]\nprotocol = DDR4\n[timing]\ntCK = 0.83\nCL = 17\n[system]\nchannel_size = 16384\n",
        ".cfg": b"standard = DDR4\nchannels = 1\nranks = 2\nspeed = DDR4_2400U\norg = DDR4_8Gb_x8\n",
        ".toml": b'standard = "ddr4"\n[timing]\ntCL = 17\n',
    }[suffix]
    for i in range(60):
        data = bytearray(base)
        for _ in range(int(rng.integers(1, 6))):  # flip, insert or delete a few bytes
            pos = int(rng.integers(0, len(data)))
            op = int(rng.integers(0, 3))
            if op == 0:
                data[pos] = int(rng.integers(0, 256))
            elif op == 1:
                data.insert(pos, int(rng.integers(0, 256)))
            elif len(data) > 1:
                del data[pos]
        path = tmp_path / f"f{i}{suffix}"
        path.write_bytes(bytes(data))
        try:
            cfg = load_dram_config(path)
        except ConfigError:
            continue
        cfg.validate()  # whatever loads is a valid configuration
