"""The Ramulator 1 ``.cfg`` reader: the DRAM part of every standard Ramulator 1 ships that tnpu-sim models.

Ramulator 1 (CMU-SAFARI/ramulator, ``--mode=dram``) takes a standard, an organisation and a speed bin by name
(``standard = DDR4``, ``org = DDR4_8Gb_x8``, ``speed = DDR4_2400U``), channels and ranks. Its tables
(``_ramulator1_tables.py``, transcribed from its headers), what its ``init_speed()`` derives from them (tRFC, tFAW,
tREFI... by density and speed), and its timing rules (``init_timing()``) map onto tnpu-sim's DDR-family table:

- DDR3, DDR4 (every speed bin, DDR4_3200 included), LPDDR3, LPDDR4, GDDR5, HBM, WideIO, WideIO2;
- a burst is ``prefetch_size`` beats over ``channel_width`` bits (WideIO2: twice its table's width, as Ramulator's
  main() doubles it), taking nBL clocks: ``data_rate`` = prefetch / nBL (WideIO is single data rate);
- LPDDR3/4, WideIO, WideIO2 return read data nDQSCK later (their ``read_latency``): folded into tCL, which keeps
  their read-to-write turnaround (``nCL + nBL + nDQSCK + 1 - nCWL``) exact with tRTW = 1; their write-to-read
  ``nCWL + nBL + nWTR + 1`` becomes tWTR + 1; WideIO2's write paths ``nCWL + 1`` become tCWL;
- a refresh is an all-bank REF of every rank every nREFI (Ramulator's Refresh.h), tRFC = nRFC / nRFCab;
- Ramulator's controller: 32-entry read and write queues, FR-FCFS with a row-hit cap of 16, open rows,
  ``RoBaRaCoCh``, write mode between 80 % and 20 % of the write queue, activated requests moved to its ``actq``,
  a pending refresh holds the channel; WR to WR on another rank has no rank-switch gap (no such rule).

Refused, naming the standard: the research standards (SALP, ALDRAM, TLDRAM, DSARP: subarray-level parallelism,
adaptive latency, tiered bitlines, refresh-access parallelism), PCM and STT-MRAM (not DRAM). Keys Ramulator uses only
outside ``--mode=dram`` are listed in ``ignored_keys``; any other unknown key is an error naming the line and the
nearest known key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tnpu._text import read_text_file
from tnpu.dram._keys import IgnoredKey, did_you_mean, peer_config
from tnpu.dram._ramulator1_tables import TABLES
from tnpu.dram.config import DramConfig
from tnpu.errors import ConfigError

REFUSED = {
    "SALP-1": "subarray-level parallelism (SALP) is not modelled",
    "SALP-2": "subarray-level parallelism (SALP) is not modelled",
    "SALP-MASA": "subarray-level parallelism (SALP-MASA) is not modelled",
    "ALDRAM": "adaptive-latency DRAM (temperature-dependent timing) is not modelled",
    "TLDRAM": "tiered-latency DRAM (near and far segments) is not modelled",
    "DSARP": "refresh-access parallelism (DSARP) is not modelled",
    "PCM": "phase-change memory is not DRAM and is not modelled",
    "STTMRAM": "STT-MRAM is not DRAM and is not modelled",
}
# Keys Ramulator 1 knows (Config.cpp, Main.cpp, Memory.h, MemoryFactory): used here, or only outside --mode=dram.
_USED = ("standard", "org", "speed", "channels", "ranks")
_OUTSIDE_DRAM_MODE = {
    "cpu_tick": "CPU-trace mode only",
    "mem_tick": "CPU-trace mode only",
    "early_exit": "CPU-trace mode only",
    "expected_limit_insts": "CPU-trace mode only",
    "warmup_insts": "CPU-trace mode only",
    "cache": "CPU-trace mode only",
    "translation": "CPU-trace mode only",
    "record_cmd_trace": "command-trace output",
    "print_cmd_trace": "command-trace output",
    "cmd_trace_prefix": "command-trace output",
    "subarrays": "subarray standards only",
    "trace_type": "set by --mode",
}


def _parse(path: Path, text: str) -> dict[str, tuple[str, int]]:
    """Ramulator's reading: ``key = value`` or ``key value`` per line, ``#`` comments."""
    kv: dict[str, tuple[str, int]] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].replace("=", " ").split()
        if not line:
            continue
        if len(line) != 2:
            raise ConfigError(f"{path}:{lineno}: expected 'key = value', got '{raw.strip()}'")
        key, value = line
        if key in kv:
            raise ConfigError(f"{path}:{lineno}: {key}: set twice (also on line {kv[key][1]})")
        kv[key] = (value, lineno)
    return kv


