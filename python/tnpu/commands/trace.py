"""``tnpu trace``: generate, inspect and convert DRAM request traces (DRAMsim3, Ramulator 1, Ramulator 2 formats)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from tnpu import traces
from tnpu.commands._args import add_command, check_outputs

EXAMPLES = """\
examples:
  tnpu trace gen sequential -n 100000 -o seq.trace --format ramulator2
  tnpu trace gen random -n 1000000 -o rand.trace.gz --format dramsim3 --interval-cycles 4
  tnpu trace gen dma_tile -n 6144 -o dma.trace --format ramulator1 --tile-lines 64
  tnpu trace info rand.trace.gz --json
  tnpu trace convert rand.trace.gz rand.ramulator1.trace --to ramulator1
"""

GEN_EXAMPLES = """\
examples:
  tnpu trace gen sequential -n 100000 -o seq.trace --format ramulator2
  tnpu trace gen random -n 1000000 -o rand.trace.gz --format dramsim3 --interval-cycles 4 --seed 7
  tnpu trace gen strided -n 1000 -o s.trace --format ramulator1 --stride-bytes 8K --json
"""
INFO_EXAMPLES = """\
examples:
  tnpu trace info rand.trace.gz
  tnpu trace info my.trace --format ramulator1 --json
"""
CONVERT_EXAMPLES = """\
examples:
  tnpu trace convert rand.trace.gz rand.ramulator1.trace --to ramulator1
  tnpu trace convert in.trace out.trace.gz --from dramsim3 --to ramulator2 --json
"""


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number (decimal or 0x hex), got '{text}'"
        ) from None


def _size(text: str) -> int:
    """Parse a byte count with an optional K/M/G suffix (powers of 1024)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    scale = 1
    body = text.strip()
    if body[-1:].upper() in units:
        scale = units[body[-1].upper()]
        body = body[:-1]
    value = _int(body) * scale
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a size >= 0, got '{text}'")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got '{text}'") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value}")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu trace`` and its sub-commands gen, info and convert."""
    p = add_command(sub, "trace", "generate, inspect and convert DRAM traces", __doc__, EXAMPLES)
    tsub = p.add_subparsers(dest="trace_command", metavar="ACTION", required=True)

    gen = add_command(
        tsub,
        "gen",
        "generate a synthetic trace (deterministic for a seed)",
        "Generate a synthetic DRAM trace. Addresses are line-aligned byte addresses.",
        GEN_EXAMPLES,
    )
    gen.add_argument("pattern", choices=traces.PATTERNS, help="access pattern")
    gen.add_argument("-n", "--requests", type=_int, required=True, help="number of requests")
    gen.add_argument("-o", "--output", required=True, help="file to write (.gz: gzip)")
    gen.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    gen.add_argument("--format", choices=traces.FORMATS, required=True, help="trace format")
    gen.add_argument("--gzip", action=argparse.BooleanOptionalAction, default=None, help="force gzip on/off")
    gen.add_argument("--seed", type=_int, default=1, help="random seed (default 1)")
    d = traces.PatternConfig()
    gen.add_argument("--base-address", type=_size, default=d.base_address, help="first address (default 0)")
    gen.add_argument("--span-bytes", type=_size, default=d.span_bytes, help="address window (default 1G)")
    gen.add_argument("--stride-bytes", type=_size, default=d.stride_bytes, help="strided: step (default 4K)")
    gen.add_argument(
        "--write-fraction", type=_fraction, default=None, help="probability of a write (default 0; mixed 1/3)"
    )
    gen.add_argument("--line-bytes", type=_size, default=d.line_bytes, help="request size (default 64)")
    gen.add_argument(
        "--interval-cycles", type=_int, default=d.interval_cycles, help="dramsim3 stamp step (default 0)"
    )
    gen.add_argument("--streams", type=_int, default=d.streams, help="dma_tile: streams (default 3)")
    gen.add_argument(
        "--stream-offset-bytes",
        type=_size,
        default=d.stream_offset_bytes,
        help="dma_tile: base step (default 256M)",
    )
    gen.add_argument(
        "--tile-lines", type=_int, default=d.tile_lines, help="dma_tile: lines per tile (default 64)"
    )
    gen.add_argument(
        "--json", action="store_true", help="print one JSON object (file, format, requests, bytes)"
    )
    gen.set_defaults(run=run_gen)

    info = add_command(
        tsub,
        "info",
        "count the requests of a trace and check every line",
        examples=INFO_EXAMPLES,
    )
    info.add_argument("path", help="trace file (plain or gzip)")
    info.add_argument("--format", choices=traces.FORMATS, default=None, help="format (default: detect)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(run=run_info)

    conv = add_command(
        tsub,
        "convert",
        "rewrite a trace in another format",
        examples=CONVERT_EXAMPLES,
    )
    conv.add_argument("source", help="trace to read (plain or gzip)")
    conv.add_argument("output", help="file to write (.gz: gzip)")
    conv.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    conv.add_argument("--to", choices=traces.FORMATS, required=True, help="output format")
    conv.add_argument("--from", dest="from_format", choices=traces.FORMATS, default=None, help="input format")
    conv.add_argument("--json", action="store_true", help="print one JSON object (file, format, requests)")
    conv.set_defaults(run=run_convert)


def run_gen(args: argparse.Namespace) -> int:
    """Generate a trace file."""
    check_outputs([("-o", args.output)], force=args.force)
    config = traces.PatternConfig(
        base_address=args.base_address,
        span_bytes=args.span_bytes,
        stride_bytes=args.stride_bytes,
        write_fraction=args.write_fraction,
        line_bytes=args.line_bytes,
        interval_cycles=args.interval_cycles,
        streams=args.streams,
        stream_offset_bytes=args.stream_offset_bytes,
        tile_lines=args.tile_lines,
    )
    n = traces.generate_dram_trace_file(
        args.output, args.pattern, args.requests, args.format, gzip=args.gzip, seed=args.seed, config=config
    )
    size = os.path.getsize(args.output)
    if args.json:
        print(
            json.dumps(
                {
                    "path": args.output,
                    "format": args.format,
                    "pattern": args.pattern,
                    "requests": n,
                    "bytes": size,
                }
            )
        )
        return 0
    print(f"wrote {n:,} {args.pattern} requests to {args.output} ({args.format}, {size:,} B)")
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Summarise a trace (reads every line, so it also validates it)."""
    out = {"path": args.path, **traces.scan_dram_trace(args.path, args.format)}
    if args.json:
        json.dump(out, sys.stdout)
        print()
    else:
        for key, value in out.items():
            shown = f"0x{value:x}" if key.endswith("address") and value is not None else value
            print(f"  {key:20s} {shown}")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    """Rewrite a trace in another format (stamps are dropped, or 0 when the source has none)."""
    check_outputs([("output", args.output)], force=args.force)
    n = traces.write_dram_trace(args.output, traces.read_dram_trace(args.source, args.from_format), args.to)
    if args.json:
        print(json.dumps({"path": args.output, "format": args.to, "source": args.source, "requests": n}))
        return 0
    print(f"wrote {n:,} requests to {args.output} ({args.to})")
    return 0
