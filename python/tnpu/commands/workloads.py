"""``tnpu workloads``: the model zoo, one network's layers and training graph, and compute-trace export.

The network is a model spec: a zoo name, an .onnx file, file.py:function (with --input-shape) or a compute trace.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tnpu.commands._args import add_command, check_outputs, positive_int
from tnpu.errors import ConfigError
from tnpu.workloads import LayerKind, Network, Phase, TaskArrays, TrainingGraph, write_compute_trace
from tnpu.workloads.resolve import load_model, trace_samples, trace_totals
from tnpu.workloads.zoo import ZOO

EXAMPLES = """\
examples:
  tnpu workloads                                  the zoo: layers, MACs, weights, training MACs per sample
  tnpu workloads --json                           the same as a JSON list
  tnpu workloads alexnet                          AlexNet's layers and its training graph for a batch of 50
  tnpu workloads resnet18 --batch 8 --instance-samples 4 --json
  tnpu workloads lenet5 --batch 2 --trace lenet5_b2.csv   write a compute trace (.csv or .npz)
  tnpu workloads my_net.onnx --json               an ONNX file: its layers, MACs, weights, training MACs
  tnpu workloads models.py:small_cnn --input-shape 3,32,32   a function returning a torch nn.Module
  tnpu workloads lenet5_b2.csv                    a compute trace: its layers and tasks
"""

#: The layer kinds counted in the ``layers`` column (the usual "depth" of a network).
_COUNTED = (LayerKind.CONV, LayerKind.LINEAR)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu workloads``."""
    p = add_command(
        sub, "workloads", "list the model zoo, or show one network and its training graph", __doc__, EXAMPLES
    )
    p.add_argument(
        "network",
        nargs="?",
        help=f"a zoo network ({', '.join(ZOO)}), an .onnx file, file.py:function or a compute trace (.csv/.npz);"
        " none: list the zoo",
    )
    p.add_argument(
        "--input-shape",
        metavar="C,H,W",
        help="per-sample input of a model file (3,224,224, or 1,3,224,224 as PyTorch's example input)",
    )
    p.add_argument(
        "--batch", type=positive_int, help="samples per batch (default 50, as TNPU; a trace holds its own)"
    )
    p.add_argument(
        "--instance-samples",
        type=positive_int,
        help="samples per instance (default 1: per sample; a trace holds its own)",
    )
    p.add_argument(
        "--trace", metavar="PATH", help="write the training graph as a compute trace (.csv or .npz)"
    )
    p.add_argument("--force", action="store_true", help="--trace: overwrite the file if it exists")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=run)


def zoo_rows() -> list[dict[str, Any]]:
    """One object per zoo network: ``name, layers, macs, weights, training_macs`` (per sample)."""
    rows = []
    for name, entry in ZOO.items():
        net = entry.build()
        rows.append(
            {
                "name": name,
                "layers": net.count(*_COUNTED),
                "macs": net.forward_macs,
                "weights": net.params,
                "training_macs": net.training_macs,
            }
        )
    return rows


def _si(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{unit}"
    return f"{value:g}"


def _records(table: Any) -> list[dict[str, Any]]:
    """Rows of a structured array (a ``summary()`` table) as JSON-ready dicts, numpy scalars as Python numbers."""
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in zip(row.dtype.names or (), row, strict=True)}
        for row in table
    ]


def _print_layers(rows: list[dict[str, Any]], shape_header: str, totals: tuple[int, int, int]) -> None:
    """Print the per-layer table (name, kind, MACs, weights, BP, shape) of ``rows`` and the ``totals`` line.

    ``totals`` is (forward MACs, weights, training MACs), per sample.
    """
    print(f"  {'layer':26s} {'kind':10s} {'MACs':>9s} {'weights':>9s}  BP  {shape_header}")
    for row in rows:
        print(
            f"  {row['name']:26s} {row['kind']:10s} {_si(row['macs']):>9s} {_si(row['weights']):>9s}"
            f"  {'y' if row['bp'] else '-':2s}  {row['shape']}"
        )
    macs, weights, training_macs = totals
    print(f"  total: {_si(macs)} MACs, {_si(weights)} weights, {_si(training_macs)} training MACs per sample")


def _print_graph(
    tables: TrainingGraph | TaskArrays,
    *,
    batch: object,
    instance_samples: object,
    tasks: int,
    deps: int,
    trace: str | None,
) -> None:
    """Print the training-graph line, the per-phase and per-kind summary tables of ``tables``, where a trace went."""
    print(
        f"\ntraining graph: batch {batch}, {instance_samples} sample(s) per instance, {tasks:,} tasks,"
        f" {deps:,} dependencies"
    )
    print(tables.summary_table("phase"))
    print()
    print(tables.summary_table("kind"))
    if trace:
        print(f"\ncompute trace written to {trace}")