def _speed_ddr3(s: dict[str, Any], org: dict[str, Any]) -> None:
    page = (org["dq"] * org["count"][-1]) >> 13
    rrd_faw = {800: (4, 16, 4, 20), 1066: (4, 20, 6, 27), 1333: (4, 20, 5, 30), 1600: (5, 24, 6, 32),
               1866: (5, 26, 6, 33), 2133: (5, 27, 6, 34)}[s["rate"]]  # fmt: skip
    s["nRRD"], s["nFAW"] = rrd_faw[0:2] if page == 1 else rrd_faw[2:4]
    rfc = {
        800: (36, 44, 64, 104, 140),
        1066: (48, 59, 86, 139, 187),
        1333: (60, 74, 107, 174, 234),
        1600: (72, 88, 128, 208, 280),
        1866: (84, 103, 150, 243, 327),
        2133: (96, 118, 171, 278, 374),
    }
    chip = {512: 0, 1 << 10: 1, 1 << 11: 2, 1 << 12: 3}.get(org["size_mb"], 4)  # fmt: skip
    s["nRFC"] = rfc[s["rate"]][chip]


def _speed_ddr4(s: dict[str, Any], org: dict[str, Any]) -> None:
    speed = {1600: 0, 1866: 1, 2133: 2, 2400: 3, 3200: 4}[s["rate"]]
    density = {2: 0, 4: 1, 8: 2}[org["size_mb"] >> 10]
    x16 = 1 if org["dq"] == 16 else 0
    s["nRRDS"] = ((4, 4, 4, 4, 4), (5, 5, 6, 7, 9))[x16][speed]
    s["nRRDL"] = ((5, 5, 6, 6, 8), (6, 6, 7, 8, 11))[x16][speed]
    s["nFAW"] = ((16, 16, 16, 16, 16), (20, 22, 23, 26, 34), (28, 28, 32, 36, 48))[
        0 if org["dq"] == 4 else 1 if org["dq"] == 8 else 2
    ][speed]
    s["nRFC"] = ((128, 150, 171, 192, 256), (208, 243, 278, 312, 416), (280, 327, 374, 420, 560))[density][
        speed
    ]
    s["nREFI"] = (6240, 7280, 8320, 9360, 12480)[speed]


def _speed_lpddr3(s: dict[str, Any], org: dict[str, Any]) -> None:
    speed = {1333: 0, 1600: 1, 1866: 2, 2133: 3}[s["rate"]]
    density = {4: 0, 6: 1, 8: 2}.get(org["size_mb"] >> 10)
    if density is None:
        raise ValueError("Ramulator 1 has no tRFC for 12 Gb and 16 Gb LPDDR3 ('TBD')")
    s["nRFCab"] = ((87, 104, 122, 139), (140, 168, 196, 224), (140, 168, 196, 224))[density][speed]


def _speed_lpddr4(s: dict[str, Any], org: dict[str, Any]) -> None:
    speed = {1600: 0, 2400: 1, 3200: 2}[s["rate"]]
    density = {2: 0, 3: 1, 4: 2}[org["size_mb"] >> 10]
    s["nRFCab"] = ((104, 156, 208), (144, 216, 288), (144, 216, 288))[density][speed]
    s["nREFI"] = (3124, 4685, 6247)[speed]


