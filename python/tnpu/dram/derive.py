"""A DRAM configuration of a given peak bandwidth, derived from a real one (the bandwidth sweep of ``tnpu reproduce``).

A DRAM configuration has no free "peak bandwidth": its peak is channels x bus bytes x data rate / tCK. To sweep it
on the cycle-level model, :func:`dram_at_peak_bandwidth` builds the nearest real memory system made of **the same
devices at the same speed**, in factors of two:

- **more** bandwidth: more channels (2 channels of DDR4-2133 = 34.1 GB/s, a desktop's dual channel; 4 = 68.2 GB/s,
  a server's quad channel). A configuration of one channel has its channel bits moved to the lowest address bits
  (consecutive lines alternate channels), as multi-channel controllers interleave: with the channel above the
  banks (DRAMsim3's ``rochrababgco``), a sequential stream would stay in one channel for 256 KiB at a time and two
  channels would sustain what one does. A configuration that already has several channels keeps its mapping.
- **less** bandwidth: a narrower data bus of the same devices (x32: four x8 DDR4 chips per rank, 8.53 GB/s; x16:
  two, 4.27 GB/s; as boards with a 32- or 16-bit DDR4 interface have), down to one device per rank; below that,
  fewer channels (a configuration of several channels). A burst then carries fewer bytes (the DMA engines follow
  it), and the rank has fewer devices (less background and command energy).

Every timing field (cycles of ``tck_ps``), the clock, the currents per device and the controller stay as they are,
so each derived configuration is a real part, timed in nanoseconds exactly as the original. Lowering the data rate
instead would need each timing's nCK floor besides its nanoseconds (tCCD_S = BL/2 clocks, tRRD_S >= 4 nCK, ...) and
gives parts no JEDEC speed bin has (DDR4 starts at 1600 MT/s), so it is not done.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from tnpu.dram.config import DramConfig
from tnpu.errors import ConfigError

#: Most channels a DramSpec takes (dram_spec.cpp), and its log2.
_MAX_CHANNELS = 1024
_MAX_CHANNEL_BITS = 10


def _mapping_fields(mapping: str) -> str:
    """Return the field string of an address mapping (a registered name resolves to its string)."""
    from tnpu import registry

    if mapping in registry.names("address_mapping"):
        found = re.search(r"\(([A-Za-z]+)\)\s*$", registry.entry("address_mapping", mapping).description)
        if found is None:  # pragma: no cover - the C++ registry's descriptions end with the field string
            raise ConfigError(f"dram.address_mapping: cannot resolve the named mapping {mapping!r}")
        return found.group(1)
    return mapping


def _channel_lowest(mapping: str) -> str:
    """Return ``mapping`` with the channel field least significant (consecutive lines alternate channels)."""
    fields = _mapping_fields(mapping)
    token = "Ch" if fields[:1].isupper() else "ch"
    tokens = [fields[i : i + 2] for i in range(0, len(fields), 2)]
    if token not in tokens:
        raise ConfigError(f"dram.address_mapping: {mapping!r} has no channel field '{token}'")
    tokens.remove(token)
    return "".join([*tokens, token])


def dram_at_peak_bandwidth(
    dram: DramConfig | str | Path, peak_gbps: float, *, tolerance: float = 0.1
) -> DramConfig:
    """Return the memory system of ``dram``'s devices whose peak bandwidth is nearest ``peak_gbps``.

    The peak changes in factors of two: more channels above ``dram``'s peak, a narrower data bus (then fewer
    channels) below it; timing, clock, currents and controller are unchanged (module docstring). The nearest factor
    of two is taken on a logarithmic scale; the result's :attr:`DramConfig.peak_bandwidth_gbps` is the actual peak,
    which differs from ``peak_gbps`` by up to ``tolerance``. ``source`` says how the result was made, and
    ``notes`` its actual peak.

    Parameters
    ----------
    dram
        A :class:`DramConfig`, a preset name or a file (as :func:`tnpu.dram.load_dram_config` takes).
    peak_gbps
        The peak bandwidth wanted, GB/s (1e9 B/s), a finite number > 0.
    tolerance
        Largest relative difference between the actual peak and ``peak_gbps`` accepted, in [0, 1).

    Raises
    ------
    ConfigError
        ``peak_gbps`` not a positive finite number, ``tolerance`` out of range, no configuration of ``dram``'s
        devices within ``tolerance`` of ``peak_gbps`` (the message names the nearest peaks), or a bad ``dram``.

    Examples
    --------
    >>> from tnpu.dram import dram_at_peak_bandwidth
    >>> cfg = dram_at_peak_bandwidth("ddr4-2133", 34.1)
    >>> cfg.channels, round(cfg.peak_bandwidth_gbps, 2)
    (2, 34.12)
    """
    from tnpu.dram.presets import load_dram_config

    if isinstance(peak_gbps, bool) or not isinstance(peak_gbps, int | float) or not math.isfinite(peak_gbps):
        raise ConfigError(f"peak_gbps: expected a finite number of GB/s, got {peak_gbps!r}")
    if peak_gbps <= 0:
        raise ConfigError(f"peak_gbps: must be > 0 GB/s, got {peak_gbps}")
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not (0 <= tolerance < 1)  # also rejects NaN
    ):
        raise ConfigError(f"tolerance: expected a number in [0, 1), got {tolerance!r}")
    base = dram if isinstance(dram, DramConfig) else load_dram_config(dram)
    base.validate()
    base_peak = base.peak_bandwidth_gbps
    name = base.source
    steps = round(math.log2(peak_gbps / base_peak))
    how = "unchanged"
    cfg = base
    if steps > 0:
        channels = base.channels * 2 ** min(steps, _MAX_CHANNEL_BITS + 1)
        if channels > _MAX_CHANNELS:
            raise ConfigError(
                f"peak_gbps: {peak_gbps:g} GB/s needs {channels} channels of {name} ({base_peak:.2f} GB/s with "
                f"{base.channels}); at most {_MAX_CHANNELS} supported"
            )
        mapping = base.address_mapping if base.channels > 1 else _channel_lowest(base.address_mapping)
        cfg = base.replace(channels=channels, address_mapping=mapping)
        how = f"{channels} channels instead of {base.channels}"
        if mapping != base.address_mapping:
            how += f", consecutive lines alternating channels (address_mapping {mapping})"
    elif steps < 0:
        bus, channels, left = base.bus_width, base.channels, -steps
        while (
            left
            and bus // 2 >= base.device_width
            and (bus // 2) % base.device_width == 0
            and (bus // 2) % 8 == 0
        ):
            bus, left = bus // 2, left - 1
        while left and channels % 2 == 0:
            channels, left = channels // 2, left - 1
        parts = []
        if bus != base.bus_width:
            parts.append(
                f"a x{bus} data bus instead of x{base.bus_width} "
                f"({bus // base.device_width} x{base.device_width} devices per rank)"
            )
        if channels != base.channels:
            parts.append(f"{channels} channels instead of {base.channels}")
        if parts:
            cfg = base.replace(bus_width=bus, channels=channels)
            how = ", ".join(parts)
    actual = cfg.peak_bandwidth_gbps
    if abs(actual / peak_gbps - 1) > tolerance:
        lowest = base_peak * base.device_width / base.bus_width / base.channels
        raise ConfigError(
            f"peak_gbps: {peak_gbps:g} GB/s is not within {tolerance:.0%} of a memory system of {name}'s devices "
            f"(nearest: {actual:.2f} GB/s; they make {base_peak:.2f} GB/s x 2^k, from {lowest:.2f} GB/s: one "
            f"channel of one x{base.device_width} device per rank); a larger tolerance takes the nearest"
        )
    cfg.validate()
    if cfg is base:
        return cfg
    note = f"derived for a peak of {peak_gbps:g} GB/s: {how}; actual peak {actual:.2f} GB/s"
    return cfg.replace(source=f"{name} at {actual:.2f} GB/s peak ({how})", notes=(*base.notes, note))
