#pragma once
// PacedSource: an initiator whose requests its target pulls instead of being sent them (the "paced feeder").
//
// A trace replayer offers its requests in order, at most one per target clock cycle, no earlier than each one's
// stamp, and after a refusal waits for the target's retry. A target that knows when its own state changes (a DRAM
// channel's queues change only in its steps) can emulate those offers itself: it pulls the next request, decides
// the offer the initiator would have made at its cycle as soon as nothing the target does can come between, and
// tells the source what the offer's outcome was. There is no kernel event per offer, retry or completion; every
// result (acceptance times, refusals counted, completions) is the one the offers would have given.
//
// Protocol (Target::pace): the target accepts to pull (returns true) or declines (the initiator then offers as
// usual). Once it has accepted, it calls pull() for the next request, then exactly one of accepted() / refused()
// for each offer it emulates (a refused request is offered again later: no new pull() until it is accepted), and
// request_done() once per accepted request, with its completion time. Cycles are the target's clock cycles (the
// source's clock must be the target's).
#include <cstdint>

#include "tnpu/sim/interface.hpp"
#include "tnpu/sim/request.hpp"

namespace tnpu {

class PacedSource : public CopyableInterface<PacedSource> {
 public:
  // The next request in order (false: none left). request.issue_ps is set by the target to the offer's time;
  // stamp_cycle: the cycle before which it must not be offered (0: unstamped). Errors in the request's source
  // (a malformed trace line) are thrown from here.
  virtual bool pull(Request& request, std::uint64_t& stamp_cycle) = 0;
  // The offer of the request last pulled, made at request.issue_ps, was accepted.
  virtual void accepted(const Request& request) = 0;
  // That offer was refused (it is made again later).
  virtual void refused() = 0;
  // The request (as accepted) completed at `at`. Called instead of initiator().complete(), exactly once per accepted
  // request, possibly later than `at` and not in completion order, but before the simulation runs out of events
  // (the target keeps an event at its last completion time, so the simulation ends when it would have).
  virtual void request_done(const Request& request, Picoseconds at) = 0;
  // Whom the target names as the requests' initiator.
  [[nodiscard]] virtual Initiator& initiator() = 0;
};

}  // namespace tnpu