def _speed_gddr5(s: dict[str, Any], org: dict[str, Any]) -> None:
    speed = {4000: 0, 4500: 1, 5000: 2, 5500: 3, 6000: 4, 6500: 5, 7000: 6}[s["rate"]]
    density = {1: 0, 2: 1, 4: 2, 8: 3, 16: 4}[org["size_mb"] >> 9]
    refil = (3900, 4388, 4875, 5363, 5850, 6338, 6825)
    refis = (1900, 2138, 2375, 2613, 2850, 3088, 3325)
    s["nREFI"] = (refil if org["size_mb"] <= 1024 else refis)[speed]
    s["nRFC"] = ((90, 102, 113, 124, 135, 147, 158), (110, 124, 138, 152, 165, 179, 193),
                 (160, 180, 200, 220, 240, 260, 280), (260, 293, 325, 358, 390, 423, 455),
                 (350, 394, 438, 482, 525, 569, 613))[density][speed]  # fmt: skip


def _speed_hbm(s: dict[str, Any], org: dict[str, Any]) -> None:
    density = {1: 0, 2: 1, 4: 2}[org["size_mb"] >> 10]
    s["nRFC"] = (55, 80, 130)[density]


def _speed_wideio(s: dict[str, Any], org: dict[str, Any]) -> None:
    speed = {200: 0, 266: 1}[s["rate"]]
    density = {1: 0, 2: 1, 4: 2, 8: 3}[org["size_mb"] >> 8]
    s["nRFC"] = ((18, 26, 26, 42), (24, 35, 35, 56))[speed][density]
    s["nREFI"] = ((3120, 1560, 780, 780), (4160, 2080, 1040, 520))[speed][density]


def _org_wideio2(channels: int) -> dict[str, Any]:
    # WideIO2::WideIO2(): the 8 Gb die split over 4 or 8 channels.
    if channels == 4:
        return {"size_mb": 2 << 10, "dq": 64, "count": [4, 0, 8, 1 << 13, 1 << 9]}
    if channels == 8:
        return {"size_mb": 1 << 10, "dq": 64, "count": [8, 0, 4, 1 << 14, 1 << 8]}
    raise ValueError("the WideIO2 interface has 4 or 8 channels")


def _speed_none(s: dict[str, Any], org: dict[str, Any]) -> None:
    """WideIO2: every value is in its speed table."""


_INIT_SPEED: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "DDR3": _speed_ddr3,
    "DDR4": _speed_ddr4,
    "LPDDR3": _speed_lpddr3,
    "LPDDR4": _speed_lpddr4,
    "GDDR5": _speed_gddr5,
    "HBM": _speed_hbm,
    "WideIO": _speed_wideio,
    "WideIO2": _speed_none,
}
_STANDARD = {
    "DDR3": "ddr3",
    "DDR4": "ddr4",
    "LPDDR3": "lpddr3",
    "LPDDR4": "lpddr4",
    "GDDR5": "gddr5",
    "HBM": "hbm",
    "WideIO": "wideio",
    "WideIO2": "wideio2",
}
_FIXED_RANKS = {"GDDR5": (1,), "WideIO": (1,), "WideIO2": (1, 2)}