def _layer_rows(net: Network) -> list[dict[str, Any]]:
    needs_bp = net.needs_bp()
    return [
        {
            "name": layer.name,
            "kind": layer.kind.label,
            "shape": layer.describe(),
            "macs": layer.macs(Phase.FP),
            "weights": layer.params,
            "bp": needs_bp[layer.name],
        }
        for layer in net.layers
    ]


def run(args: argparse.Namespace) -> int:
    """List the zoo or describe one network."""
    if args.network is None:
        rows = zoo_rows()
        if args.json:
            print(json.dumps(rows))
            return 0
        print(
            f"{'network':14s} {'layers':>6s} {'MACs':>9s} {'weights':>9s} {'training MACs':>14s}   description"
        )
        for row in rows:
            print(
                f"{row['name']:14s} {row['layers']:>6d} {_si(row['macs']):>9s} {_si(row['weights']):>9s}"
                f" {_si(row['training_macs']):>14s}   {ZOO[row['name']].description}"
            )
        print("layers: conv and linear layers; MACs: forward, per sample; weights: trainable parameters;")
        print("training MACs: FP + BP + GD per sample (no BP for the first layer)")
        return 0
    check_outputs([("--trace", args.trace)], force=args.force)
    model = load_model(args.network, args.input_shape)
    if isinstance(model, TaskArrays):
        return _show_trace(args, model)
    net = model
    graph = TrainingGraph(
        net,
        batch=args.batch if args.batch is not None else 50,
        instance_samples=args.instance_samples if args.instance_samples is not None else 1,
    )
    graph.validate()
    if args.trace:
        write_compute_trace(graph.to_arrays(), args.trace)
    if args.json:
        out = {
            "name": net.name,
            "layers": _layer_rows(net),
            "macs": net.forward_macs,
            "weights": net.params,
            "training_macs": net.training_macs,
            "graph": dict(graph.describe()),
            "phases": _records(graph.summary("phase")),
        }
        print(json.dumps(out))
        return 0
    print(f"{net.name}: input {'x'.join(map(str, net.input_shape))}, {len(net)} layers")
    _print_layers(_layer_rows(net), "shape", (net.forward_macs, net.params, net.training_macs))
    d = graph.describe()
    _print_graph(
        graph,
        batch=d["batch"],
        instance_samples=d["instance_samples"],
        tasks=d["tasks"],
        deps=d["dependencies"],
        trace=args.trace,
    )
    return 0


def _trace_layer_rows(arrays: TaskArrays, samples: int, batches: int) -> list[dict[str, Any]]:
    """Per layer of a trace: its kind, forward MACs and weights per sample, and whether it has BP tasks."""
    t = arrays.tasks
    rows = []
    for li, name in enumerate(arrays.layer_names):
        mine = t[t["layer"] == li]
        if not len(mine):
            continue
        fp = mine[mine["phase"] == int(Phase.FP)]
        shape = (
            f"{int(fp['m'][0])}x{int(fp['n'][0])}x{int(fp['k'][0])} GEMM" if len(fp) and fp["m"][0] else ""
        )
        rows.append(
            {
                "name": name,
                "kind": LayerKind(int(mine["layer_kind"][0])).label,
                "shape": shape,
                "macs": int(fp["macs"].sum()) // samples,
                "weights": int(mine["vector_ops"][mine["phase"] == int(Phase.WU)].sum()) // batches,
                "bp": bool((mine["phase"] == int(Phase.BP)).any()),
            }
        )
    return rows


def _show_trace(args: argparse.Namespace, arrays: TaskArrays) -> int:
    """Describe a compute trace as a network is described (its totals per sample, layers and task summary)."""
    meta = arrays.meta
    for option, key in (("--batch", "batch"), ("--instance-samples", "instance_samples")):
        given = getattr(args, key)
        if given is not None and key in meta and int(meta[key]) != given:
            raise ConfigError(
                f"{option} {given}: the compute trace '{args.network}' holds {key} = {meta[key]} (its tasks)"
            )
    arrays.validate()
    if args.trace:
        write_compute_trace(arrays, args.trace)
    totals = trace_totals(arrays)
    batches = max(int(meta.get("batches", 1)), 1)
    samples = trace_samples(arrays)
    layers = _trace_layer_rows(arrays, samples, batches)
    graph = {**meta, "tasks": len(arrays), "dependencies": int(arrays.dep_ids.size)}
    if args.json:
        out = {
            **totals,
            "layers": layers,
            "graph": graph,
            "phases": _records(arrays.summary("phase")),
        }
        print(json.dumps(out))
        return 0
    print(f"{totals['name']}: compute trace {args.network}, {len(layers)} layers")
    _print_layers(layers, "FP shape", (totals["macs"], totals["weights"], totals["training_macs"]))
    _print_graph(
        arrays,
        batch=meta.get("batch", "?"),
        instance_samples=meta.get("instance_samples", "?"),
        tasks=graph["tasks"],
        deps=graph["dependencies"],
        trace=args.trace,
    )
    return 0
