"""The one override parser: settings by dotted path (``"buffer.capacity_bytes"``) into the frozen config dataclasses.

Every way of changing a configuration goes through here:

- a whole preset: each table builds its dataclass with the same checks (:func:`from_table`);
- a partial preset (``base = "tnpu"`` and only the tables that differ): its tables are flattened into paths
  (:func:`flatten`);
- ``tnpu run --set PATH=VALUE`` (and the other commands' ``--set``): the text is parsed by :func:`parse_setting`;
- ``tnpu.simulate(..., overrides={...})`` and the points of a sweep (both evaluators): :func:`replace_path`
  through :meth:`tnpu.accelerator.AcceleratorConfig.override` and :func:`tnpu.sweep.layer_arch`.

A path walks the dataclass fields (``arch.memory.bandwidth_gbps``); a tuple of named dataclasses is indexed by name
(``engines.pu_c.array_rows``); a mapping field takes a key (``energy.sram_access_pj.global_buffer``). The value is
checked against the field's type (the annotation): an error names the path and the expected type, and an unknown
name gets a "did you mean" from the known ones. Ranges and cross-field rules stay in each config's ``validate()``.

Examples
--------
>>> from tnpu.config import ArchConfig
>>> replace_path(ArchConfig(), "memory.bandwidth_gbps", 8.5).memory.bandwidth_gbps
8.5
>>> try:
...     replace_path(ArchConfig(), "memory.bandwith_gbps", 8.5)
... except ConfigError as exc:
...     print(str(exc)[:77])
memory.bandwith_gbps: unknown field of memory (did you mean 'bandwidth_gbps'?
>>> parse_setting("buffer.capacity_bytes=0x100000")
('buffer.capacity_bytes', 1048576)
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from tnpu.errors import ConfigError

T = TypeVar("T")

#: What a setting's value may be in a sweep or on the command line.
Scalar = int | float | str | bool | None

#: How each field type is named in messages.
_TYPE_WORDS: dict[Any, str] = {
    int: "a whole number (int)",
    float: "a number (float)",
    bool: "true or false (bool)",
    str: "a string (str)",
}


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """Return ``"did you mean 'x'? "`` for the closest of ``known`` to ``name`` (difflib), or ``""``."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def unknown_name(path: str, name: str, known: Iterable[str], what: str) -> ConfigError:
    """Return the error for an unknown ``name``: ``path: unknown <what> (did you mean 'x'? known: ...)``."""
    names = sorted(str(k) for k in known)
    return ConfigError(f"{path}: unknown {what} ({did_you_mean(name, names)}known: {', '.join(names)})")


def parse_value(text: str) -> Scalar:
    """Parse the VALUE of ``--set PATH=VALUE``: a whole number (also 0x, 0o, 0b), a number, true/false, or text."""
    raw = text.strip()
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return int(raw, 0)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


def parse_setting(text: str) -> tuple[str, Scalar]:
    """Parse ``PATH=VALUE`` (a ``--set`` option) into the path and its value (:func:`parse_value`).

    Raises
    ------
    ConfigError
        If there is no ``=`` or no path.
    """
    if "=" not in text:
        raise ConfigError(f"expected PATH=VALUE, got '{text}'")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"expected PATH=VALUE, got '{text}'")
    return key, parse_value(raw)


def flatten(table: Mapping[str, Any], prefix: str = "", *, where: str = "") -> dict[str, Any]:
    """Nested tables (a parsed TOML file) as ``{dotted path: value}``; a path given twice is an error.

    ``where`` prefixes the path in that error (``"space."`` for a sweep spec).
    """
    out: dict[str, Any] = {}
    _flatten_into(table, prefix, out, where)
    return out


def _flatten_into(table: Mapping[str, Any], prefix: str, out: dict[str, Any], where: str) -> None:
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            _flatten_into(value, path, out, where)
        elif path in out:
            raise ConfigError(f"{where}{path}: given twice")
        else:
            out[path] = value


_FIELD_TYPES: dict[type[Any], dict[str, Any]] = {}


def field_types(cls: type[Any]) -> dict[str, Any]:
    """Return the fields of dataclass ``cls`` and their (evaluated) type annotations (cached per class)."""
    got = _FIELD_TYPES.get(cls)
    if got is None:
        hints = typing.get_type_hints(cls)
        got = _FIELD_TYPES[cls] = {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls)}
    return got