def _timing(std: str, s: dict[str, Any]) -> dict[str, Any]:
    """Ramulator's init_timing() of standard ``std`` in tnpu-sim's DDR-family fields."""

    def g(key: str, default: Any = None) -> Any:
        return s.get(key, default)

    dqsck = g("nDQSCK", 0) if std in ("LPDDR3", "LPDDR4", "WideIO", "WideIO2") else 0
    cl = s["nCL"] + dqsck
    cwl = s["nCWL"] + (1 if std == "WideIO2" else 0)
    bl = s["nBL"]
    ccd_s = g("nCCDS", g("nCCD"))
    ccd_l = g("nCCDL", ccd_s)
    # Read-to-write in one rank: cl + bl + tRTW - cwl.
    rd_to_wr = {
        "DDR3": s["nCL"] + g("nCCD", 0) + 2 - s["nCWL"],
        "DDR4": s["nCL"] + bl + 2 - s["nCWL"],
        "LPDDR3": cl + bl + 1 - s["nCWL"],
        "LPDDR4": cl + bl + 1 - s["nCWL"],
        "GDDR5": s["nCL"] + ccd_s + 2 - s["nCWL"],
        "HBM": s["nCL"] + ccd_s + 2 - s["nCWL"],
        "WideIO": g("nRTW", 0),
        "WideIO2": s["nCL"] + dqsck + bl + 1 - s["nCWL"],
    }[std]
    rtw = rd_to_wr - (cl + bl - cwl)
    if rtw < 0:
        raise ValueError(f"read-to-write of {rd_to_wr} cycles is shorter than tCL + tBL - tCWL")
    wtr_extra = 1 if std in ("LPDDR3", "LPDDR4") else 0
    wtr_s = g("nWTRS", g("nWTR")) + wtr_extra
    wtr_l = g("nWTRL", g("nWTR")) + wtr_extra
    rrd_s = g("nRRDS", g("nRRD"))
    rrd_l = g("nRRDL", rrd_s)
    out: dict[str, Any] = {
        "tCL": cl,
        "tCWL": cwl,
        "tRCD": g("nRCDR", g("nRCD")),
        "tRCDWR": g("nRCDW", 0),
        "tRP": g("nRPpb", g("nRP")),
        "tRAS": s["nRAS"],
        "tRC": s["nRC"],
        "tCCD_S": ccd_s,
        "tCCD_L": ccd_l,
        "tRRD_S": rrd_s,
        "tRRD_L": rrd_l,
        "tFAW": g("nTAW", g("nFAW")),
        "faw_window": 2 if std == "WideIO" else 4,
        "t32AW": g("n32AW", 0),
        "tPPD": g("nPPD", 0),
        "tWTR_S": wtr_s,
        "tWTR_L": wtr_l,
        "tRTP": s["nRTP"],
        "tWR": s["nWR"],
        "tRTRS": g("nRTRS", 0),
        "tRTW": rtw,
        "tRFC": g("nRFCab", g("nRFC")),
        "tREFI": s["nREFI"],
    }
    if out["tRCDWR"] == out["tRCD"]:
        out["tRCDWR"] = 0
    return out


