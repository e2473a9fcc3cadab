"""Reading a user-named text file, with the error naming the file (a ConfigError, never a raw OSError)."""

from __future__ import annotations

from pathlib import Path

from tnpu.errors import ConfigError


def read_text_file(path: Path, *, what: str, not_text: str, encoding: str = "utf-8") -> str:
    """Return the text of ``path``.

    Raises
    ------
    ConfigError
        ``"{path}: cannot read {what}: {reason}"`` when the file cannot be read, ``"{path}: {not_text}"`` when it
        is not text in ``encoding``.
    """
    try:
        return path.read_text(encoding=encoding)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: {not_text}") from None
