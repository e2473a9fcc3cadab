"""Energy model: per-event energies times counts, plus static power times time.

Every default is cited. The numbers are 45 nm figures (Horowitz, ISSCC 2014) unless said otherwise; TNPU's paper
gives no technology or energy table, so these are assumptions (``paper.md`` section 5), kept overridable per preset.

Accounting:

* dynamic energy = MACs x MAC energy + SRAM accesses x access energy (per buffer, by capacity and word width)
  + DRAM bits x DRAM energy per bit (or the DRAM model's own command/background energy when given);
* static energy = static power x simulated time, per component; static power defaults to a fixed fraction of the
  component's full-load dynamic power (leakage at 10-30 % of dynamic at full load, ``paper.md`` 5.5: 20 % here);
* ``paper_accounting=True`` excludes DRAM energy, as the TNPU paper did (``paper.md`` 1.2, Fig. 7); both totals are
  always reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from tnpu.errors import ConfigError

#: MAC energy (pJ) by data type. Horowitz ISSCC'14, 45 nm, 0.9 V: FP32 mult 3.7 + add 0.9; FP16 mult 1.1 + add 0.4;
#: INT8 mult 0.2 + 32-bit accumulate add 0.1 (8-bit add is 0.03, but int8 MACs accumulate in 32 bits).
#: BF16 has no Horowitz entry: assumed equal to FP16 (an 8-bit-mantissa multiplier is smaller, so this is an upper
#: bound).
MAC_PJ: dict[str, float] = {"fp32": 3.7 + 0.9, "fp16": 1.1 + 0.4, "bf16": 1.1 + 0.4, "int8": 0.2 + 0.1}

#: SRAM energy per 64-bit access (pJ) at three capacities, Horowitz ISSCC'14 (45 nm): 8 KB 10 pJ, 32 KB 20 pJ,
#: 1 MB 100 pJ. Other capacities are interpolated linearly in log2(capacity) between these points and extrapolated
#: along the nearest segment (a CACTI-style square-root-like growth).
SRAM_POINTS_64B: tuple[tuple[int, float], ...] = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))

#: DRAM energy per bit (pJ/bit) by standard. Accelergy CACTI plug-in (`cacti_wrapper.py`, class CactiDRAM): LPDDR4 8
#: ("public data"), DDR3 70 (Chatterjee et al., MICRO'17), GDDR5 14, HBM2 3.9 (also O'Connor et al., MICRO'17:
#: 3.97). DDR4 is in none of these tables: 20 pJ/bit assumed, between GDDR5 and DDR3 and equal to Horowitz's
#: 640 pJ per 32-bit DRAM access (paper.md 5.1, 5.3). LPDDR4 and HBM2 take the plug-in's values.
DRAM_PJ_PER_BIT: dict[str, float] = {"ddr3": 70.0, "ddr4": 20.0, "lpddr4": 8.0, "gddr5": 14.0, "hbm2": 3.9}

#: Static power as a fraction of a component's full-load dynamic power (paper.md 5.5: 10-30 %).
STATIC_FRACTION = 0.2


def sram_access_pj(capacity_bytes: int, word_bits: int = 64) -> float:
    """Energy of one access of ``word_bits`` to an SRAM of ``capacity_bytes`` (pJ).

    Interpolates Horowitz's 64-bit figures in log2(capacity) and scales linearly with the word width.
    """
    if capacity_bytes <= 0:
        raise ConfigError(f"sram capacity_bytes: expected a positive size, got {capacity_bytes}")
    if word_bits <= 0:
        raise ConfigError(f"sram word_bits: expected a positive width, got {word_bits}")
    xs = [math.log2(c) for c, _ in SRAM_POINTS_64B]
    ys = [e for _, e in SRAM_POINTS_64B]
    x = math.log2(capacity_bytes)
    i = 0 if x <= xs[1] else 1
    e64 = ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / (xs[i + 1] - xs[i])
    e64 = max(
        e64, 1.0
    )  # tiny register files: floor at ~1 pJ per 64 bits (paper.md 5.5: ~1 pJ per 32-bit PE access)
    return e64 * word_bits / 64


@dataclass(frozen=True, slots=True)
class EnergyTable:
    """Per-event energies and static power assumptions of one preset (all pJ unless the name says otherwise)."""

    mac_pj: float = MAC_PJ["fp32"]
    dram_pj_per_bit: float = DRAM_PJ_PER_BIT["ddr4"]
    static_fraction: float = STATIC_FRACTION
    #: DRAM background power (W) added to bits x pJ/bit when the DRAM model's own energy is not used. 0 by default
    #: (pJ/bit figures of the cited tables are per access); the stream memory model sets it, with dram_pj_per_bit,
    #: from the cycle-level DRAM model's IDD-based background and command energy (tnpu.reproduce.calibrate_stream).
    dram_background_w: float = 0.0
    #: SRAM energy per access by buffer name; a missing buffer uses :func:`sram_access_pj` from its capacity.
    sram_access_pj: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("mac_pj", "dram_pj_per_bit", "static_fraction", "dram_background_w"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ConfigError(f"energy.{name}: expected a finite number >= 0, got {v!r}")
        if not isinstance(self.sram_access_pj, Mapping):
            raise ConfigError(
                f"energy.sram_access_pj: expected a table of buffer name -> pJ, got {self.sram_access_pj!r}"
            )
        for buf, v in self.sram_access_pj.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not (math.isfinite(v) and v >= 0):
                raise ConfigError(f"energy.sram_access_pj.{buf}: expected a finite number >= 0, got {v!r}")


@dataclass(frozen=True, slots=True)
class BufferActivity:
    """Accesses of one SRAM buffer during a run."""

    name: str
    capacity_bytes: int
    word_bits: int
    reads: int
    writes: int
    ports: int = 1


@dataclass(frozen=True, slots=True)
class EngineActivity:
    """Work of one compute engine during a run."""

    name: str
    pes: int
    macs: int


@dataclass(frozen=True, slots=True)
class Activity:
    """What a run did: the counts the energy model multiplies."""

    time_ps: int
    clock_hz: float
    engines: tuple[EngineActivity, ...]
    buffers: tuple[BufferActivity, ...]
    dram_bits: int
    #: energy the DRAM model computed itself (command + background), if any; replaces bits x pJ/bit.
    dram_energy_pj: float | None = None


def energy_breakdown(activity: Activity, table: EnergyTable) -> dict[str, float]:
    """Return energy (pJ) per component: ``mac.<engine>``, ``sram.<buffer>``, ``dram``, ``static.<component>``.

    Totals are ``total_pj`` (everything) and ``total_paper_pj`` (everything but DRAM, the paper's accounting).
    """
    out: dict[str, float] = {}
    seconds = activity.time_ps * 1e-12
    static_total = 0.0
    for e in activity.engines:
        out[f"mac.{e.name}"] = e.macs * table.mac_pj
        full_load_w = e.pes * table.mac_pj * 1e-12 * activity.clock_hz
        s = table.static_fraction * full_load_w * seconds * 1e12
        out[f"static.{e.name}"] = s
        static_total += s
    for b in activity.buffers:
        per = table.sram_access_pj.get(b.name, sram_access_pj(b.capacity_bytes, b.word_bits))
        out[f"sram.{b.name}"] = (b.reads + b.writes) * per
        full_load_w = b.ports * per * 1e-12 * activity.clock_hz
        s = table.static_fraction * full_load_w * seconds * 1e12
        out[f"static.{b.name}"] = s
        static_total += s
    dram = (
        activity.dram_energy_pj
        if activity.dram_energy_pj is not None
        else activity.dram_bits * table.dram_pj_per_bit + table.dram_background_w * seconds * 1e12
    )
    out["dram"] = dram
    total = sum(out.values())
    out["total_pj"] = total
    out["total_paper_pj"] = total - dram
    return out