def read_ramulator1_cfg(path: str | Path) -> DramConfig:
    """Read the DRAM part of a Ramulator 1 ``.cfg`` file, with Ramulator 1's own controller policies.

    Parameters
    ----------
    path
        A Ramulator 1 config (``key = value`` lines, ``#`` comments) naming a standard, an ``org`` and a
        ``speed`` of that standard's tables, ``channels`` and ``ranks``.

    Returns
    -------
    DramConfig
        ``ignored_keys``: the keys used only outside DRAM trace mode; ``notes``: one line summing them up, and
        that Ramulator has no IDD currents (the energy uses tnpu-sim's DDR4 defaults).

    Raises
    ------
    ConfigError
        Unreadable file, malformed line, unknown key (with the nearest known key), a standard tnpu-sim does not
        model (named, with the reason), an unknown org or speed (with the valid ones), a bad count.
    """
    p = Path(path)
    text = read_text_file(p, what="Ramulator config", not_text="not a Ramulator config (not UTF-8 text)")
    kv = _parse(p, text)
    known = (*_USED, *_OUTSIDE_DRAM_MODE, "mapping")
    unknown = [
        f"{p}:{line}: {key}: not a Ramulator 1 key{did_you_mean(key, known)}"
        for key, (_, line) in kv.items()
        if key not in known
    ]
    if unknown:
        raise ConfigError("; ".join(unknown))

    def need(key: str) -> tuple[str, int]:
        if key not in kv:
            raise ConfigError(f"{p}: '{key}' is missing (a Ramulator DRAM config needs standard, org, speed)")
        return kv[key]

    standard, std_line = need("standard")
    if standard in REFUSED:
        raise ConfigError(
            f"{p}:{std_line}: standard '{standard}' is not supported: {REFUSED[standard]} "
            f"(supported: {', '.join(TABLES)})"
        )
    if standard not in TABLES:
        raise ConfigError(
            f"{p}:{std_line}: standard '{standard}' is not a Ramulator 1 standard (supported: {', '.join(TABLES)})"
        )
    table = TABLES[standard]
    if "mapping" in kv and kv["mapping"][0] != "defaultmapping":
        raise ConfigError(
            f"{p}:{kv['mapping'][1]}: mapping: mapping files are not supported (only the default)"
        )

    def count(key: str, default: int) -> int:
        if key not in kv:
            return default
        value, lineno = kv[key]
        try:
            n = int(value, 0)
        except ValueError:
            raise ConfigError(f"{p}:{lineno}: {key}: expected a whole number, got '{value}'") from None
        if n < 1:
            raise ConfigError(f"{p}:{lineno}: {key}: must be at least 1, got {n}")
        return n

    channels = count("channels", 1)
    ranks = count("ranks", 1)
    if standard in _FIXED_RANKS and ranks not in _FIXED_RANKS[standard]:
        where = f"{p}:{kv['ranks'][1]}" if "ranks" in kv else str(p)
        raise ConfigError(
            f"{where}: ranks: {standard} has {' or '.join(map(str, _FIXED_RANKS[standard]))} rank(s)"
        )
    org_name, org_line = need("org")
    if org_name not in table["org"]:
        raise ConfigError(
            f"{p}:{org_line}: unknown {standard} org '{org_name}' (valid: {', '.join(table['org'])})"
        )
    speed_name, speed_line = need("speed")
    if speed_name not in table["speed"]:
        raise ConfigError(
            f"{p}:{speed_line}: unknown {standard} speed '{speed_name}' (valid: {', '.join(table['speed'])})"
        )
    s = dict(zip(table["speed_fields"], table["speed"][speed_name], strict=True))
    try:
        org = table["org"][org_name] or _org_wideio2(channels)
        _INIT_SPEED[standard](s, org)
        timing = _timing(standard, s)
    except (ValueError, KeyError) as exc:
        msg = exc.args[0] if isinstance(exc, ValueError) else f"no table entry for {exc}"
        raise ConfigError(f"{p}:{org_line}: {standard} {org_name} at {speed_name}: {msg}") from None
    levels = table["levels"]
    c = dict(zip(levels, org["count"], strict=True))
    prefetch = table["prefetch_size"]
    width = table["channel_width"] * (2 if standard == "WideIO2" else 1)  # Ramulator's main() doubles it
    if prefetch % s["nBL"] != 0:
        raise ConfigError(f"{p}:{speed_line}: {speed_name}: a burst of {prefetch} beats in {s['nBL']} clocks")
    values: dict[str, Any] = {
        "standard": _STANDARD[standard],
        "tck_ps": round(float(s["tCK"]) * 1000),
        "channels": channels,
        "ranks": ranks,
        "bankgroups": c.get("BankGroup", 1),
        "banks_per_group": c["Bank"],
        "rows": c["Row"],
        "columns": c["Column"],
        "device_width": min(org["dq"], width),
        "bus_width": width,
        "burst_length": prefetch,
        "data_rate": prefetch // s["nBL"],
        **timing,
        "write_rank_switch": False,  # Ramulator has no WR-to-WR rule between ranks (only the data bus, nBL)
        # Ramulator 1's controller (Controller.h, Scheduler.h, Refresh.h).
        "address_mapping": "RoBaRaCoCh",
        "read_queue_size": 32,
        "write_queue_size": 32,
        "bank_queue_size": 0,
        "page_policy": "open",
        "refresh_policy": "all_ranks",
        "write_drain": "watermark",
        "write_high_watermark": 0.8,
        "write_low_watermark": 0.2,
        "row_hit_cap": 16,
        "promote_activated": True,
        "forward_writes": True,
    }
    notes = [f"energy: Ramulator 1 has no IDD currents; tnpu-sim's DDR4 defaults are used for {standard}"]
    rows = values["rows"]
    if rows & (rows - 1):
        # 6 Gb LPDDR parts: Ramulator slices floor(log2(rows)) address bits for the row, so only that many rows
        # are ever addressed.
        values["rows"] = 1 << (rows.bit_length() - 1)
        notes.append(
            f"{org_name} has {rows} rows; Ramulator 1's address mapping reaches the first {values['rows']} "
            "(log2 bits), and so does tnpu-sim"
        )
    ignored = [
        IgnoredKey(f"line {line}: {key}", _OUTSIDE_DRAM_MODE[key])
        for key, (_, line) in kv.items()
        if key in _OUTSIDE_DRAM_MODE
    ]
    return peer_config(values, p, source=f"ramulator1:{p}", notes=notes, ignored=ignored, peer="Ramulator 1")
