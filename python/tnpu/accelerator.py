"""Accelerator presets: engines, scheduler, buffer, memory, clock and energy of one design (TNPU or a baseline).

A preset is a TOML file (``tnpu/presets/{tnpu,dadiannao,dnpu}.toml`` or a user's own) read into an
:class:`AcceleratorConfig`. Every field can be overridden by a dotted path (``"memory.bandwidth_gbps"``,
``"engines.pu_c.array_rows"``, ``"buffer.capacity_bytes"``, ``"batch"``, ``"energy.mac_pj"``...), which is what
``tnpu run --set`` and sweeps use.

Examples
--------
>>> from tnpu.accelerator import load_accelerator
>>> cfg = load_accelerator("tnpu")
>>> [(e.name, e.pes) for e in cfg.engines]
[('pu_c', 256), ('pu_f', 16)]
>>> load_accelerator("dadiannao").override({"buffer.capacity_bytes": 1 << 20}).arch.buffer.capacity_bytes
1048576
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tnpu import _core, registry
from tnpu.config import (
    MEMORY_MODEL_FIELDS,
    ArchConfig,
    BufferConfig,
    ClockConfig,
    DmaConfig,
    MemoryConfig,
)
from tnpu.energy import EnergyTable
from tnpu.errors import ConfigError
from tnpu.overrides import flatten, from_table, replace_path, unknown_name

#: Task classes an engine can run: conv GEMMs ("matrix") and everything else ("vector": FC, element-wise, WU).
TASK_CLASSES = ("matrix", "vector")


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """One compute engine: a PE array, vector lanes, or both (a time-multiplexed unit).

    Parameters
    ----------
    name
        Engine name (``pu_c``, ``pu_f``, ``array``).
    runs
        Task classes it runs: ``"matrix"`` (conv GEMMs) and/or ``"vector"`` (FC, element-wise work, WU).
    array_rows, array_cols, dataflow
        The PE array (0 x 0: none). Matrix work runs on it.
    lanes
        Vector lanes (0: none). Vector work runs on them; an engine without lanes runs it on its array.
    buffer_share
        Fraction of the global buffer its tiles may use (engines running concurrently share the one buffer).
    """

    name: str
    runs: tuple[str, ...]
    array_rows: int = 0
    array_cols: int = 0
    dataflow: str = "os"
    lanes: int = 0
    buffer_share: float = 1.0

    @property
    def pes(self) -> int:
        """Processing elements of the engine (an array's PEs double as its lanes)."""
        return max(self.array_rows * self.array_cols, self.lanes)

    def to_cpp(self) -> _core.AcceleratorEngine:
        """Return the C++ engine (``tnpu._core.AcceleratorEngine``); the classes it runs go to the machine."""
        return _core.AcceleratorEngine(
            self.name,
            array_rows=self.array_rows,
            array_cols=self.array_cols,
            dataflow=self.dataflow,
            lanes=self.lanes,
            buffer_share=float(self.buffer_share),
        )

    def validate(self, path: str) -> None:
        """Raise ConfigError naming the first bad field."""
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ConfigError(f"{path}.name: expected an identifier, got {self.name!r}")
        if not self.runs or any(r not in TASK_CLASSES for r in self.runs):
            raise ConfigError(
                f"{path}.runs: expected a non-empty list of {', '.join(TASK_CLASSES)}, got {self.runs}"
            )
        for name in ("array_rows", "array_cols", "lanes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 65536:
                raise ConfigError(f"{path}.{name}: expected a whole number in 0..65536, got {v!r}")
        if (self.array_rows == 0) != (self.array_cols == 0):
            raise ConfigError(f"{path}: array_rows and array_cols must both be 0 or both at least 1")
        if self.pes == 0:
            raise ConfigError(f"{path}: needs a PE array (array_rows x array_cols) or lanes")
        if self.array_rows:
            registry.check_choice(f"{path}.dataflow", self.dataflow, "dataflow")
        s = self.buffer_share
        if isinstance(s, bool) or not isinstance(s, int | float) or not (0 < s <= 1):
            raise ConfigError(f"{path}.buffer_share: expected a number in (0, 1], got {s!r}")


@dataclass(frozen=True, slots=True)
class AcceleratorConfig:
    """A whole accelerator: engines, scheduler, training granularity, datapath parts and energy table."""

    name: str
    engines: tuple[EngineConfig, ...]
    scheduler: str = "reorder"
    #: ``reorder``: most instances in flight (0: as many as the activation stash in DRAM allows, up to the batch).
    window: int = 0
    batch: int = 50
    #: samples per training instance (1: per-sample tasks).
    instance_samples: int = 1
    #: per-instance weight gradients accumulate into dW in DRAM (read-modify-write of dW per instance).
    gd_accumulate: bool = True
    #: where element-wise layers (ReLU, pooling, batch norm, add) run: ``"vector"`` (the vector engine, design.md 1)
    #: or ``"producer"`` (the engine of the GEMM layer feeding them: a conv's ReLU/pooling on the conv engine, as
    #: an activation unit at the array's output would).
    elementwise: str = "vector"
    arch: ArchConfig = field(default_factory=ArchConfig)
    energy: EnergyTable = field(default_factory=EnergyTable)
    description: str = ""
    sources: str = ""

    def engine_of_class(self) -> tuple[int, int]:
        """Engine index running matrix work and vector work."""
        out = []
        for cls in TASK_CLASSES:
            idx = [i for i, e in enumerate(self.engines) if cls in e.runs]
            if len(idx) != 1:
                raise ConfigError(
                    f"accelerator '{self.name}': exactly one engine must run {cls} work, got {len(idx)}"
                )
            out.append(idx[0])
        return out[0], out[1]

    def engine(self, name: str) -> EngineConfig:
        """Return the engine called ``name``."""
        for e in self.engines:
            if e.name == name:
                return e
        raise ConfigError(
            f"engines.{name}: no such engine (known: {', '.join(e.name for e in self.engines)})"
        )

    @property
    def pes(self) -> int:
        """PEs of all engines."""
        return sum(e.pes for e in self.engines)

    def validate(self) -> None:
        """Raise ConfigError naming the first bad field."""
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name: expected a non-empty string, got {self.name!r}")
        if not self.engines:
            raise ConfigError("engines: at least one engine is needed")
        names = [e.name for e in self.engines]
        for i, e in enumerate(self.engines):
            if not isinstance(e, EngineConfig):
                raise ConfigError(f"engines[{i}]: expected an EngineConfig, got {type(e).__name__}")
            e.validate(f"engines.{e.name}" if isinstance(e.name, str) else f"engines[{i}]")
        if len(set(names)) != len(names):
            raise ConfigError(f"engines: names must be unique, got {', '.join(names)}")
        total = sum(e.buffer_share for e in self.engines)
        if total > 1 + 1e-9:
            raise ConfigError(
                f"engines: buffer_share values add up to {total:g}, more than the one buffer (1)"
            )
        self.engine_of_class()
        registry.check_choice("scheduler", self.scheduler, "scheduler")
        for name, lo in (("window", 0), ("batch", 1), ("instance_samples", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v < 2**31:
                raise ConfigError(f"{name}: expected a whole number >= {lo}, got {v!r}")
        if self.batch % self.instance_samples:
            raise ConfigError(
                f"instance_samples: {self.instance_samples} must divide the batch ({self.batch})"
            )
        if self.elementwise not in ("vector", "producer"):
            raise ConfigError(f"elementwise: expected 'vector' or 'producer', got {self.elementwise!r}")
        if not isinstance(self.gd_accumulate, bool):
            raise ConfigError(f"gd_accumulate: expected true or false, got {self.gd_accumulate!r}")
        self.arch.validate("arch")

    def override(self, values: Mapping[str, Any]) -> AcceleratorConfig:
        """Return a copy with fields replaced by dotted path, validated.

        Paths: ``scheduler``, ``window``, ``batch``, ``instance_samples``, ``gd_accumulate``, ``elementwise``,
        ``engines.<name>.<field>``, ``buffer.<field>``, ``memory.<field>``, ``dma.<field>``, ``clock.<field>``,
        ``dtype``, ``mapping_objective``, ``mapping_compute_slack``, ``energy.<field>``.
        """
        cfg = self
        for path, value in values.items():
            cfg = cfg._set(path, value)
        cfg.validate()
        model = cfg.arch.memory.model
        used = MEMORY_MODEL_FIELDS.get(model, frozenset())
        for path in values:
            parts = path.split(".")
            if len(parts) == 2 and parts[0] == "memory" and parts[1] != "model" and parts[1] not in used:
                raise ConfigError(
                    f"{path}: memory model {model!r} does not use this field "
                    f"(it reads: {', '.join(sorted(used)) or 'none'}); set memory.model too"
                )
        return cfg

    def _set(self, path: str, value: Any) -> AcceleratorConfig:
        """One setting by dotted path, through the one override parser (:mod:`tnpu.overrides`)."""
        head = path.partition(".")[0]
        if head in _ARCH_PATHS:  # buffer.*, memory.*, dma.*, clock.* and the datapath scalars live in arch
            return dataclasses.replace(self, arch=replace_path(self.arch, path, value))
        if head not in _SETTINGS:
            raise unknown_name(path, head, _SETTINGS | _ARCH_PATHS, "setting")
        out: AcceleratorConfig = replace_path(self, path, value)
        return out

    def to_cpp(self, *, window: int | None = None, address_slots: int = 1) -> _core.AcceleratorConfig:
        """Validate and convert to the C++ machine (``tnpu._core.AcceleratorConfig``) that runs a training graph.

        ``window``: the scheduler's window (default this config's ``window``); ``address_slots``: activation
        slots in DRAM.
        """
        self.validate()
        c = _core.AcceleratorConfig()
        c.engines = [e.to_cpp() for e in self.engines]
        c.engine_of_class = list(self.engine_of_class())
        c.scheduler = self.scheduler
        c.window = self.window if window is None else int(window)
        c.pass_config = self.arch.to_cpp("pe_array")
        c.gd_accumulate = bool(self.gd_accumulate)
        c.address_slots = int(address_slots)
        return c

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain data (what :func:`accelerator_from_dict` reads back)."""
        arch = self.arch
        return {
            "name": self.name,
            "description": self.description,
            "scheduler": self.scheduler,
            "window": self.window,
            "batch": self.batch,
            "instance_samples": self.instance_samples,
            "gd_accumulate": self.gd_accumulate,
            "elementwise": self.elementwise,
            "engines": [{**dataclasses.asdict(e), "runs": list(e.runs)} for e in self.engines],
            "buffer": dataclasses.asdict(arch.buffer),
            "memory": {
                k: (v if isinstance(v, str | int | float | bool) else str(v))
                for k, v in dataclasses.asdict(arch.memory).items()
            },
            "dma": dataclasses.asdict(arch.dma),
            "clock": dataclasses.asdict(arch.clock),
            "dtype": arch.dtype,
            "mapping_objective": arch.mapping_objective,
            "mapping_compute_slack": arch.mapping_compute_slack,
            "energy": {
                "mac_pj": self.energy.mac_pj,
                "dram_pj_per_bit": self.energy.dram_pj_per_bit,
                "static_fraction": self.energy.static_fraction,
                "sram_access_pj": dict(self.energy.sram_access_pj),
            },
        }


_SECTIONS: dict[str, type[Any]] = {
    "buffer": BufferConfig,
    "memory": MemoryConfig,
    "dma": DmaConfig,
    "clock": ClockConfig,
}
#: Top-level scalar settings of a preset (besides name, description, sources and the arch fields).
_SCALARS = frozenset({"scheduler", "window", "batch", "instance_samples", "gd_accumulate", "elementwise"})
_TOP = _SCALARS | {"name", "description", "sources", "dtype", "mapping_objective", "mapping_compute_slack"}
#: Roots of the dotted paths :meth:`AcceleratorConfig.override` takes: its own settings, and those of its datapath
#: (``arch``) that a preset writes at the top (``buffer.capacity_bytes`` is ``arch.buffer.capacity_bytes``).
_SETTINGS = _SCALARS | {"description", "engines", "energy"}
_ARCH_PATHS = frozenset({*_SECTIONS, "dtype", "mapping_objective", "mapping_compute_slack"})


def accelerator_from_dict(data: Mapping[str, Any], origin: str = "accelerator") -> AcceleratorConfig:
    """Build and validate an :class:`AcceleratorConfig` from preset data (a parsed TOML file or ``to_dict()``).

    Raises
    ------
    ConfigError
        Naming ``origin`` and the unknown or bad field.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{origin}: expected a table of settings")
    known = _TOP | set(_SECTIONS) | {"engines", "energy"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{origin}: {unknown_name(unknown[0], unknown[0], known, 'setting')}")
    try:
        raw_engines = data.get("engines")
        if not isinstance(raw_engines, list) or not raw_engines:
            raise ConfigError("engines: expected a non-empty list of [[engines]] tables")
        engines = []
        for i, e in enumerate(raw_engines):
            if isinstance(e, Mapping) and ("name" not in e or "runs" not in e):
                raise ConfigError(f"engines[{i}]: needs name and runs")
            engines.append(from_table(EngineConfig, e, path=f"engines[{i}]"))
        # the datapath: its parts are the preset's [buffer], [memory], ... tables, its scalars top-level settings
        arch_fields: dict[str, Any] = {
            s: from_table(k, data.get(s, {}), path=s) for s, k in _SECTIONS.items()
        }
        arch_fields.update(
            {k: data[k] for k in ("dtype", "mapping_objective", "mapping_compute_slack") if k in data}
        )
        top = {
            k: data[k] for k in _TOP - {"dtype", "mapping_objective", "mapping_compute_slack"} if k in data
        }
        top.setdefault("name", Path(origin).stem)
        cfg = from_table(
            AcceleratorConfig,
            {
                **top,
                "engines": tuple(engines),
                "arch": from_table(ArchConfig, arch_fields, path=""),
                "energy": from_table(EnergyTable, data.get("energy", {}), path="energy"),
            },
            path="",
        )
    except TypeError as exc:  # a wrong argument shape from a hand-written table
        raise ConfigError(f"{origin}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    try:
        cfg.validate()
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    return cfg


def list_accelerators() -> dict[str, str]:
    """Bundled accelerator presets and their descriptions."""
    folder = resources.files("tnpu").joinpath("presets")
    out = {}
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.name.endswith(".toml"):
            data = tomllib.loads(p.read_text(encoding="utf-8"))
            out[p.name[: -len(".toml")]] = str(data.get("description", ""))
    return out


def load_accelerator(
    arch: str | Path | AcceleratorConfig, *, _seen: frozenset[Path] | None = None
) -> AcceleratorConfig:
    """Load an accelerator preset by name (``tnpu``, ``dadiannao``, ``dnpu``) or from a TOML file.

    A file may be partial: ``base = "tnpu"`` (a preset, or a .toml path relative to the file) and only the settings
    that differ, e.g. ``[buffer] capacity_bytes = 1048576`` or ``[engines.pu_c] array_rows = 32``. They are checked
    like ``--set`` overrides (an unknown field or one the memory model does not read is an error).

    Raises
    ------
    ConfigError
        For an unknown preset (listing the known ones), an unreadable file or a bad field.
    """
    if isinstance(arch, AcceleratorConfig):
        return arch
    text: str
    origin = str(arch)
    presets = list_accelerators()
    if isinstance(arch, str) and arch in presets:
        text = resources.files("tnpu").joinpath("presets", f"{arch}.toml").read_text(encoding="utf-8")
        origin = f"preset '{arch}'"
        name = arch
    else:
        path = Path(arch)
        if path.suffix == ".toml" and not path.exists():
            raise ConfigError(f"arch: file not found: {str(arch)!r} (or a preset: {', '.join(presets)})")
        if not path.suffix == ".toml" or not path.exists():
            raise ConfigError(
                f"arch: unknown accelerator {str(arch)!r} (presets: {', '.join(presets)}; or a .toml file)"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        name = path.stem
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    if "base" in data:
        here = Path(arch).resolve() if not isinstance(arch, str) or arch not in presets else None
        return _load_partial(data, origin, name, here, _seen or frozenset())
    data.setdefault("name", name)
    return accelerator_from_dict(data, origin)


def _load_partial(
    data: dict[str, Any], origin: str, name: str, here: Path | None, seen: frozenset[Path]
) -> AcceleratorConfig:
    """Load a partial preset: ``base = "<preset or .toml>"`` and only the settings that differ from it."""
    base = data.pop("base")
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{origin}: base: expected a preset name or a .toml path (got {base!r})")
    if here is not None:
        seen = seen | {here}
    target: str | Path = base
    if base not in list_accelerators():
        target = Path(base) if Path(base).is_absolute() or here is None else here.parent / base
        if Path(target).resolve() in seen:
            raise ConfigError(f"{origin}: base: {base!r} includes itself (a cycle of base files)")
    try:
        cfg = load_accelerator(target, _seen=seen)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: base {base!r}: {exc}") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("name", "description"):
            continue
        if key == "engines":
            for ename, fields in _partial_engines(value, origin).items():
                values.update(flatten(fields, f"engines.{ename}"))
        elif isinstance(value, Mapping):
            values.update(flatten(value, key))
        elif key in _SECTIONS:
            raise ConfigError(f"{origin}: {key}: expected a table")
        else:
            values[key] = value
    try:
        out = cfg.override(values)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    description = data.get("description", f"{cfg.description} (with the settings of {origin})")
    return dataclasses.replace(out, name=str(data.get("name", name)), description=str(description))


def _partial_engines(value: Any, origin: str) -> dict[str, dict[str, Any]]:
    """``[engines.<name>]`` tables or ``[[engines]]`` entries with a name, as {engine: {field: value}}."""
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for i, e in enumerate(value):
            if not isinstance(e, Mapping) or "name" not in e:
                raise ConfigError(
                    f"{origin}: engines[{i}]: expected a table with the name of an engine of the base"
                )
            items.append((e["name"], {k: v for k, v in e.items() if k != "name"}))
    else:
        raise ConfigError(f"{origin}: engines: expected [engines.<name>] tables")
    out: dict[str, dict[str, Any]] = {}
    for ename, fields in items:
        if not isinstance(fields, Mapping):
            raise ConfigError(f"{origin}: engines.{ename}: expected a table")
        out[str(ename)] = dict(fields)
    return out


def stash_window(
    stash_bytes_per_instance: int, params: int, dtype_bytes: int, capacity_bytes: int, instances: int
) -> int:
    """Instances whose activation stash fits in DRAM beside the weights, their gradients and momentum (3 copies).

    Returns at least 1 and at most ``instances``.
    """
    free = capacity_bytes - 3 * params * dtype_bytes
    if stash_bytes_per_instance <= 0:
        return instances
    return max(1, min(instances, math.floor(max(free, 0) / stash_bytes_per_instance)))
