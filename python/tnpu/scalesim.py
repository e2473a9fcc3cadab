"""Readers of SCALE-Sim's own input files: the topology CSV and the ``.cfg`` configuration.

Users of SCALE-Sim (https://github.com/scalesim-project/scale-sim-v3) have these files already; tnpu reads them as
they are. Two topology formats are accepted:

- convolution: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
  Strides,`` (one row per layer, trailing comma allowed; SCALE-Sim 3's ``Stride height, Stride width`` instead of
  ``Strides``);
- GEMM: ``Layer, M, N, K`` (M rows of A and C, N columns of B and C, K the reduction), as in SCALE-Sim's
  ``topologies/GEMM_mnk``.

Columns are found by their header names; SCALE-Sim 3's optional ``Batch Size`` multiplies M, and ``Sparsity`` must be
dense (sparse layers are not modelled).

Every malformed line raises :class:`tnpu.errors.ConfigError` naming ``path:line`` and what was expected.
"""

from __future__ import annotations

import configparser
import csv
from dataclasses import dataclass
from pathlib import Path

from tnpu import registry
from tnpu._text import read_text_file
from tnpu.errors import ConfigError

_MAX_CELL = 2**31 - 1

# Header names (lowercase, spaces collapsed) SCALE-Sim 2 and 3 write, per field. Stride: one "Strides" column, or
# "Stride height" and "Stride width"; "Batch Size" and "Sparsity" are optional (SCALE-Sim 3).
_CONV_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("layer name", "layer"),
    "ifmap_h": ("ifmap height",),
    "ifmap_w": ("ifmap width",),
    "filter_h": ("filter height",),
    "filter_w": ("filter width",),
    "channels": ("channels",),
    "num_filter": ("num filter", "num filters"),
}
_GEMM_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("layer", "layer name"),
    "m": ("m",),
    "n": ("n",),
    "k": ("k",),
}


