"""DramConfig: the typed DRAM configuration, every field overridable, mapped 1:1 onto the C++ ``DramSpec``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from tnpu import _core
from tnpu.errors import ConfigError


def _field_error(name: str, value: Any) -> str:
    """Say what field ``name`` takes, for a value the C++ ``DramSpec`` refused (wrong type, out of range)."""
    default = getattr(DramConfig(), name)
    if isinstance(default, bool):
        return f"dram.{name}: expected true or false, got {value!r}"
    if isinstance(default, int):
        top = 2**64 - 1 if name == "tck_ps" else 2**32 - 1  # the C++ field's unsigned type
        if isinstance(value, int) and not isinstance(value, bool):
            return f"dram.{name}: expected a whole number in 0..{top}, got {value}"
        return f"dram.{name}: expected a whole number, got {value!r}"
    if isinstance(default, float):
        return f"dram.{name}: expected a number, got {value!r}"
    return f"dram.{name}: expected text, got {value!r}"


#: DramConfig fields that describe where the values came from; they never reach the C++ model.
_META = ("source", "notes", "ignored_keys")


@dataclass(frozen=True, slots=True)
class DramConfig:
    """One DRAM memory system: standard, organisation, timing (memory clock cycles), IDD currents, policies.

    Timing fields are whole memory clock cycles of ``tck_ps`` picoseconds; currents are mA, ``vdd`` is V. Use
    :func:`tnpu.dram.load_dram_config` to read a preset, a TOML file, a DRAMsim3 ``.ini`` or a Ramulator 1
    ``.cfg``, and :meth:`replace` to override fields. ``source`` says where the values came from, ``notes`` what a
    user should know about them (warnings, and one line summing up ``ignored_keys``), ``ignored_keys`` every key of
    the source file that has no effect, and why; none of the three reaches the C++ model.
    """

    standard: str = "ddr4"
    tck_ps: int = 833
    channels: int = 1
    ranks: int = 1
    bankgroups: int = 4
    banks_per_group: int = 4
    rows: int = 65536
    columns: int = 1024
    device_width: int = 8
    bus_width: int = 64
    burst_length: int = 8
    data_rate: int = 2
    tCL: int = 17
    tCWL: int = 12
    tRCD: int = 17
    tRCDWR: int = 0
    tRP: int = 17
    tRAS: int = 39
    tRC: int = 56
    tCCD_S: int = 4
    tCCD_L: int = 6
    tRRD_S: int = 4
    tRRD_L: int = 6
    tFAW: int = 26
    faw_window: int = 4
    t32AW: int = 0
    tPPD: int = 0
    tWTR_S: int = 3
    tWTR_L: int = 9
    tRTP: int = 9
    tWR: int = 18
    tRTRS: int = 1
    tRTW: int = 2
    write_rank_switch: bool = True
    tREFI: int = 9360
    tRFC: int = 420
    vdd: float = 1.2
    idd0: float = 48.0
    idd2n: float = 34.0
    idd3n: float = 43.0
    idd4r: float = 135.0
    idd4w: float = 123.0
    idd5b: float = 250.0
    address_mapping: str = "rochrababgco"
    read_queue_size: int = 32
    write_queue_size: int = 32
    bank_queue_size: int = 0
    page_policy: str = "open"
    refresh_policy: str = "rank_staggered"
    refresh_precharge: str = "all"
    write_drain: str = "watermark"
    write_high_watermark: float = 0.8
    write_low_watermark: float = 0.2
    row_hit_cap: int = 0
    promote_activated: bool = False
    forward_writes: bool = True
    dual_command: bool = False
    wrap_addresses: bool = False
    source: str = field(default="defaults", compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)
    ignored_keys: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def model_fields(cls) -> tuple[str, ...]:
        """Names of the fields that reach the C++ model (all but ``source``, ``notes`` and ``ignored_keys``)."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in _META)

    def replace(self, **overrides: Any) -> DramConfig:
        """Return a copy with some fields replaced; an unknown field raises ConfigError listing the valid ones."""
        valid = set(self.model_fields()) | set(_META)
        for key in overrides:
            if key not in valid:
                raise ConfigError(
                    f"dram.{key}: unknown field (valid: {', '.join(sorted(self.model_fields()))})"
                )
        return dataclasses.replace(self, **overrides)

    def to_spec(self) -> Any:
        """Convert to the C++ ``DramSpec`` (validated: ConfigError names the first bad field)."""
        spec = _core.DramSpec()
        for name in self.model_fields():
            value = getattr(self, name)
            try:
                setattr(spec, name, value)
            except (TypeError, ValueError):
                raise ConfigError(_field_error(name, value)) from None
        spec.validate()
        return spec

    def validate(self) -> None:
        """Raise ConfigError naming the first bad field, if any."""
        self.to_spec()

    @property
    def capacity_bytes(self) -> int:
        """Capacity of all channels in bytes."""
        return int(self.to_spec().capacity_bytes)

    @property
    def peak_bandwidth_gbps(self) -> float:
        """Peak data bandwidth of all channels, GB/s (1e9 B/s)."""
        return float(self.to_spec().peak_bandwidth_gbps)

    def as_dict(self) -> dict[str, Any]:
        """Return the model fields as a plain dict (what a TOML preset holds)."""
        return {name: getattr(self, name) for name in self.model_fields()}
