"""Reading SCALE-Sim topology CSVs and .cfg files: both formats, and every malformed input named by file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tnpu.cli import main
from tnpu.errors import ConfigError
from tnpu.scalesim import read_config, read_topology

HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
)
CFG = """[general]
run_name = t

[architecture_presets]
ArrayHeight:    8
ArrayWidth:     4
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
Dataflow : ws

[run_presets]
InterfaceBandwidth: CALC
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_conv_topology(tmp_path):
    p = write(tmp_path, "t.csv", HEADER + "conv1,224,224,11,11,3,96,4,\nfc,1,1,1,1,4096,1000,1,\n")
    layers = read_topology(p)
    assert [layer.name for layer in layers] == ["conv1", "fc"]
    assert layers[0].ofmap_h == 54
    assert layers[0].gemm == (54 * 54, 11 * 11 * 3, 96)
    assert layers[0].layer_shape()["stride_h"] == 4


def test_scalesim3_columns(tmp_path):
    header = (
        "Layer name,IFMAP height,IFMAP width,Filter height,Filter width,Channels,Num filter,"
        "Stride height,Stride width,Batch Size,Sparsity,\n"
    )
    p = write(tmp_path, "t3.csv", header + "c1,28,30,3,3,16,32,1,2,4,1:1,\nc2,10,10,1,1,8,8,1,1,,,\n")
    a, b = read_topology(p)
    assert (a.stride_h, a.stride_w, a.batch) == (1, 2, 4)
    assert a.gemm == (26 * 14 * 4, 144, 32)
    assert (b.batch, b.gemm) == (1, (100, 8, 8))
    sparse = write(tmp_path, "s.csv", header + "c1,28,30,3,3,16,32,1,2,4,2:4,\n")
    with pytest.raises(ConfigError, match=r"s\.csv:2: Sparsity: sparse layers \('2:4'\) are not modelled"):
        read_topology(sparse)
    gemm = write(tmp_path, "g.csv", "Layer,M,N,K,Batch Size,\nfc,8,16,32,2,\n")
    assert read_topology(gemm)[0].gemm == (16, 32, 16)


def test_gemm_topology(tmp_path):
    p = write(tmp_path, "g.csv", "Layer, M, N, K\nqkv, 128, 768, 2304\n")
    (layer,) = read_topology(p)
    assert layer.gemm == (128, 2304, 768)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty topology"),
        ("a,b,c\n1,2,3\n", r"t\.csv:1: expected the header"),
        (HEADER + "c1,28,28,3,3,16\n", r"t\.csv:2: expected 8 values"),
        (HEADER + "c1,28,x,3,3,16,32,1,\n", r"t\.csv:2: IFMAP Width: expected a whole number, got 'x'"),
        (HEADER + "c1,28,28,3,3,16,0,1,\n", r"t\.csv:2: Num Filter: expected a whole number >= 1, got 0"),
        (HEADER + "c1,2,28,3,3,16,32,1,\n", r"t\.csv:2: filter 3x3 is larger than the ifmap"),
        (HEADER + "c1,28,28,3,3,16,32,1,9,9\n", r"t\.csv:2: expected at most 8 values"),
        (HEADER, "no layer after the header"),
        (
            HEADER + "c1,99999999999999999999999,28,3,3,16,32,1,\n",
            r"t\.csv:2: IFMAP Height: expected at most",
        ),
    ],
)
def test_bad_topology(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        read_topology(write(tmp_path, "t.csv", text))


def test_missing_topology(tmp_path):
    with pytest.raises(ConfigError, match="cannot read topology"):
        read_topology(tmp_path / "nope.csv")


def test_config(tmp_path):
    c = read_config(write(tmp_path, "s.cfg", CFG))
    assert (c.run_name, c.array_rows, c.array_cols, c.dataflow) == ("t", 8, 4, "ws")
    assert c.interface_bandwidth == "CALC"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Dataflow : ws", "Dataflow : rs", r"Dataflow: unknown dataflow 'rs' \(known: os, ws, is\)"),
        ("ArrayHeight:    8", "ArrayHeight: eight", r"ArrayHeight: expected a whole number, got 'eight'"),
        ("ArrayWidth:     4", "", r"\[architecture_presets\] ArrayWidth: missing"),
        ("[architecture_presets]", "[arch]", r"missing section \[architecture_presets\]"),
        ("[general]", "garbage line", "not a SCALE-Sim config"),
    ],
)
def test_bad_config(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        read_config(write(tmp_path, "s.cfg", CFG.replace(old, new)))


def test_cli_errors_exit_1_with_message(tmp_path, capsys):
    topo = write(tmp_path, "t.csv", HEADER + "c1,28,28,3,3,16,32,1,\n")
    bad = write(tmp_path, "s.cfg", CFG.replace("Dataflow : ws", "Dataflow : xx"))
    assert main(["layer-cycles", "--topology", str(topo), "--config", str(bad)]) == 1
    assert "Dataflow" in capsys.readouterr().err


def test_cli_notes_user_bandwidth(tmp_path, capsys):
    topo = write(tmp_path, "t.csv", HEADER + "c1,28,28,3,3,16,32,1,\n")
    cfg = write(tmp_path, "s.cfg", CFG.replace("CALC", "USER"))
    assert main(["layer-cycles", "--topology", str(topo), "--config", str(cfg)]) == 0
    captured = capsys.readouterr()
    assert "stall cycles are not modelled" in captured.err
    # 8x4 ws: K = 144 on 8 rows (18 folds), N = 32 on 4 cols (8 folds), T = 676: 144 * (16 + 4 + 676 - 2) - 1
    assert captured.out.splitlines()[1].startswith(f"c1, {144 * (16 + 4 + 676 - 2) - 1}, 0, ")


def test_cli_accepts_scalesim_short_flags(tmp_path, capsys):
    topo = write(tmp_path, "t.csv", HEADER + "c1,28,28,3,3,16,32,1,\n")
    cfg = write(tmp_path, "s.cfg", CFG)
    assert (
        main(["layer-cycles", "-c", str(cfg), "-t", str(topo), "-l", str(tmp_path / "layout.csv"), "--json"])
        == 0
    )
    assert '"total_cycles": ' in capsys.readouterr().out
