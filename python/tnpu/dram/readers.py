"""Readers of the DRAM config files users already have: DRAMsim3 ``.ini`` and Ramulator 1 ``.cfg`` (DRAM part).

Each reader maps every key it knows onto :class:`DramConfig` fields, sets the controller policies the peer itself
uses (queue sizes, page policy, mapping, write drain, refresh), and lists in ``DramConfig.notes`` every key it did
not use and why. A value that would change the behaviour in a way tnpu-sim does not model raises ConfigError.
"""

from __future__ import annotations

import configparser
import math
from pathlib import Path

from tnpu.dram.config import DramConfig
from tnpu.errors import ConfigError

# ------------------------------------------------------------------------------------------------ DRAMsim3 .ini

_DS3_PROTOCOLS = {"DDR3": "ddr3", "DDR4": "ddr4", "LPDDR4": "lpddr4", "HBM2": "hbm2"}
_DS3_INT = {
    ("dram_structure", "bankgroups"): "bankgroups",
    ("dram_structure", "banks_per_group"): "banks_per_group",
    ("dram_structure", "rows"): "rows",
    ("dram_structure", "columns"): "columns",
    ("dram_structure", "device_width"): "device_width",
    ("dram_structure", "BL"): "burst_length",
    ("timing", "CL"): "tCL",
    ("timing", "CWL"): "tCWL",
    ("timing", "tRCD"): "tRCD",
    ("timing", "tRP"): "tRP",
    ("timing", "tRAS"): "tRAS",
    ("timing", "tRFC"): "tRFC",
    ("timing", "tREFI"): "tREFI",
    ("timing", "tRRD_S"): "tRRD_S",
    ("timing", "tRRD_L"): "tRRD_L",
    ("timing", "tWTR_S"): "tWTR_S",
    ("timing", "tWTR_L"): "tWTR_L",
    ("timing", "tFAW"): "tFAW",
    ("timing", "tWR"): "tWR",
    ("timing", "tRTP"): "tRTP",
    ("timing", "tCCD_S"): "tCCD_S",
    ("timing", "tCCD_L"): "tCCD_L",
    ("timing", "tRTRS"): "tRTRS",
    ("system", "channels"): "channels",
    ("system", "bus_width"): "bus_width",
    ("system", "trans_queue_size"): "read_queue_size",
    ("system", "cmd_queue_size"): "bank_queue_size",
}
_DS3_FLOAT = {
    ("power", "VDD"): "vdd",
    ("power", "IDD0"): "idd0",
    ("power", "IDD2N"): "idd2n",
    ("power", "IDD3N"): "idd3n",
    ("power", "IDD4R"): "idd4r",
    ("power", "IDD4W"): "idd4w",
    ("power", "IDD5AB"): "idd5b",
}
# Keys read but deliberately without effect, with the reason.
_DS3_IGNORED = {
    ("timing", "tRFC2"): "fine-granularity refresh (2x) is not modelled; tRFC is used",
    ("timing", "tRFC4"): "fine-granularity refresh (4x) is not modelled; tRFC is used",
    ("timing", "tRPRE"): "read preamble is folded into tRTW/tRTRS",
    ("timing", "tWPRE"): "write preamble is folded into tRTW/tRTRS",
    ("timing", "tCKE"): "power-down is not modelled",
    ("timing", "tCKESR"): "self-refresh is not modelled",
    ("timing", "tXS"): "self-refresh is not modelled",
    ("timing", "tXP"): "power-down is not modelled",
    ("timing", "tWR2"): "only one write-recovery time is modelled (tWR)",
    ("timing", "tPPD"): "per-bank precharge spacing is not modelled",
    ("timing", "tRFCb"): "per-bank refresh is not modelled",
    ("timing", "tREFIb"): "per-bank refresh is not modelled",
    ("power", "IPP0"): "VPP current is not in the energy model",
    ("power", "IDD2P"): "power-down is not modelled",
    ("power", "IDD3P"): "power-down is not modelled",
    ("power", "IDD6x"): "self-refresh is not modelled",
    ("system", "epoch_period"): "statistics epochs are not used",
    ("system", "output_level"): "output setting",
    ("system", "output_prefix"): "output setting",
    ("other", "epoch_period"): "statistics epochs are not used",
    ("other", "output_level"): "output setting",
    ("other", "output_prefix"): "output setting",
}
_DS3_HANDLED = {
    ("dram_structure", "protocol"),
    ("timing", "tCK"),
    ("timing", "AL"),
    ("timing", "tRC"),
    ("system", "channel_size"),
    ("system", "address_mapping"),
    ("system", "queue_structure"),
    ("system", "refresh_policy"),
    ("system", "row_buf_policy"),
    ("system", "unified_queue"),
    # DDR3-style single values (no bank groups)
    ("timing", "tCCD"),
    ("timing", "tRRD"),
    ("timing", "tWTR"),
}


