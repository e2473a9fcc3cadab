"""The DRAMsim3 ``.ini`` reader: every file DRAMsim3 ships loads, as DRAMsim3 reads it.

DRAMsim3 (umd-memsys/DRAMsim3, ``configuration.cc``, ``timing.cc``) reads its files with inih: section and key names
are case-insensitive, ``;`` starts a comment at the start of a line or after white space, a number is read from the
start of its value (``tCK = 1.25;`` is 1.25), and a key that is missing or empty takes DRAMsim3's built-in default.
This reader does the same, and maps the result onto a :class:`DramConfig` with DRAMsim3's derived values and
controller policies:

- per protocol: the data bus of a burst (BL/2 cycles; GDDR5 BL/4, GDDR5X BL/8, GDDR6 BL/16), separate ACT-to-READ
  and ACT-to-WRITE delays (``tRCDRD``/``tRCDWR``, GDDR and HBM; ``tRCD`` otherwise), ``tPPD`` (GDDR, LPDDR4),
  ``t32AW`` (GDDR), HBM's dual command issue (``hbm_dual_cmd``, on by default), a "column" of DRAMsim3's own unit
  (GDDR: ``columns`` x BL, HBM: ``columns`` x 2), ``bankgroup_enable = false`` (all banks in one group);
- ``tRC`` = tRAS + tRP (DRAMsim3 has no tRC key); with one bank group the _S timings apply (DRAMsim3 overrides _L);
- ranks from ``channel_size``, as DRAMsim3 derives them; the per-bank command queues, the write buffer drained when
  full or holding more than 8 writes while idle, reads served from the write buffer, WR to WR on another rank
  without tRTRS and the read-to-write slack tRTRS (its ``write_to_write_o`` and ``read_to_write``).

Keys DRAMsim3 reads that change nothing here (power-down, self-refresh, statistics output, thermal model) and keys
that DRAMsim3's own shipped files carry but DRAMsim3 never reads (``tRFC2``, ``REFI``, ``tRTP_L``, ...) are listed
in ``DramConfig.ignored_keys``, summed up in one note. A key that DRAMsim3 does not know either is an error naming
the file, the line and the nearest key. A value DRAMsim3 would act on in a way tnpu-sim does not model (``AL`` > 0,
``PER_RANK`` queues, a unified queue, per-bank refresh, self-refresh, ``BL = 0``) is an error; so is the HMC
protocol (a packet-switched cube, not a JEDEC channel).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tnpu._text import read_text_file
from tnpu.dram._keys import IgnoredKey, did_you_mean, nearest, peer_config
from tnpu.dram.config import DramConfig
from tnpu.errors import ConfigError

# DRAMsim3 protocol -> tnpu-sim standard. HBM and HBM2 are one protocol in DRAMsim3 (IsHBM()).
PROTOCOLS = {
    "DDR3": "ddr3",
    "DDR4": "ddr4",
    "LPDDR": "lpddr",
    "LPDDR3": "lpddr3",
    "LPDDR4": "lpddr4",
    "GDDR5": "gddr5",
    "GDDR5X": "gddr5x",
    "GDDR6": "gddr6",
    "HBM": "hbm",
    "HBM2": "hbm2",
}
REFUSED_PROTOCOLS = {
    "HMC": "the Hybrid Memory Cube is a packet-switched stack of vaults behind serial links, not a JEDEC channel; "
    "tnpu-sim does not model it",
}

# Every key DRAMsim3 reads (configuration.cc), lower-case (inih lower-cases names) -> (its spelling, kind, default).
# kind: i(nteger), f(loat), b(oolean), s(tring).
_KEYS: dict[tuple[str, str], tuple[str, str, Any]] = {}


def _k(section: str, key: str, kind: str, default: Any) -> None:
    _KEYS[(section, key.lower())] = (key, kind, default)


_key: str
_kind: str
_default: Any
for _key, _kind, _default in (
    ("protocol", "s", "DDR3"),
    ("bankgroups", "i", 2),
    ("banks_per_group", "i", 2),
    ("bankgroup_enable", "b", True),
    ("rows", "i", 1 << 16),
    ("columns", "i", 1 << 10),
    ("device_width", "i", 8),
    ("BL", "i", 8),
    ("num_dies", "i", 1),
    ("hbm_dual_cmd", "b", True),
):
    _k("dram_structure", _key, _kind, _default)
for _key, _kind, _default in (
    ("tCK", "f", 1.0),
    ("AL", "i", 0),
    ("CL", "i", 12),
    ("CWL", "i", 12),
    ("tCCD_L", "i", 6),
    ("tCCD_S", "i", 4),
    ("tRTRS", "i", 2),
    ("tRTP", "i", 5),
    ("tWTR_L", "i", 5),
    ("tWTR_S", "i", 5),
    ("tWR", "i", 10),
    ("tRP", "i", 10),
    ("tRRD_L", "i", 4),
    ("tRRD_S", "i", 4),
    ("tRAS", "i", 24),
    ("tRCD", "i", 10),
    ("tRFC", "i", 74),
    ("tCKE", "i", 6),
    ("tCKESR", "i", 12),
    ("tXS", "i", 432),
    ("tXP", "i", 8),
    ("tRFCb", "i", 20),
    ("tREFI", "i", 7800),
    ("tREFIb", "i", 1950),
    ("tFAW", "i", 50),
    ("tRPRE", "i", 1),
    ("tWPRE", "i", 1),
    ("tPPD", "i", 0),
    ("t32AW", "i", 330),
    ("tRCDRD", "i", 24),
    ("tRCDWR", "i", 20),
    ("ideal_memory_latency", "i", 10),
):
    _k("timing", _key, _kind, _default)
for _key, _kind, _default in (
    ("VDD", "f", 1.2),
    ("IDD0", "f", 48.0),
    ("IDD2P", "f", 25.0),
    ("IDD2N", "f", 34.0),
    ("IDD3P", "f", 37.0),
    ("IDD3N", "f", 43.0),
    ("IDD4W", "f", 123.0),
    ("IDD4R", "f", 135.0),
    ("IDD5AB", "f", 250.0),
    ("IDD5PB", "f", 5.0),
    ("IDD6x", "f", 31.0),
):
    _k("power", _key, _kind, _default)
for _key, _kind, _default in (
    ("channel_size", "i", 1024),
    ("channels", "i", 1),
    ("bus_width", "i", 64),
    ("address_mapping", "s", "chrobabgraco"),
    ("queue_structure", "s", "PER_BANK"),
    ("row_buf_policy", "s", "OPEN_PAGE"),
    ("cmd_queue_size", "i", 16),
    ("trans_queue_size", "i", 32),
    ("unified_queue", "b", False),
    ("write_buf_size", "i", 16),
    ("refresh_policy", "s", "RANK_LEVEL_STAGGERED"),
    ("enable_self_refresh", "b", False),
    ("sref_threshold", "i", 1000),
    ("aggressive_precharging_enabled", "b", False),
):
    _k("system", _key, _kind, _default)
for _key, _kind, _default in (
    ("epoch_period", "i", 100000),
    ("output_level", "i", 1),
    ("output_prefix", "s", ""),
):
    _k("other", _key, _kind, _default)
for _key in ("num_links", "link_width", "link_speed", "block_size", "xbar_queue_depth"):
    _k("hmc", _key, "i", 0)

# Keys DRAMsim3 reads that have no effect in tnpu-sim, by category (the note says the category).
_NOT_MODELLED = {
    "power-down or self-refresh (not modelled)": (
        "tCKE", "tCKESR", "tXS", "tXP", "IDD2P", "IDD3P", "IDD6x", "sref_threshold",
    ),
    "per-bank refresh (not modelled; RANK_LEVEL_STAGGERED refresh is)": ("tRFCb", "tREFIb", "IDD5PB"),
    "read but unused by DRAMsim3 itself": (
        "tRPRE", "tWPRE", "write_buf_size", "aggressive_precharging_enabled", "ideal_memory_latency",
    ),
    "DRAMsim3's thermal model or HMC (not modelled)": (
        "num_dies", "num_links", "link_width", "link_speed", "block_size", "xbar_queue_depth",
    ),
    "DRAMsim3 statistics output": ("epoch_period", "output_level", "output_prefix"),
}  # fmt: skip
_CATEGORY = {key.lower(): cat for cat, keys in _NOT_MODELLED.items() for key in keys}
_UNREAD = "not read by DRAMsim3 either (in its shipped files)"
# Keys that DRAMsim3's own shipped configs carry but DRAMsim3 never reads: DRAMsim3 ignores them silently, and so
# must a reader that loads every shipped file. Where one looks like a key DRAMsim3 does read and the file lacks
# that key (REFI for tREFI), a warning says that DRAMsim3's default applies instead.
_SHIPPED_UNREAD = {
    "dram_structure": (),
    "timing": (
        "tRFC2", "tRFC4", "tWR2", "REFI", "tRTP_L", "tRTP_S", "tCKSRE", "REFRESH_PERIOD", "activation_window_depth",
        "tCAS", "tCWD", "tCMD", "tRFCPB", "tRREFD",
    ),
    "power": ("IPP0", "IDD1", "IDD2Q", "IDD3Pf", "IDD3Ps", "IDD5", "IDD6", "IDD6L", "IDD7"),
    "system": (),
    "other": ("validation_output",),
}  # fmt: skip
_SHIPPED_UNREAD_LOWER = {(s, k.lower()) for s, keys in _SHIPPED_UNREAD.items() for k in keys}


@dataclass(frozen=True, slots=True)
class _Entry:
    section: str  # as written
    key: str  # as written
    value: str
    line: int


def _parse(path: Path, text: str) -> tuple[dict[tuple[str, str], _Entry], list[str]]:
    """Read ``text`` as inih does: entries by (section, key) lower-cased, and the sections in file order."""
    entries: dict[tuple[str, str], _Entry] = {}
    sections: list[str] = []
    section = ""
    prev: tuple[str, str] | None = None

    def strip_comment(s: str) -> str:
        m = re.search(r"\s;", s)
        return s[: m.start()] if m else s

    for lineno, text_line in enumerate(text.splitlines(), 1):
        raw = text_line[1:] if lineno == 1 and text_line.startswith("\ufeff") else text_line
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if raw[0] in " \t" and prev is not None:
            # inih: an indented line continues the previous key's value.
            e = entries[prev]
            entries[prev] = _Entry(e.section, e.key, e.value + "\n" + strip_comment(line).strip(), e.line)
            continue
        if line[0] == "[":
            end = line.find("]")
            if end < 0:
                raise ConfigError(f"{path}:{lineno}: expected '[section]', got '{line}'")
            section = line[1:end].strip()
            if section.lower() not in sections:
                sections.append(section.lower())
            prev = None
            continue
        if not sections:
            raise ConfigError(
                f"{path}:{lineno}: not a DRAMsim3 .ini file (expected a [section] first, got '{line[:60]}')"
            )
        m = re.match(r"([^=:]*?)\s*[=:](.*)$", strip_comment(line))
        if m is None or not m.group(1):
            raise ConfigError(f"{path}:{lineno}: expected 'key = value', got '{line}'")
        key, value = m.group(1).strip(), m.group(2).strip()
        ident = (section.lower(), key.lower())
        if ident in entries:
            raise ConfigError(
                f"{path}:{lineno}: [{section}] {key}: set twice (also on line {entries[ident].line}; DRAMsim3 "
                "would use the first)"
            )
        entries[ident] = _Entry(section, key, value, lineno)
        prev = ident
    return entries, sections


_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|(?i:nan|inf(inity)?))")


class _Reader:
    """The values of one file, as DRAMsim3 reads them, remembering which keys were used."""

    def __init__(self, path: Path, entries: dict[tuple[str, str], _Entry]) -> None:
        self.path = path
        self.entries = entries
        self.warnings: list[str] = []

    def where(self, section: str, key: str) -> str:
        e = self.entries.get((section, key.lower()))
        return f"{self.path}:{e.line}: [{e.section}] {e.key}" if e else f"{self.path}: [{section}] {key}"

    def has(self, section: str, key: str) -> bool:
        e = self.entries.get((section, key.lower()))
        return e is not None and e.value.split("\n")[0].strip() != ""

    def get(self, section: str, key: str) -> Any:  # noqa: PLR0911 - one return per kind of value
        """Return the value of a key DRAMsim3 reads, as DRAMsim3 reads it (its default when missing or empty)."""
        _, kind, default = _KEYS[(section, key.lower())]
        e = self.entries.get((section, key.lower()))
        if e is None:
            return default
        text = e.value.split("\n")[0].strip()  # inih joins continuation lines with "\n"; numbers stop there
        if text == "":
            if kind != "s":
                self.warnings.append(
                    f"line {e.line}: [{e.section}] {e.key} is empty: DRAMsim3 uses its default {default}, so do we"
                )
                return default
            return text
        if kind == "s":
            return e.value
        if kind == "b":
            low = text.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise ConfigError(f"{self.where(section, key)}: expected true or false, got '{text}'")
        pattern = _INT if kind == "i" else _FLOAT
        m = pattern.match(text)
        rest = text[m.end() :] if m else text
        if m is None or (rest and not rest.startswith(";") and not rest[0].isspace()):
            what = "a whole number" if kind == "i" else "a number"
            raise ConfigError(f"{self.where(section, key)}: expected {what}, got '{text}'")
        if rest.strip() and not rest.strip().startswith(";"):
            # DRAMsim3 (strtol/strtod) reads the number at the start and ignores the rest ("0.666 (1/1.5)").
            self.warnings.append(
                f"line {e.line}: [{e.section}] {e.key} = {text}: DRAMsim3 reads only the leading {m.group(0)} "
                "and ignores the rest; so do we"
            )
        if kind == "f":
            value = float(m.group(0))
            if not math.isfinite(value):
                raise ConfigError(f"{self.where(section, key)}: expected a finite number, got '{text}'")
            return value
        digits = m.group(0)
        sign = -1 if digits.startswith("-") else 1
        digits = digits.lstrip("+-")
        if digits.lower().startswith("0x"):
            return sign * int(digits, 16)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits, 8)  # strtol with base 0, as DRAMsim3 reads it
        return sign * int(digits)


def _check_keys(path: Path, entries: dict[tuple[str, str], _Entry], sections: list[str]) -> list[IgnoredKey]:
    """Unknown keys are errors; return the keys that have no effect."""
    ignored: list[IgnoredKey] = []
    unknown: list[str] = []
    known_names = [name for name, _, _ in _KEYS.values()]
    for (section, low), e in entries.items():
        if section == "thermal":
            continue  # reported once below
        where = f"[{e.section}] {e.key} (line {e.line})"
        if (section, low) in _KEYS:
            if low in _CATEGORY:
                ignored.append(IgnoredKey(where, _CATEGORY[low]))
            continue
        if (section, low) in _SHIPPED_UNREAD_LOWER:
            ignored.append(IgnoredKey(where, _UNREAD))
            continue
        in_section = [name for (s, _), (name, _, _) in _KEYS.items() if s == section]
        if section not in {s for s, _ in _KEYS} and section != "thermal":
            sections_known = sorted({s for s, _ in _KEYS} | {"thermal"})
            hint = nearest(e.section, sections_known)
            unknown.append(
                f"{path}:{e.line}: [{e.section}] {e.key}: DRAMsim3 has no section [{e.section}] (sections: "
                f"{', '.join(sections_known)})" + (f"; did you mean [{hint}]?" if hint else "")
            )
            continue
        unknown.append(
            f"{path}:{e.line}: [{e.section}] {e.key}: not a DRAMsim3 key"
            + did_you_mean(e.key, in_section or known_names)
        )
    if unknown:
        raise ConfigError("; ".join(unknown))
    if "thermal" in sections:
        keys = [e for (s, _), e in entries.items() if s == "thermal"]
        first = min((e.line for e in keys), default=0)
        ignored.append(
            IgnoredKey(
                f"[thermal] ({len(keys)} keys from line {first})", "DRAMsim3's thermal model (not modelled)"
            )
        )
    return ignored


def read_dramsim3_ini(path: str | Path) -> DramConfig:
    """Read a DRAMsim3 ``.ini`` file into a DramConfig with DRAMsim3's own derived values and controller policies.

    Parameters
    ----------
    path
        The ``.ini`` file (DRAMsim3's format: sections ``dram_structure``, ``timing``, ``power``, ``system``,
        ``other``, ``thermal``).

    Returns
    -------
    DramConfig
        ``notes``: warnings (a value DRAMsim3 replaces by its default) and one line summing up
        ``ignored_keys``, the keys that have no effect here and why.

    Raises
    ------
    ConfigError
        Unreadable file, a malformed line, a key DRAMsim3 does not know (with the nearest known key), a bad value,
        or something DRAMsim3 would do that tnpu-sim does not model; the message names the file and line.
    """
    p = Path(path)
    text = read_text_file(p, what="DRAMsim3 config", not_text="not a DRAMsim3 .ini file (not UTF-8 text)")
    if "\x00" in text:
        raise ConfigError(f"{p}: not a DRAMsim3 .ini file (binary data)")
    entries, sections = _parse(p, text)
    if "dram_structure" not in sections or "timing" not in sections:
        raise ConfigError(f"{p}: not a DRAMsim3 .ini file (expected sections [dram_structure] and [timing])")
    ignored = _check_keys(p, entries, sections)
    r = _Reader(p, entries)
    notes: list[str] = []

    protocol = str(r.get("dram_structure", "protocol")).strip()
    if not r.has("dram_structure", "protocol"):
        notes.append(
            "[dram_structure] protocol is not set: DRAMsim3's default DDR3 is used, as DRAMsim3 does"
        )
    if protocol in REFUSED_PROTOCOLS:
        raise ConfigError(
            f"{r.where('dram_structure', 'protocol')}: protocol '{protocol}' is not supported: "
            f"{REFUSED_PROTOCOLS[protocol]} (supported: {', '.join(PROTOCOLS)})"
        )
    if protocol not in PROTOCOLS:
        raise ConfigError(
            f"{r.where('dram_structure', 'protocol')}: protocol '{protocol}' is not a DRAMsim3 protocol "
            f"(supported: {', '.join(PROTOCOLS)}; DRAMsim3 also knows HMC, which tnpu-sim does not model)"
        )
    gddr = protocol in ("GDDR5", "GDDR5X", "GDDR6")
    hbm = protocol in ("HBM", "HBM2")

    def positive(section: str, key: str) -> int:
        v = int(r.get(section, key))
        if v < 1:
            raise ConfigError(f"{r.where(section, key)}: must be at least 1, got {v}")
        return v

    def non_negative(section: str, key: str) -> int:
        v = int(r.get(section, key))
        if v < 0:
            raise ConfigError(f"{r.where(section, key)}: must be >= 0, got {v}")
        return v

    # ---- structure (configuration.cc InitDRAMParams, CalculateSize)
    bankgroups = positive("dram_structure", "bankgroups")
    banks_per_group = positive("dram_structure", "banks_per_group")
    if not r.get("dram_structure", "bankgroup_enable"):  # GDDR5/6: all banks in one group
        banks_per_group *= bankgroups
        bankgroups = 1
    rows = positive("dram_structure", "rows")
    columns = positive("dram_structure", "columns")
    device_width = positive("dram_structure", "device_width")
    bl = non_negative("dram_structure", "BL")
    if bl == 0:
        raise ConfigError(
            f"{r.where('dram_structure', 'BL')}: BL = 0 (DRAMsim3's 'perfect bandwidth' mode) is not modelled"
        )
    data_rate = 4 if protocol == "GDDR5" else 8 if protocol == "GDDR5X" else 16 if protocol == "GDDR6" else 2
    if bl % data_rate != 0:
        raise ConfigError(
            f"{r.where('dram_structure', 'BL')}: {protocol} moves {data_rate} beats per clock, so BL must be a "
            f"multiple of {data_rate}, got {bl}"
        )
    # DRAMsim3's "column" is a device_width column; GDDR files give columns of BL such, HBM of 2 (prefetch).
    if gddr:
        columns *= bl
    elif hbm:
        columns *= 2
    bus_width = positive("system", "bus_width")
    channels = positive("system", "channels")
    if bus_width % device_width != 0:
        raise ConfigError(
            f"{r.where('system', 'bus_width')}: must be a multiple of device_width ({device_width}), got {bus_width}"
        )
    devices = bus_width // device_width
    page_bytes = columns * device_width // 8
    megs_per_rank = page_bytes * (rows // 1024) // 1024 * bankgroups * banks_per_group * devices
    channel_mb = positive("system", "channel_size")
    if megs_per_rank < 1:
        raise ConfigError(
            f"{r.where('dram_structure', 'rows')}: a rank of less than 1 MB ({rows} rows x {page_bytes} B pages x "
            f"{bankgroups * banks_per_group} banks x {devices} devices) is not a size DRAMsim3 can compute"
        )
    if megs_per_rank > channel_mb:
        ranks = 1
        notes.append(
            f"[system] channel_size = {channel_mb} MB is less than one rank ({megs_per_rank} MB): DRAMsim3 uses one "
            "rank of that size instead, and so do we"
        )
    else:
        ranks = channel_mb // megs_per_rank
        if ranks * megs_per_rank != channel_mb:
            notes.append(
                f"[system] channel_size = {channel_mb} MB is not a whole number of {megs_per_rank} MB ranks: "
                f"DRAMsim3 uses {ranks} ranks ({ranks * megs_per_rank} MB), and so do we"
            )

    # ---- timing (InitTimingParams, Timing::Timing)
    tck = float(r.get("timing", "tCK"))
    if tck <= 0:
        raise ConfigError(f"{r.where('timing', 'tCK')}: must be > 0 ns, got {tck}")
    tck_ps = round(tck * 1000)
    if tck_ps < 1 or abs(tck_ps - tck * 1000) > 0.01 * tck * 1000:
        raise ConfigError(
            f"{r.where('timing', 'tCK')}: {tck} ns is not a whole number of picoseconds within 1 % "
            f"(nearest: {tck_ps} ps)"
        )
    al = int(r.get("timing", "AL"))
    if al != 0:
        raise ConfigError(f"{r.where('timing', 'AL')}: additive latency {al} is not supported (expected 0)")
    t = {k: non_negative("timing", k) for k in (
        "CL", "CWL", "tCCD_L", "tCCD_S", "tRTRS", "tRTP", "tWTR_L", "tWTR_S", "tWR", "tRP", "tRRD_L", "tRRD_S",
        "tRAS", "tRCD", "tRFC", "tREFI", "tFAW", "tPPD", "t32AW", "tRCDRD", "tRCDWR",
    )}  # fmt: skip
    if bankgroups == 1:  # timing.cc: with bank groups disabled the _S values apply
        t["tCCD_L"], t["tWTR_L"], t["tRRD_L"] = t["tCCD_S"], t["tWTR_S"], t["tRRD_S"]
    rcd_rd, rcd_wr = (t["tRCDRD"], t["tRCDWR"]) if gddr or hbm else (t["tRCD"], t["tRCD"])
    values: dict[str, Any] = {
        "standard": PROTOCOLS[protocol],
        "tck_ps": tck_ps,
        "channels": channels,
        "ranks": ranks,
        "bankgroups": bankgroups,
        "banks_per_group": banks_per_group,
        "rows": rows,
        "columns": columns,
        "device_width": device_width,
        "bus_width": bus_width,
        "burst_length": bl,
        "data_rate": data_rate,
        "tCL": t["CL"],
        "tCWL": t["CWL"],
        "tRCD": rcd_rd,
        "tRCDWR": rcd_wr if rcd_wr != rcd_rd else 0,
        "tRP": t["tRP"],
        "tRAS": t["tRAS"],
        "tRC": 0,  # DRAMsim3: tRC = tRAS + tRP
        "tCCD_S": t["tCCD_S"],
        "tCCD_L": t["tCCD_L"],
        "tRRD_S": t["tRRD_S"],
        "tRRD_L": t["tRRD_L"],
        "tFAW": t["tFAW"],
        "t32AW": t["t32AW"] if gddr else 0,
        "tPPD": t["tPPD"] if gddr or protocol == "LPDDR4" else 0,
        "tWTR_S": t["tWTR_S"],
        "tWTR_L": t["tWTR_L"],
        "tRTP": t["tRTP"],
        "tWR": t["tWR"],
        "tRTRS": t["tRTRS"],
        "tRTW": t["tRTRS"],  # read_to_write = RL + BL/2 - WL + tRTRS
        "write_rank_switch": False,  # write_to_write_o = BL/2
        "tREFI": t["tREFI"],
        "tRFC": t["tRFC"],
        "vdd": r.get("power", "VDD"),
        "idd0": r.get("power", "IDD0"),
        "idd2n": r.get("power", "IDD2N"),
        "idd3n": r.get("power", "IDD3N"),
        "idd4r": r.get("power", "IDD4R"),
        "idd4w": r.get("power", "IDD4W"),
        "idd5b": r.get("power", "IDD5AB"),
        "dual_command": hbm and bool(r.get("dram_structure", "hbm_dual_cmd")),
    }
    for key in ("VDD", "IDD0", "IDD2N", "IDD3N", "IDD4R", "IDD4W", "IDD5AB"):
        if float(r.get("power", key)) < 0:
            raise ConfigError(f"{r.where('power', key)}: must be >= 0, got {r.get('power', key)}")

    # ---- system (InitSystemParams) and DRAMsim3's controller
    mapping = str(r.get("system", "address_mapping")).strip()
    if len(mapping) != 12:
        raise ConfigError(
            f"{r.where('system', 'address_mapping')}: expected 6 fields of 2 letters (ch ra bg ba ro co), "
            f"got '{mapping}'"
        )
    values["address_mapping"] = mapping.lower()
    queue = str(r.get("system", "queue_structure")).strip()
    if queue != "PER_BANK":
        raise ConfigError(
            f"{r.where('system', 'queue_structure')}: '{queue}' is not supported (supported: PER_BANK; "
            "DRAMsim3's PER_RANK command queues are not modelled)"
        )
    if r.get("system", "unified_queue"):
        raise ConfigError(
            f"{r.where('system', 'unified_queue')}: a unified transaction queue is not supported"
        )
    if r.get("system", "enable_self_refresh"):
        raise ConfigError(f"{r.where('system', 'enable_self_refresh')}: self-refresh is not modelled")
    refresh = str(r.get("system", "refresh_policy")).strip()
    if refresh != "RANK_LEVEL_STAGGERED":
        why = {
            "RANK_LEVEL_SIMULTANEOUS": "DRAMsim3's simultaneous refresh refreshes only the first rank (refresh.cc "
            "stops after one), which tnpu-sim does not reproduce",
            "BANK_LEVEL_STAGGERED": "per-bank refresh is not modelled",
        }.get(refresh, "not a DRAMsim3 refresh policy")
        raise ConfigError(
            f"{r.where('system', 'refresh_policy')}: '{refresh}' is not supported: {why} (supported: "
            "RANK_LEVEL_STAGGERED)"
        )
    page = str(r.get("system", "row_buf_policy")).strip()
    page_map = {"OPEN_PAGE": "open", "CLOSE_PAGE": "closed"}
    if page not in page_map:
        raise ConfigError(
            f"{r.where('system', 'row_buf_policy')}: '{page}' is not supported (supported: OPEN_PAGE, CLOSE_PAGE)"
        )
    values.update(
        page_policy=page_map[page],
        refresh_policy="rank_staggered",
        refresh_precharge="per_bank",  # FinishRefresh: a PRE per open bank, then REFRESH
        read_queue_size=positive("system", "trans_queue_size"),
        write_queue_size=positive("system", "trans_queue_size"),
        bank_queue_size=positive("system", "cmd_queue_size"),
        # DRAMsim3's controller: write buffer drained when full or > 8 writes while idle; no row-hit cap in its
        # scheduler (its precharge arbitration allows 4 hits); reads are served from the write buffer.
        write_drain="dramsim3",
        row_hit_cap=0,
        promote_activated=False,
        forward_writes=True,
    )

    # A key this protocol does not use (tRCD under GDDR/HBM, tRCDRD/WR elsewhere, tPPD, t32AW) is still read.
    unused_here = ["tRCD"] if gddr or hbm else ["tRCDRD", "tRCDWR"]
    if not gddr:
        unused_here.append("t32AW")
        if protocol != "LPDDR4":
            unused_here.append("tPPD")
    if not hbm:
        unused_here.append("hbm_dual_cmd")
    for key in unused_here:
        for section in ("timing", "dram_structure"):
            e = entries.get((section, key.lower()))
            if e is not None:
                ignored.append(
                    IgnoredKey(f"[{e.section}] {e.key} (line {e.line})", f"not used by {protocol}")
                )
    # A key DRAMsim3 never reads that looks like one it does read, which the file lacks (REFI for tREFI): DRAMsim3
    # then uses its default for that key. Said, since the file's author probably meant otherwise.
    for section, keys in _SHIPPED_UNREAD.items():
        for key in keys:
            e = entries.get((section, key.lower()))
            if e is None:
                continue
            target = nearest(key, [name for (s, _), (name, _, _) in _KEYS.items() if s == section])
            if (
                target is None
                or r.has(section, target)
                or target.lower() in _CATEGORY
                or target in unused_here
            ):
                continue
            r.warnings.append(
                f"line {e.line}: [{e.section}] {e.key} is not a key DRAMsim3 reads (did you mean {target}?); "
                f"{target} is not set, so DRAMsim3 uses its default {_KEYS[(section, target.lower())][2]}, "
                "and so do we"
            )
    notes = list(dict.fromkeys(r.warnings)) + notes  # a value read twice warns once
    return peer_config(values, p, source=f"dramsim3:{p}", notes=notes, ignored=ignored, peer="DRAMsim3")
