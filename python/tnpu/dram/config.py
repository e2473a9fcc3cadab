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


#: The C++ ``DramSpec`` as default-constructed: the only source of the defaults below (the dataclass lists the
#: fields with their Python types; tests/test_dram_config.py checks that it lists exactly DramSpec's).
_SPEC = _core.DramSpec()

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

    standard: str = _SPEC.standard
    tck_ps: int = _SPEC.tck_ps
    channels: int = _SPEC.channels
    ranks: int = _SPEC.ranks
    bankgroups: int = _SPEC.bankgroups
    banks_per_group: int = _SPEC.banks_per_group
    rows: int = _SPEC.rows
    columns: int = _SPEC.columns
    device_width: int = _SPEC.device_width
    bus_width: int = _SPEC.bus_width
    burst_length: int = _SPEC.burst_length
    data_rate: int = _SPEC.data_rate
    tCL: int = _SPEC.tCL
    tCWL: int = _SPEC.tCWL
    tRCD: int = _SPEC.tRCD
    tRCDWR: int = _SPEC.tRCDWR
    tRP: int = _SPEC.tRP
    tRAS: int = _SPEC.tRAS
    tRC: int = _SPEC.tRC
    tCCD_S: int = _SPEC.tCCD_S
    tCCD_L: int = _SPEC.tCCD_L
    tRRD_S: int = _SPEC.tRRD_S
    tRRD_L: int = _SPEC.tRRD_L
    tFAW: int = _SPEC.tFAW
    faw_window: int = _SPEC.faw_window
    t32AW: int = _SPEC.t32AW
    tPPD: int = _SPEC.tPPD
    tWTR_S: int = _SPEC.tWTR_S
    tWTR_L: int = _SPEC.tWTR_L
    tRTP: int = _SPEC.tRTP
    tWR: int = _SPEC.tWR
    tRTRS: int = _SPEC.tRTRS
    tRTW: int = _SPEC.tRTW
    write_rank_switch: bool = _SPEC.write_rank_switch
    tREFI: int = _SPEC.tREFI
    tRFC: int = _SPEC.tRFC
    vdd: float = _SPEC.vdd
    idd0: float = _SPEC.idd0
    idd2n: float = _SPEC.idd2n
    idd3n: float = _SPEC.idd3n
    idd4r: float = _SPEC.idd4r
    idd4w: float = _SPEC.idd4w
    idd5b: float = _SPEC.idd5b
    address_mapping: str = _SPEC.address_mapping
    read_queue_size: int = _SPEC.read_queue_size
    write_queue_size: int = _SPEC.write_queue_size
    bank_queue_size: int = _SPEC.bank_queue_size
    scheduler: str = _SPEC.scheduler
    page_policy: str = _SPEC.page_policy
    refresh_policy: str = _SPEC.refresh_policy
    refresh_precharge: str = _SPEC.refresh_precharge
    write_drain: str = _SPEC.write_drain
    write_high_watermark: float = _SPEC.write_high_watermark
    write_low_watermark: float = _SPEC.write_low_watermark
    row_hit_cap: int = _SPEC.row_hit_cap
    promote_activated: bool = _SPEC.promote_activated
    forward_writes: bool = _SPEC.forward_writes
    dual_command: bool = _SPEC.dual_command
    wrap_addresses: bool = _SPEC.wrap_addresses
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
