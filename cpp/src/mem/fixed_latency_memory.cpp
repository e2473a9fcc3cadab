#include <string>

#include "tnpu/error.hpp"
#include "tnpu/mem/fixed_latency_memory.hpp"

namespace tnpu {

void FixedLatencyMemoryConfig::validate() const {
  if (queue_depth == 0) throw ConfigError("FixedLatencyMemoryConfig.queue_depth: must be at least 1 (got 0)");
}

FixedLatencyMemory::FixedLatencyMemory(Simulation& sim, std::string_view name, const FixedLatencyMemoryConfig& config,
                                       Module* parent)
    : Module(sim, name, parent),
      config_((config.validate(), config)),
      requests_(add_counter("requests", "count", "requests accepted")),
      reads_(add_counter("reads", "count", "read requests accepted")),
      writes_(add_counter("writes", "count", "write requests accepted")),
      bytes_(add_counter("bytes", "B", "bytes moved by accepted requests")),
      rejections_(add_counter("rejections", "count", "requests rejected because the queue was full")),
      occupancy_at_accept_(add_accumulator("occupancy", "requests", "queue occupancy seen by each accepted request")),
      latency_(add_accumulator("latency", "ps", "time from acceptance to completion")) {}

bool FixedLatencyMemory::send(const Request& request, Initiator& from) {
  if (in_flight_.size() >= config_.queue_depth) {
    rejections_.inc();
    // One retry() is owed per rejected initiator, however often it was rejected.
    bool listed = false;
    for (const Initiator* w : waiting_) listed = listed || (w == &from);
    if (!listed) waiting_.push_back(&from);
    return false;
  }
  const Picoseconds t = now();
  const Picoseconds start = std::max(t, next_start_ps_);
  next_start_ps_ = start + config_.issue_interval_ps;
  occupancy_at_accept_.add(static_cast<double>(in_flight_.size()));
  in_flight_.push_back(InFlight{request, &from, t});
  requests_.inc();
  (request.command == Command::kRead ? reads_ : writes_).inc();
  bytes_.inc(request.size_bytes);
  kernel().schedule_at(start + config_.latency_ps, *this, 0, Priority::kCompletion);
  return true;
}

void FixedLatencyMemory::handle_event(std::uint64_t /*arg*/) {
  const InFlight done = in_flight_.front();
  in_flight_.pop_front();
  latency_.add(static_cast<double>(now() - done.accepted_ps));
  done.initiator->complete(done.request);
  if (!waiting_.empty()) {
    // A slot is free: every rejected initiator is told once, at retry priority (after all completions at now).
    std::vector<Initiator*> owed;
    owed.swap(waiting_);
    for (Initiator* w : owed) {
      kernel().call_at(now(), [w] { w->retry(); }, Priority::kRetry);
    }
  }
}

}  // namespace tnpu
