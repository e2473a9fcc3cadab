#pragma once
// Transactions between modules: an initiator sends a Request to a target, which completes it later through a
// callback (the TLM-2.0 approximately-timed idea without its boilerplate).
#include <cstdint>
#include <string_view>

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
};

class Initiator {
 public:
  Initiator() = default;
  Initiator(const Initiator&) = default;
  Initiator& operator=(const Initiator&) = default;
  virtual ~Initiator() = default;
  // Called by the target at the completion time of an accepted request, exactly once per request.
  virtual void complete(const Request& request) = 0;
  // Called once by a target that rejected a request from this initiator, when it can accept again.
  virtual void retry() {}
};

// Contract: send() either accepts the request (returns true; the target then calls from.complete(request) exactly
// once, at a time >= now) or rejects it (returns false; nothing changes but a rejection count, and the target calls
// from.retry() once when it can accept again). A target never calls back from inside send().
class Target {
 public:
  Target() = default;
  Target(const Target&) = default;
  Target& operator=(const Target&) = default;
  virtual ~Target() = default;
  virtual bool send(const Request& request, Initiator& from) = 0;
};

}  // namespace tnpu