def _int(path: Path, section: str, key: str, text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ConfigError(f"{path}: [{section}] {key}: expected a whole number, got '{text}'") from None


def _float(path: Path, section: str, key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{path}: [{section}] {key}: expected a number, got '{text}'") from None
    if not math.isfinite(value):
        raise ConfigError(f"{path}: [{section}] {key}: expected a finite number, got '{text}'")
    return value


def _validated(cfg: DramConfig, path: Path) -> DramConfig:
    """Validate ``cfg`` read from ``path``; a bad field's ConfigError gets the file name in front."""
    try:
        cfg.validate()
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return cfg


def read_dramsim3_ini(path: str | Path) -> DramConfig:
    """Read a DRAMsim3 ``.ini`` file into a DramConfig with DRAMsim3's own controller policies.

    Parameters
    ----------
    path
        The ``.ini`` file (DRAMsim3's format: sections ``dram_structure``, ``timing``, ``power``, ``system``,
        ``other``, ``thermal``).

    Returns
    -------
    DramConfig
        With ``notes`` listing every key that has no effect (and why) and every unknown key.
    """
    p = Path(path)
    parser = configparser.ConfigParser(
        interpolation=None, inline_comment_prefixes=(";", "#"), comment_prefixes=(";", "#"), strict=False
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        with p.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read DRAMsim3 config: {exc.strerror}") from None
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not a DRAMsim3 .ini file: {exc}") from None
    if not parser.has_section("dram_structure") or not parser.has_section("timing"):
        raise ConfigError(f"{p}: not a DRAMsim3 .ini file (expected sections [dram_structure] and [timing])")

    def get(section: str, key: str) -> str | None:
        if parser.has_section(section) and parser.has_option(section, key):
            return parser.get(section, key).strip()
        return None

    notes: list[str] = []
    values: dict[str, object] = {}
    protocol = get("dram_structure", "protocol")
    if protocol is None:
        raise ConfigError(
            f"{p}: [dram_structure] protocol: missing (expected one of {', '.join(_DS3_PROTOCOLS)})"
        )
    if protocol not in _DS3_PROTOCOLS:
        raise ConfigError(
            f"{p}: [dram_structure] protocol: '{protocol}' is not supported "
            f"(supported: {', '.join(_DS3_PROTOCOLS)})"
        )
    values["standard"] = _DS3_PROTOCOLS[protocol]
    for (section, key), fname in _DS3_INT.items():
        text = get(section, key)
        if text is not None:
            values[fname] = _int(p, section, key, text)
    for (section, key), fname in _DS3_FLOAT.items():
        text = get(section, key)
        if text is not None:
            values[fname] = _float(p, section, key, text)
    # DDR3-style single timing values apply to both the _S and _L rules (no bank groups).
    for key, (short, long_) in {
        "tCCD": ("tCCD_S", "tCCD_L"),
        "tRRD": ("tRRD_S", "tRRD_L"),
        "tWTR": ("tWTR_S", "tWTR_L"),
    }.items():
        text = get("timing", key)
        if text is not None:
            v = _int(p, "timing", key, text)
            values.setdefault(short, v)
            values.setdefault(long_, v)
    if values["standard"] in ("ddr3", "lpddr4") and get("dram_structure", "bankgroups") is None:
        values["bankgroups"] = 1
    tck = get("timing", "tCK")
    if tck is None:
        raise ConfigError(f"{p}: [timing] tCK: missing (expected the clock period in ns)")
    tck_ns = _float(p, "timing", "tCK", tck)
    if tck_ns <= 0:
        raise ConfigError(f"{p}: [timing] tCK: must be > 0 ns, got {tck}")
    # Time is whole picoseconds: real periods (0.625, 0.83, 0.94 ns) round by well under 0.1 %.
    tck_ps = round(tck_ns * 1000)
    if tck_ps < 1 or abs(tck_ps - tck_ns * 1000) > 0.01 * tck_ns * 1000:
        raise ConfigError(
            f"{p}: [timing] tCK: {tck} ns is not a whole number of picoseconds within 1 % (nearest: {tck_ps} ps)"
        )
    values["tck_ps"] = tck_ps
    al = get("timing", "AL")
    if al is not None and _int(p, "timing", "AL", al) != 0:
        raise ConfigError(f"{p}: [timing] AL: additive latency {al} is not supported (expected 0)")
    trc = get("timing", "tRC")
    values["tRC"] = _int(p, "timing", "tRC", trc) if trc is not None else 0  # DRAMsim3: tRAS + tRP
    # DRAMsim3's read-to-write turnaround in one rank is RL + BL/2 - WL + tRTRS.
    values["tRTW"] = values.get("tRTRS", 1)
    # DRAMsim3's write_to_write_o (WR to WR on another rank) is BL/2 with no rank-switch gap.
    values["write_rank_switch"] = False
    # Ranks follow from the channel size, as DRAMsim3 derives them.
    probe = DramConfig().replace(**{k: v for k, v in values.items() if k != "read_queue_size"})
    size = get("system", "channel_size")
    if size is not None:
        channel_mb = _int(p, "system", "channel_size", size)
        rank_bytes = (
            probe.bankgroups * probe.banks_per_group * probe.rows * probe.columns * probe.bus_width // 8
        )
        if rank_bytes <= 0:
            _validated(probe, p)  # names the organisation field that is zero or negative
        ranks = channel_mb * 1024 * 1024 // rank_bytes if rank_bytes else 0
        if ranks < 1 or ranks * rank_bytes != channel_mb * 1024 * 1024:
            raise ConfigError(
                f"{p}: [system] channel_size: {channel_mb} MB is not a whole number of ranks of "
                f"{rank_bytes // (1024 * 1024)} MB"
            )
        values["ranks"] = ranks
    if "read_queue_size" in values:
        values["write_queue_size"] = values["read_queue_size"]
    mapping = get("system", "address_mapping")
    if mapping is not None:
        values["address_mapping"] = mapping
    queue = get("system", "queue_structure") or "PER_BANK"
    if queue != "PER_BANK":
        raise ConfigError(f"{p}: [system] queue_structure: '{queue}' is not supported (supported: PER_BANK)")
    values.setdefault("bank_queue_size", 16)
    unified = get("system", "unified_queue")
    if unified is not None and unified.lower() in ("true", "1", "yes", "on"):
        raise ConfigError(f"{p}: [system] unified_queue: a unified transaction queue is not supported")
    refresh = get("system", "refresh_policy") or "RANK_LEVEL_STAGGERED"
    refresh_map = {"RANK_LEVEL_STAGGERED": "rank_staggered", "RANK_LEVEL_SIMULTANEOUS": "all_ranks"}
    if refresh not in refresh_map:
        raise ConfigError(
            f"{p}: [system] refresh_policy: '{refresh}' is not supported (supported: {', '.join(refresh_map)})"
        )
    values["refresh_policy"] = refresh_map[refresh]
    page = get("system", "row_buf_policy") or "OPEN_PAGE"
    page_map = {"OPEN_PAGE": "open", "CLOSE_PAGE": "closed"}
    if page not in page_map:
        raise ConfigError(
            f"{p}: [system] row_buf_policy: '{page}' is not supported (supported: OPEN_PAGE, CLOSE_PAGE)"
        )
    values["page_policy"] = page_map[page]
    # DRAMsim3's controller: write buffer drained when full or > 8 writes while idle; no row-hit cap in FR-FCFS
    # (its precharge arbitration allows 4 hits); reads are served from the write buffer.
    values.update(write_drain="dramsim3", row_hit_cap=0, promote_activated=False, forward_writes=True)
    known = set(_DS3_INT) | set(_DS3_FLOAT) | set(_DS3_IGNORED) | _DS3_HANDLED
    for section in parser.sections():
        if section == "thermal":
            notes.append(
                f"[thermal]: ignored (thermal model not supported), keys: {', '.join(parser[section])}"
            )
            continue
        for key in parser[section]:
            if (section, key) in _DS3_IGNORED:
                notes.append(f"[{section}] {key}: ignored ({_DS3_IGNORED[(section, key)]})")
            elif (section, key) not in known:
                notes.append(f"[{section}] {key}: unknown key, ignored")
    cfg = DramConfig().replace(**values, source=f"dramsim3:{p}", notes=tuple(notes))
    return _validated(cfg, p)


# ------------------------------------------------------------------------------------------- Ramulator 1 .cfg

# Ramulator 1 DDR4 tables (src/DDR4.h / DDR4.cpp of CMU-SAFARI/ramulator): organisation and speed bins.
# org: density Mb, dq, bank groups, banks per group, rows, columns
_RAM1_DDR4_ORG = {
    "DDR4_2Gb_x4": (2048, 4, 4, 4, 1 << 15, 1 << 10),
    "DDR4_2Gb_x8": (2048, 8, 4, 4, 1 << 14, 1 << 10),
    "DDR4_2Gb_x16": (2048, 16, 2, 4, 1 << 14, 1 << 10),
    "DDR4_4Gb_x4": (4096, 4, 4, 4, 1 << 16, 1 << 10),
    "DDR4_4Gb_x8": (4096, 8, 4, 4, 1 << 15, 1 << 10),
    "DDR4_4Gb_x16": (4096, 16, 2, 4, 1 << 15, 1 << 10),
    "DDR4_8Gb_x4": (8192, 4, 4, 4, 1 << 17, 1 << 10),
    "DDR4_8Gb_x8": (8192, 8, 4, 4, 1 << 16, 1 << 10),
    "DDR4_8Gb_x16": (8192, 16, 2, 4, 1 << 16, 1 << 10),
}
# speed: rate, nBL, nCCDS, nCCDL, nRTRS, nCL, nRCD, nRP, nCWL, nRAS, nRC, nRTP, nWTRS, nWTRL, nWR
_RAM1_DDR4_SPEED = {
    "DDR4_1600K": (1600, 4, 4, 5, 2, 11, 11, 11, 9, 28, 39, 6, 2, 6, 12),
    "DDR4_1600L": (1600, 4, 4, 5, 2, 12, 12, 12, 9, 28, 40, 6, 2, 6, 12),
    "DDR4_1866M": (1866, 4, 4, 5, 2, 13, 13, 13, 10, 32, 45, 7, 3, 7, 14),
    "DDR4_1866N": (1866, 4, 4, 5, 2, 14, 14, 14, 10, 32, 46, 7, 3, 7, 14),
    "DDR4_2133P": (2133, 4, 4, 6, 2, 15, 15, 15, 11, 36, 51, 8, 3, 8, 16),
    "DDR4_2133R": (2133, 4, 4, 6, 2, 16, 16, 16, 11, 36, 52, 8, 3, 8, 16),
    "DDR4_2400R": (2400, 4, 4, 6, 2, 16, 16, 16, 12, 39, 55, 9, 3, 9, 18),
    "DDR4_2400U": (2400, 4, 4, 6, 2, 18, 18, 18, 12, 39, 57, 9, 3, 9, 18),
}
_RAM1_RATE_INDEX = {1600: 0, 1866: 1, 2133: 2, 2400: 3}
_RAM1_RRDS = ((4, 4, 4, 4), (5, 5, 6, 7))  # [dq == 16][speed]
_RAM1_RRDL = ((5, 5, 6, 6), (6, 6, 7, 8))
_RAM1_FAW = ((16, 16, 16, 16), (20, 22, 23, 26), (28, 28, 32, 36))  # [x4, x8, x16][speed]
_RAM1_RFC = ((128, 150, 171, 193), (208, 243, 278, 313), (280, 327, 374, 421))  # [density 2/4/8 Gb][speed]
_RAM1_REFI = (6240, 7280, 8320, 9360)
# Ramulator 1 keys used only outside --mode=dram (CPU front end, caches, multicore), reported as not used.
_RAM1_NOT_DRAM = {
    "cpu_tick",
    "mem_tick",
    "early_exit",
    "expected_limit_insts",
    "warmup_insts",
    "cache",
    "translation",
    "record_cmd_trace",
    "print_cmd_trace",
    "l3_size",
    "l3_assoc",
    "prefetcher",
}


def read_ramulator1_cfg(path: str | Path) -> DramConfig:
    """Read the DRAM part of a Ramulator 1 ``.cfg`` file, with Ramulator 1's own controller policies.

    Parameters
    ----------
    path
        A Ramulator 1 config (``key = value`` lines, ``#`` comments). Supported: ``standard = DDR4`` with the
        ``org`` and ``speed`` presets of Ramulator 1's DDR4 model, ``channels``, ``ranks``.

    Returns
    -------
    DramConfig
        With ``notes`` listing keys that only matter outside DRAM trace mode, and unknown keys.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read Ramulator config: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a Ramulator config (not UTF-8 text)") from None
    kv: dict[str, tuple[str, int]] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ConfigError(f"{p}:{lineno}: expected 'key = value', got '{raw.strip()}'")
        key, value = (part.strip() for part in line.split("=", 1))
        kv[key] = (value, lineno)
    notes: list[str] = []

    def need(key: str) -> tuple[str, int]:
        if key not in kv:
            raise ConfigError(f"{p}: '{key}' is missing (a Ramulator DRAM config needs standard, org, speed)")
        return kv[key]

    standard, std_line = need("standard")
    if standard != "DDR4":
        raise ConfigError(
            f"{p}:{std_line}: standard '{standard}' is not supported for Ramulator configs (supported: DDR4)"
        )
    org_name, org_line = need("org")
    if org_name not in _RAM1_DDR4_ORG:
        raise ConfigError(
            f"{p}:{org_line}: unknown DDR4 org '{org_name}' (valid: {', '.join(_RAM1_DDR4_ORG)})"
        )
    speed_name, speed_line = need("speed")
    if speed_name not in _RAM1_DDR4_SPEED:
        raise ConfigError(
            f"{p}:{speed_line}: unknown DDR4 speed '{speed_name}' (valid: {', '.join(_RAM1_DDR4_SPEED)})"
        )

    def count(key: str, default: int) -> int:
        if key not in kv:
            return default
        value, lineno = kv[key]
        try:
            n = int(value)
        except ValueError:
            raise ConfigError(f"{p}:{lineno}: {key}: expected a whole number, got '{value}'") from None
        if n < 1:
            raise ConfigError(f"{p}:{lineno}: {key}: must be at least 1, got {n}")
        return n

    density, dq, bgs, banks, rows, cols = _RAM1_DDR4_ORG[org_name]
    rate, nbl, ccds, ccdl, rtrs, cl, rcd, rp, cwl, ras, rc, rtp, wtrs, wtrl, wr = _RAM1_DDR4_SPEED[speed_name]
    si = _RAM1_RATE_INDEX[rate]
    di = {2048: 0, 4096: 1, 8192: 2}[density]
    # Ramulator 1: freq = (400/3) * (rate/266.67) MHz, i.e. rate/2 MHz rounded as in its table.
    freq_mhz = (400.0 / 3.0) * {1600: 6, 1866: 7, 2133: 8, 2400: 9}[rate]
    values: dict[str, object] = {
        "standard": "ddr4",
        "tck_ps": round(1e6 / freq_mhz),
        "channels": count("channels", 1),
        "ranks": count("ranks", 1),
        "bankgroups": bgs,
        "banks_per_group": banks,
        "rows": rows,
        "columns": cols,
        "device_width": dq,
        "bus_width": 64,
        "burst_length": 2 * nbl,
        "tCL": cl,
        "tCWL": cwl,
        "tRCD": rcd,
        "tRP": rp,
        "tRAS": ras,
        "tRC": rc,
        "tCCD_S": ccds,
        "tCCD_L": ccdl,
        "tRRD_S": _RAM1_RRDS[1 if dq == 16 else 0][si],
        "tRRD_L": _RAM1_RRDL[1 if dq == 16 else 0][si],
        "tFAW": _RAM1_FAW[0 if dq == 4 else 1 if dq == 8 else 2][si],
        "tWTR_S": wtrs,
        "tWTR_L": wtrl,
        "tRTP": rtp,
        "tWR": wr,
        "tRTRS": rtrs,
        "tRTW": 2,
        "tRFC": _RAM1_RFC[di][si],
        "tREFI": _RAM1_REFI[si],
        # Ramulator 1 controller (Controller.h, Scheduler.h, Refresh.h): 32-entry read and write queues,
        # FR-FCFS with a row-hit cap of 16, open rows, RoBaRaCoCh, write mode between 80 % and 20 % of the write
        # queue, activated requests promoted to actq, all ranks refreshed together every nREFI.
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
    for key, (_value, lineno) in kv.items():
        if key in ("standard", "org", "speed", "channels", "ranks"):
            continue
        if key in _RAM1_NOT_DRAM:
            notes.append(f"line {lineno}: {key}: not used in DRAM trace mode, ignored")
        else:
            notes.append(f"line {lineno}: {key}: unknown key, ignored")
    notes.append("energy: Ramulator 1 has no IDD values; tnpu-sim's DDR4 defaults are used")
    cfg = DramConfig().replace(**values, source=f"ramulator1:{p}", notes=tuple(notes))
    return _validated(cfg, p)