@dataclass(frozen=True, slots=True)
class TopologyLayer:
    """One layer of a SCALE-Sim topology, as a convolution (a GEMM row is a 1 x 1 convolution).

    The GEMM SCALE-Sim runs for it has ``M = ofmap_h * ofmap_w * batch``, ``K = filter_h * filter_w * channels``
    and ``N = num_filter``.
    """

    name: str
    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filter: int
    stride_h: int = 1
    stride_w: int = 1
    batch: int = 1

    @property
    def ofmap_h(self) -> int:
        """Output rows: ``(ifmap_h - filter_h) // stride_h + 1`` (SCALE-Sim has no padding)."""
        return (self.ifmap_h - self.filter_h) // self.stride_h + 1

    @property
    def ofmap_w(self) -> int:
        """Output columns."""
        return (self.ifmap_w - self.filter_w) // self.stride_w + 1

    @property
    def gemm(self) -> tuple[int, int, int]:
        """``(M, K, N)`` of the layer's GEMM."""
        return (
            self.ofmap_h * self.ofmap_w * self.batch,
            self.filter_h * self.filter_w * self.channels,
            self.num_filter,
        )

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the layer."""
        m, k, n = self.gemm
        return m * k * n

    def layer_shape(self) -> dict[str, int | str]:
        """Return the layer as a ``layer_shape()`` dict (no padding)."""
        return {
            "kind": "conv",
            "n": self.batch,
            "c": self.channels,
            "k": self.num_filter,
            "h": self.ifmap_h,
            "w": self.ifmap_w,
            "r": self.filter_h,
            "s": self.filter_w,
            "stride_h": self.stride_h,
            "stride_w": self.stride_w,
        }


@dataclass(frozen=True, slots=True)
class ScaleSimConfig:
    """The parts of a SCALE-Sim ``.cfg`` that concern compute (and the SRAM sizes, for reference)."""

    run_name: str
    array_rows: int
    array_cols: int
    dataflow: str
    ifmap_sram_kb: int
    filter_sram_kb: int
    ofmap_sram_kb: int
    interface_bandwidth: str


def _int_cell(path: Path, line: int, column: str, text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"{path}:{line}: {column}: expected a whole number, got {text.strip()!r}") from None
    if value < 1:
        raise ConfigError(f"{path}:{line}: {column}: expected a whole number >= 1, got {value}")
    if value > _MAX_CELL:
        raise ConfigError(f"{path}:{line}: {column}: expected at most {_MAX_CELL}, got {value}")
    return value


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((i for i, h in enumerate(header) if h in names), None)


def _columns(header: list[str], fields: dict[str, tuple[str, ...]]) -> dict[str, int] | None:
    """Return the column index of every field, or None if the header is not this format."""
    out: dict[str, int] = {}
    for field, names in fields.items():
        index = _find(header, names)
        if index is None:
            return None
        out[field] = index
    return out


def read_topology(path: str | Path) -> list[TopologyLayer]:
    """Read a SCALE-Sim topology CSV (convolution or GEMM format).

    Parameters
    ----------
    path
        The CSV file. Its first line is the header, which selects the format and names the columns: convolution
        ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides`` (or
        ``Stride height, Stride width``), GEMM ``Layer, M, N, K``; both may add ``Batch Size`` and ``Sparsity``
        (dense only).

    Returns
    -------
    list of TopologyLayer
        One entry per layer, in file order.

    Raises
    ------
    ConfigError
        For a missing file, an unknown header, a row with the wrong number of values, a value that is not a positive
        whole number, a filter larger than its input, a sparse layer, or no layer at all. The message names
        ``path:line``.
    """
    path = Path(path)
    text = read_text_file(path, what="topology", not_text="not a text (UTF-8) CSV file", encoding="utf-8-sig")
    cells = [[c.strip() for c in row] for row in csv.reader(text.splitlines())]
    for row in cells:  # SCALE-Sim rows end with a comma
        while row and row[-1] == "":
            row.pop()
    header_index = next((i for i, row in enumerate(cells) if row), None)
    if header_index is None:
        raise ConfigError(f"{path}: empty topology file (expected a header line)")
    header = [_norm(h) for h in cells[header_index]]
    line0 = header_index + 1
    gemm_cols = _columns(header, _GEMM_FIELDS) if header[:1] == ["layer"] else None
    conv_cols = None if gemm_cols else _columns(header, _CONV_FIELDS)
    stride = _find(header, ("strides", "stride"))
    stride_h, stride_w = _find(header, ("stride height",)), _find(header, ("stride width",))
    if conv_cols is not None and stride is None and (stride_h is None or stride_w is None):
        conv_cols = None
    if gemm_cols is None and conv_cols is None:
        raise ConfigError(
            f"{path}:{line0}: expected the header 'Layer name, IFMAP Height, IFMAP Width, Filter Height, "
            "Filter Width, Channels, Num Filter, Strides,' or 'Layer, M, N, K', got "
            + repr(", ".join(cells[header_index]))
        )
    required = list((gemm_cols or conv_cols or {}).values())
    if conv_cols is not None:
        required += [i for i in (stride, stride_h, stride_w) if i is not None]
    batch_col = _find(header, ("batch size", "batch"))
    sparsity_col = _find(header, ("sparsity",))
    width = len(header)
    layers: list[TopologyLayer] = []
    for i in range(header_index + 1, len(cells)):
        row, line = cells[i], i + 1
        if not row:
            continue
        if len(row) > width:
            raise ConfigError(
                f"{path}:{line}: expected at most {width} values like the header, got {len(row)}"
            )
        need = max(required) + 1
        if len(row) < need:
            raise ConfigError(
                f"{path}:{line}: expected {need} values (name and {need - 1} numbers), got {len(row)}"
            )

        def cell(index: int, label: str, row: list[str] = row, line: int = line) -> int:
            return _int_cell(path, line, label, row[index])

        def optional(index: int | None, label: str, row: list[str] = row, line: int = line) -> int:
            if index is None or index >= len(row) or row[index] == "":
                return 1
            return _int_cell(path, line, label, row[index])

        name = row[0]
        if not name:
            raise ConfigError(f"{path}:{line}: empty layer name")
        if (
            sparsity_col is not None
            and sparsity_col < len(row)
            and row[sparsity_col] not in ("", "1:1", "dense")
        ):
            raise ConfigError(
                f"{path}:{line}: Sparsity: sparse layers ({row[sparsity_col]!r}) are not modelled; expected dense"
            )
        batch = optional(batch_col, "Batch Size")
        if gemm_cols is not None:
            m, n, k = (cell(gemm_cols[f], f.upper()) for f in ("m", "n", "k"))
            layers.append(TopologyLayer(name, m, 1, 1, 1, k, n, 1, 1, batch))
            continue
        assert conv_cols is not None
        labels = {
            "ifmap_h": "IFMAP Height",
            "ifmap_w": "IFMAP Width",
            "filter_h": "Filter Height",
            "filter_w": "Filter Width",
            "channels": "Channels",
            "num_filter": "Num Filter",
        }
        values = {f: cell(conv_cols[f], label) for f, label in labels.items()}
        if stride is not None:
            sh = sw = cell(stride, "Strides")
        else:
            assert stride_h is not None
            assert stride_w is not None
            sh, sw = cell(stride_h, "Stride height"), cell(stride_w, "Stride width")
        layer = TopologyLayer(name, **values, stride_h=sh, stride_w=sw, batch=batch)
        if layer.filter_h > layer.ifmap_h or layer.filter_w > layer.ifmap_w:
            raise ConfigError(
                f"{path}:{line}: filter {layer.filter_h}x{layer.filter_w} is larger than the ifmap "
                f"{layer.ifmap_h}x{layer.ifmap_w} (SCALE-Sim topologies have no padding)"
            )
        layers.append(layer)
    if not layers:
        raise ConfigError(f"{path}: no layer after the header")
    return layers


def read_config(path: str | Path) -> ScaleSimConfig:
    """Read a SCALE-Sim ``.cfg`` file.

    Parameters
    ----------
    path
        The INI-style file with ``[general]``, ``[architecture_presets]`` and ``[run_presets]`` sections.

    Raises
    ------
    ConfigError
        For a missing file or section, a missing or malformed key, or an unknown dataflow, naming the file, the
        section and the key.
    """
    path = Path(path)
    parser = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a SCALE-Sim config: {exc}") from None

    def get(section: str, key: str, default: str | None = None) -> str:
        if not parser.has_section(section):
            if default is not None:
                return default
            raise ConfigError(f"{path}: missing section [{section}]")
        if not parser.has_option(section, key):
            if default is not None:
                return default
            raise ConfigError(f"{path}: [{section}] {key}: missing")
        return parser.get(section, key).strip()

    def get_int(section: str, key: str) -> int:
        text = get(section, key)
        try:
            value = int(text)
        except ValueError:
            raise ConfigError(f"{path}: [{section}] {key}: expected a whole number, got {text!r}") from None
        if not 1 <= value <= _MAX_CELL:
            raise ConfigError(
                f"{path}: [{section}] {key}: expected a whole number in 1..{_MAX_CELL}, got {value}"
            )
        return value

    dataflow = get("architecture_presets", "Dataflow").lower()
    registry.check_choice(f"{path}: [architecture_presets] Dataflow", dataflow, "dataflow")
    return ScaleSimConfig(
        run_name=get("general", "run_name", path.stem),
        array_rows=get_int("architecture_presets", "ArrayHeight"),
        array_cols=get_int("architecture_presets", "ArrayWidth"),
        dataflow=dataflow,
        ifmap_sram_kb=get_int("architecture_presets", "IfmapSramSzkB"),
        filter_sram_kb=get_int("architecture_presets", "FilterSramSzkB"),
        ofmap_sram_kb=get_int("architecture_presets", "OfmapSramSzkB"),
        interface_bandwidth=get("run_presets", "InterfaceBandwidth", "CALC").upper(),
    )
