"""Import a SCALE-Sim topology CSV as tnpu layers.

SCALE-Sim topologies list layers independently: their IFMAP sizes already include any padding and pooling layers
are not listed, so consecutive rows generally do not connect. Each row therefore imports as an independent
:class:`~tnpu.workloads.layers.Conv2d` (GEMM rows ``M, N, K`` as a 1x1 convolution over an ``M x 1`` input with
``K`` channels and ``N`` filters, as SCALE-Sim itself runs them), reading the network input, with no padding. Use
them with :func:`tnpu.simulate_layer`, or build a connected :class:`~tnpu.workloads.layers.Network` from them.
Parsing is :func:`tnpu.scalesim.read_topology`'s; its errors name the file and line.
"""

from __future__ import annotations

from pathlib import Path

from tnpu.scalesim import read_topology
from tnpu.workloads.layers import NETWORK_INPUT, Conv2d


def from_scalesim_topology(path: str | Path) -> list[Conv2d]:
    """Return one :class:`Conv2d` per row of a SCALE-Sim topology CSV, in file order.

    Parameters
    ----------
    path
        A SCALE-Sim convolution (``Layer name, IFMAP Height, ...``) or GEMM (``Layer, M, N, K``) topology file.
    """
    return [
        Conv2d(
            name=row.name,
            inputs=(NETWORK_INPUT,),
            in_shape=(row.channels, row.ifmap_h, row.ifmap_w),
            out_channels=row.num_filter,
            kernel=(row.filter_h, row.filter_w),
            stride=(row.stride_h, row.stride_w),
            bias=False,
        )
        for row in read_topology(path)
    ]