def check_type(path: str, value: Any, hint: Any) -> Any:
    """Return ``value`` for a field annotated ``hint`` at ``path``, or raise ConfigError naming the expected type.

    Numbers stay as given (an int for a float field is kept); a single string for a ``tuple[str, ...]`` field
    becomes a one-item tuple and a list a tuple.
    """
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str)
    elif origin is tuple:
        item = typing.get_args(hint)[0]
        items = (value,) if isinstance(value, str) else value
        if isinstance(items, list | tuple) and all(isinstance(v, item) for v in items):
            return tuple(items)
        raise ConfigError(f"{path}: expected a list of {_TYPE_WORDS.get(item, item.__name__)}, got {value!r}")
    elif origin is not None and issubclass(origin, Mapping):
        if isinstance(value, Mapping):
            return dict(value)
        raise ConfigError(f"{path}: expected a table of name = value, got {value!r}")
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            raise ConfigError(f"{path}: expected a {hint.__name__} or its fields by path, got {value!r}")
        return value
    else:
        return value
    if not ok:
        raise ConfigError(f"{path}: expected {_TYPE_WORDS[hint]}, got {value!r}")
    return value


def from_table(cls: type[T], table: Any, *, path: str) -> T:
    """Build the dataclass ``cls`` from a table of its fields (a preset's ``[buffer]``), each checked like an override.

    ``path`` names the table in messages (``""`` for the top level). Missing fields take their defaults; an unknown
    one gets a "did you mean", a value of the wrong type names the field and the expected type.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path or 'settings'}: expected a table, got {table!r}")
    fields = field_types(cls)
    values = {}
    for name, value in table.items():
        where = f"{path}.{name}" if path else str(name)
        if name not in fields:
            raise unknown_name(where, name, fields, f"field of {path}" if path else "field")
        values[name] = check_type(where, value, fields[name])
    return cls(**values)


def replace_path(
    obj: Any,
    path: str,
    value: Any,
    *,
    prefix: str = "",
    label: str | None = None,
    locked: frozenset[str] = frozenset({"name"}),
) -> Any:
    """Return a copy of the frozen dataclass ``obj`` with the field at dotted ``path`` set to ``value``.

    ``prefix`` is the path of ``obj`` itself (``"arch"`` gives ``unknown field of arch.pu_c``) and ``label`` the
    setting as the user wrote it (default ``path``; ``"space.memory.model"`` in a sweep), both for messages.
    Fields named in ``locked`` of a named item (an engine's ``name``) cannot be set.

    Raises
    ------
    ConfigError
        For an unknown name (with a "did you mean"), a path into a plain value, or a value of the wrong type.
    """
    return _replace(obj, path.split("."), value, path=label or path, prefix=prefix, locked=locked)


def _replace(
    obj: Any, parts: list[str], value: Any, *, path: str, prefix: str, locked: frozenset[str]
) -> Any:
    name, rest = parts[0], parts[1:]
    here = f"{prefix}.{name}" if prefix else name
    if isinstance(obj, Mapping):  # a table of name -> value (energy.sram_access_pj.<buffer>)
        if rest:
            raise ConfigError(f"{path}: {here} is a value, not a table")
        return {**obj, name: value}
    if isinstance(obj, tuple):  # named items (engines.<name>.<field>)
        names = [str(getattr(item, "name", "")) for item in obj]
        if name not in names:
            known = ", ".join(str(n) for n in names)
            raise ConfigError(
                f"{here}: no such {_singular(prefix)} ({did_you_mean(name, names)}known: {known})"
            )
        if not rest:
            raise ConfigError(f"{path}: expected {here}.<field>")
        if rest[0] in locked:
            raise ConfigError(f"{path}: the {rest[0]} of {here} cannot be changed")
        return tuple(
            _replace(item, rest, value, path=path, prefix=here, locked=locked) if item.name == name else item
            for item in obj
        )
    fields = field_types(type(obj))
    if name not in fields:
        if rest:
            raise unknown_name(path, name, fields, f"part {here}" if not prefix else f"part of {prefix}")
        raise unknown_name(path, name, fields, f"field of {prefix}" if prefix else "field")
    current = getattr(obj, name)
    if rest:
        if not (dataclasses.is_dataclass(current) or isinstance(current, Mapping | tuple)):
            what = _TYPE_WORDS.get(fields[name], "a value")
            raise ConfigError(f"{path}: {here} is {what}, it has no fields")
        new = _replace(current, rest, value, path=path, prefix=here, locked=locked)
    else:
        new = check_type(path, value, fields[name])
    return dataclasses.replace(obj, **{name: new})


def _singular(prefix: str) -> str:
    word = prefix.rpartition(".")[2]
    return word[:-1] if word.endswith("s") else word or "item"
