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

This module is the one place energy is accounted: a training batch (:func:`training_energy`, with the split by
phase), a single layer pass (:func:`layer_activity`, :func:`layer_energy_table`) and a sweep point all go through
:func:`energy_breakdown`. The only energy figure computed elsewhere is the cycle-level DRAM model's own
(command and background energy from its IDD currents, command by command, in C++): it is a measurement of that
model, read here from its statistics (:func:`dram_model_energy_pj`) as the DRAM term, like a count. Everything else
is a handful of multiply-adds over totals the simulation returns once, so it costs nothing to do here, and the
energy table (cited defaults, preset overrides) stays one Python dataclass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tnpu.errors import ConfigError

if TYPE_CHECKING:
    from tnpu.config import ArchConfig, BufferConfig
    from tnpu.layer import LayerResult

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


def buffer_activity(buffer: BufferConfig, reads: int, writes: int) -> BufferActivity:
    """Return the accesses of the global buffer ``buffer`` (name, size, word width, ports) as a BufferActivity."""
    return BufferActivity(
        name=buffer.name,
        capacity_bytes=buffer.capacity_bytes,
        word_bits=buffer.word_bytes * 8,
        reads=reads,
        writes=writes,
        ports=buffer.ports,
    )


def dram_model_energy_pj(memory_model: str, stats: Mapping[str, Any]) -> float | None:
    """Return the energy the memory model computed itself (the cycle-level DRAM's commands and background).

    ``"dram"`` and ``"sampled"`` report it as a statistic; the other models have none (None: the energy table's
    pJ/bit and background power apply).
    """
    name = {"dram": "tnpu.dram.energy", "sampled": "tnpu.sampled.dram_energy"}.get(memory_model)
    value = stats.get(name) if name is not None else None
    return float(value) if value is not None else None


def training_energy(
    tasks: npt.NDArray[np.void],
    *,
    engines: Sequence[tuple[str, int]],
    buffer: BufferConfig,
    clock_period_ps: int,
    time_ps: int,
    dram_bytes: int,
    dram_energy_pj: float | None,
    table: EnergyTable,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Return the energy of a training batch: the breakdown (:func:`energy_breakdown`) and the dynamic energy by phase.

    Parameters
    ----------
    tasks
        The result's task table (:data:`tnpu.results.TASK_RESULT_DTYPE`): ``engine``, ``phase``, ``macs``,
        ``sram_reads``/``sram_writes`` (buffer words) and ``dram_read_bytes``/``dram_write_bytes`` of every task.
    engines
        ``(name, PEs)`` of each engine, indexed by ``tasks["engine"]``.
    buffer, clock_period_ps, time_ps
        The global buffer, the clock and the batch time.
    dram_bytes, dram_energy_pj
        Bytes the DMA engines moved, and the DRAM model's own energy (:func:`dram_model_energy_pj`) if any.
    table
        The preset's energy table.

    Returns
    -------
    (breakdown, by_phase)
        ``by_phase[phase]`` holds ``mac_pj``, ``sram_pj`` and ``dram_pj``; static energy belongs to no phase, and the
        DRAM energy is split by each phase's share of the tasks' DRAM bytes.
    """
    engine_macs = [int(tasks["macs"][tasks["engine"] == i].sum()) for i in range(len(engines))]
    activity = Activity(
        time_ps=time_ps,
        clock_hz=1e12 / clock_period_ps,
        engines=tuple(
            EngineActivity(name=name, pes=pes, macs=engine_macs[i]) for i, (name, pes) in enumerate(engines)
        ),
        buffers=(buffer_activity(buffer, int(tasks["sram_reads"].sum()), int(tasks["sram_writes"].sum())),),
        dram_bits=dram_bytes * 8,
        dram_energy_pj=dram_energy_pj,
    )
    energy = energy_breakdown(activity, table)
    sram_pj = table.sram_access_pj.get(
        buffer.name, sram_access_pj(buffer.capacity_bytes, buffer.word_bytes * 8)
    )
    task_bytes = tasks["dram_read_bytes"] + tasks["dram_write_bytes"]
    total_task_bytes = max(int(task_bytes.sum()), 1)
    from tnpu import _core

    by_phase = {}
    for ph in _core.Phase:
        sel = tasks["phase"] == int(ph)
        by_phase[ph.name] = {
            "mac_pj": float(tasks["macs"][sel].sum()) * table.mac_pj,
            "sram_pj": float(tasks["sram_reads"][sel].sum() + tasks["sram_writes"][sel].sum()) * sram_pj,
            "dram_pj": energy["dram"] * float(task_bytes[sel].sum()) / total_task_bytes,
        }
    return energy, by_phase


def layer_activity(result: LayerResult, arch: ArchConfig | None = None) -> Activity:
    """Return the counts of a layer pass in the form the energy model multiplies.

    Parameters
    ----------
    result
        What :func:`tnpu.simulate_layer` returned.
    arch
        The ArchConfig the pass ran on (default: the TNPU setup), for the buffer's size and word width and the clock.

    Examples
    --------
    >>> import tnpu
    >>> r = tnpu.simulate_layer({"kind": "linear", "c": 256, "k": 256})
    >>> energy_breakdown(layer_activity(r), EnergyTable())["total_pj"] > 0
    True
    """
    from tnpu.config import ArchConfig

    arch = arch if arch is not None else ArchConfig()
    engine = "pu_c" if result.engine == "pe_array" else "pu_f"
    return Activity(
        time_ps=result.total_ps,
        clock_hz=1e12 / arch.clock.period_ps,
        engines=(EngineActivity(name=engine, pes=result.pes, macs=result.macs),),
        buffers=(
            buffer_activity(
                arch.buffer,
                sum(op["reads"] for op in result.sram_accesses.values()),
                sum(op["writes"] for op in result.sram_accesses.values()),
            ),
        ),
        dram_bits=(result.dram_bytes_read + result.dram_bytes_written) * 8,
    )


def layer_energy_table(arch: ArchConfig) -> EnergyTable:
    """Return the energy table of a layer pass on ``arch`` (the sweep's layer evaluator).

    The MAC energy of its data type and the DRAM energy per bit of its DRAM standard (DDR4 unless the cycle-level
    DRAM model runs another).
    """
    standard = arch.memory.dram_config().standard if arch.memory.model == "dram" else "ddr4"
    return EnergyTable(mac_pj=MAC_PJ[arch.dtype], dram_pj_per_bit=DRAM_PJ_PER_BIT.get(standard, 20.0))
