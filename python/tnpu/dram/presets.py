"""DRAM presets (``tnpu/presets/dram/*.toml``) and the one loader for every kind of DRAM configuration."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from tnpu._text import read_text_file
from tnpu.dram.config import DramConfig
from tnpu.errors import ConfigError


def list_dram_presets() -> list[str]:
    """Names of the bundled DRAM presets (``ddr4-2400``, ...), sorted."""
    folder = resources.files("tnpu").joinpath("presets", "dram")
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def _from_toml_text(text: str, origin: str) -> DramConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    valid = set(DramConfig.model_fields())
    # A preset may group fields in tables ([timing], [power], ...); the grouping is for readers only.
    for key, value in data.items():
        items = value.items() if isinstance(value, dict) else [(key, value)]
        for k, v in items:
            if k in ("description", "sources"):
                continue
            if k not in valid:
                raise ConfigError(f"{origin}: {k}: unknown DRAM field (valid: {', '.join(sorted(valid))})")
            values[k] = v
    for name, v in values.items():
        default = getattr(DramConfig(), name)
        if (
            isinstance(default, bool) != isinstance(v, bool)
            or (isinstance(default, int | float) and not isinstance(v, int | float))
            or (isinstance(default, str) and not isinstance(v, str))
        ):
            raise ConfigError(f"{origin}: {name}: expected {type(default).__name__}, got {v!r}")
    cfg = DramConfig().replace(**values, source=origin)
    try:
        cfg.validate()
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    return cfg


def load_dram_config(dram: str | Path, overrides: dict[str, Any] | None = None) -> DramConfig:
    """Load a DRAM configuration by preset name or from a file.

    Parameters
    ----------
    dram
        A preset name (see :func:`list_dram_presets`), or a path to a TOML file (DramConfig fields), a DRAMsim3
        ``.ini`` or a Ramulator 1 ``.cfg``.
    overrides
        Fields to replace after loading.

    Raises
    ------
    ConfigError
        Unknown preset (the message lists the valid ones), unreadable or malformed file, bad field.
    """
    from tnpu.dram.readers import read_dramsim3_ini, read_ramulator1_cfg

    text = str(dram)
    path = Path(text)
    if path.suffix == ".ini":
        cfg = read_dramsim3_ini(path)
    elif path.suffix == ".cfg":
        cfg = read_ramulator1_cfg(path)
    elif path.suffix == ".toml":
        body = read_text_file(path, what="DRAM config", not_text="not a TOML file (not UTF-8 text)")
        cfg = _from_toml_text(body, str(path))
    else:
        names = list_dram_presets()
        if text not in names:
            raise ConfigError(
                f"unknown DRAM preset '{text}' (valid presets: {', '.join(names)}; or a path to a .toml, a "
                "DRAMsim3 .ini or a Ramulator 1 .cfg file)"
            )
        body = resources.files("tnpu").joinpath("presets", "dram", f"{text}.toml").read_text(encoding="utf-8")
        cfg = _from_toml_text(body, f"preset:{text}")
    if overrides:
        cfg = cfg.replace(**overrides)
        cfg.validate()
    return cfg
