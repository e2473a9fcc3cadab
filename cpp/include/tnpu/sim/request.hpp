#pragma once
// Transactions between modules: an initiator sends a Request to a target, which completes it later through a
// callback (the TLM-2.0 approximately-timed idea without its boilerplate).
#include <cstdint>
#include <string_view>

#include "tnpu/sim/interface.hpp"
#include "tnpu/sim/time.hpp"

namespace tnpu {

enum class Command : std::uint8_t { kRead = 0, kWrite = 1 };

[[nodiscard]] std::string_view command_name(Command c) noexcept;

struct Request {
  Command command = Command::kRead;
  std::uint64_t address = 0;
  std::uint32_t size_bytes = 64;
  std::uint32_t source = 0;   // id of the initiator (for statistics and arbitration)
  std::uint64_t tag = 0;      // initiator's own tag, returned untouched
  Picoseconds issue_ps = 0;   // when the initiator sent it (set by the initiator)
  std::uint32_t flags = 0;    // kNotifyLines
  // A multi-line request (burst): the initiator also wants line_completed() for every line but the last.
  static constexpr std::uint32_t kNotifyLines = 1;
};

// The lines of `request` for a target that takes multi-line requests of whole, aligned lines of `line_bytes`, up
// to `max_request_bytes` (0: one line per request, whatever its size). Anything else throws ConfigError naming
// `target` ("fixed-latency memory"), the request and the rule.
[[nodiscard]] std::uint64_t request_lines(const Request& request, std::uint64_t line_bytes,
                                          std::uint64_t max_request_bytes, std::string_view target);

class PacedSource;

class Initiator : public CopyableInterface<Initiator> {
 public:
  // Called by the target at the completion time of an accepted request, exactly once per request.
  virtual void complete(const Request& request) = 0;
  // Called once by a target that rejected a request from this initiator, when it can accept again.
  virtual void retry() {}
  // retry() called in the tail of the target's event (the target does nothing after it returns): the initiator may
  // do at once, when Kernel::run_now says nothing would come first, the work it would otherwise schedule for now.
  virtual void retry_tail() { retry(); }
  // For a multi-line request sent with Request::kNotifyLines: called at the completion time of each of its lines
  // but the last one (which gets complete()), with the request as sent.
  virtual void line_completed(const Request& /*request*/) {}
  // complete() called in the tail of the target's event (the target does nothing after it returns): the initiator
  // may do at once, when Kernel::run_now says nothing would come first, the work it would otherwise schedule for
  // now (as retry_tail()).
  virtual void complete_tail(const Request& request) { complete(request); }
};

// Contract: send() either accepts the request (returns true; the target then calls from.complete(request) exactly
// once, at a time >= now) or rejects it (returns false; nothing changes but a rejection count, and the target calls
// from.retry() once when it can accept again). A target never calls back from inside send().
class Target : public CopyableInterface<Target> {
 public:
  virtual bool send(const Request& request, Initiator& from) = 0;
  // Multi-line requests ("bursts"): the largest request, in bytes, starting at `address` that this target accepts
  // as one request. 0 (the default): the target takes only single requests of the initiator's own size.
  [[nodiscard]] virtual std::uint64_t max_request_bytes(std::uint64_t /*address*/) const { return 0; }
  // The line a multi-line request is made of (its size and alignment unit); 0: no multi-line requests. Fixed for the
  // target's life (an initiator may ask once).
  [[nodiscard]] virtual std::uint64_t line_bytes() const { return 0; }
  // Sends a multi-line request and accepts the longest prefix of its lines that separate sends of each line, in
  // order and at this time, would accept; returns the bytes accepted (0: rejected). If not every line was accepted,
  // the target counts one rejection and calls from.retry() later, as for a rejected send(). The accepted prefix
  // completes once (complete() with the request's size_bytes reduced to the prefix). Default: send(), all or none.
  // True while the target times a multi-line request as a whole (one completion, whatever kNotifyLines asks): an
  // initiator then sends whole bursts only, as with notify_lines off, instead of a line per freed line.
  [[nodiscard]] virtual bool whole_bursts() const { return false; }
  virtual std::uint64_t send_prefix(const Request& request, Initiator& from) {
    return send(request, from) ? request.size_bytes : 0;
  }
  // Offers the target knows it would refuse (a protocol shortcut; exact). Called by an initiator right after
  // `from`'s send() was accepted, with the request it will offer next and that offer's time in next.issue_ps:
  // true if that send is certain to be rejected whatever happens before then (every way the target could make
  // room lies after it). The target then counts that rejection now, as the send would have, and calls
  // from.retry() when it can accept again; the initiator skips the offer and waits for retry() as after a
  // rejected send, with next.issue_ps as the time of its last offer. false (the default): offer as usual.
  virtual bool refuse_ahead(const Request& /*next*/, Initiator& /*from*/) { return false; }
  // The paced feeder (tnpu/sim/paced_source.hpp): true if this target pulls `source`'s requests itself from now on,
  // emulating the offers the initiator would make on the edges of a clock of period tck_ps (requests of size_bytes
  // each); the initiator then sends nothing. false (the default): the initiator offers as usual.
  virtual bool pace(PacedSource& /*source*/, Picoseconds /*tck_ps*/, std::uint32_t /*size_bytes*/) { return false; }
  // A hint: true when refuse_ahead() is worth asking now. An initiator may skip the call while it is false (and
  // then offers as usual, which is always exact); refuse_ahead() itself checks everything.
  [[nodiscard]] bool may_refuse_ahead() const noexcept { return may_refuse_ahead_; }

 protected:
  bool may_refuse_ahead_ = false;  // set by a target that implements refuse_ahead()
};

}  // namespace tnpu
