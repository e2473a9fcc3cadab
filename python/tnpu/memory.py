"""Memory models written in Python: the target the DMA engines talk to, for prototyping before writing C++.

Pass one to :func:`tnpu.simulate` as ``memory=obj`` (it sets ``memory.model = "external"``). Every request of every
DMA engine then calls ``obj.access(addr, nbytes, is_write, now_ps)`` (positional arguments), which returns the
request's latency in picoseconds; the request completes at ``now_ps + latency``. Everything else (engines, tiles, DMA, scheduler) stays
in C++: the C++ side (cpp/src/mem/callback_memory.cpp) takes the GIL for each call and releases it after.

Contract (docs/scheduling.md, "A memory model in Python"):

- ``access`` is called once per request, in simulated-time order (``now_ps`` never decreases), when the DMA engine
  sends it. ``addr`` and ``nbytes`` are the request's; a request is one line (``dma.request_bytes``, 64 B unless the
  preset says otherwise) unless the object has ``max_request_bytes``.
- It returns an ``int`` >= 0 (a numpy integer is fine; a float is refused: round it). The model keeps whatever state
  it likes (open rows, a bus that is busy until some time) and models queueing and bandwidth in the latencies it
  returns: every request is accepted (each DMA engine has at most ``dma.max_outstanding`` lines in flight).
- Optional ``max_request_bytes`` (int, a multiple of the line): the DMA engines then send bursts of up to that many
  bytes of consecutive lines (and at most ``dma.max_burst_bytes``) as one request: one ``access`` call and one
  completion each, far fewer calls. An engine then sends whole bursts only: it waits for room for one under
  ``dma.max_outstanding`` rather than send a shorter one.
- An exception raised in ``access`` stops the run and reaches the caller with its traceback and a note naming the
  request; a bad return value is a TypeError or ValueError naming it.

The run's statistics include ``tnpu.external.requests`` (calls), ``lines``, ``bytes`` and ``latency`` (the
latencies returned). ``result.meta["memory_model"]`` is ``"python:<class name>"``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class MemoryModel(Protocol):
    """A memory model written in Python (see the module's documentation for the contract)."""

    def access(self, addr: int, nbytes: int, is_write: bool, now_ps: int) -> int:
        """Return the latency in picoseconds of the request sent at ``now_ps``."""
        ...  # pragma: no cover - protocol


class BandwidthLatency:
    """A reference model: one line starts per ``interval_ps`` on a shared bus, then takes ``latency_ps``.

    It is the C++ ``fixed`` model's timing in Python (with an unbounded queue: ``memory.queue_depth`` large), a
    starting point to copy and change: a request of ``k`` lines sent at ``t`` starts at ``s = max(t, bus free)``,
    holds the bus for ``k * interval_ps`` and completes at ``s + (k - 1) * interval_ps + latency_ps``.
    """

    def __init__(
        self,
        latency_ps: int = 100_000,
        interval_ps: int = 3_743,
        line_bytes: int = 64,
        max_request_bytes: int = 0,
    ) -> None:
        if latency_ps < 0 or interval_ps < 0 or line_bytes <= 0:
            raise ValueError("BandwidthLatency: latency_ps and interval_ps must be >= 0, line_bytes > 0")
        self.latency_ps = latency_ps
        self.interval_ps = interval_ps
        self.line_bytes = line_bytes
        self.max_request_bytes = max_request_bytes
        self.bus_free_ps = 0

    def access(self, addr: int, nbytes: int, is_write: bool, now_ps: int) -> int:
        """Return the latency of one request (queueing behind the bus included)."""
        lines = max(1, nbytes // self.line_bytes)
        start = max(now_ps, self.bus_free_ps)
        self.bus_free_ps = start + lines * self.interval_ps
        return start + (lines - 1) * self.interval_ps + self.latency_ps - now_ps
