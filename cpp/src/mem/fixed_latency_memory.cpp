#include <string>

#include "tnpu/error.hpp"
#include "tnpu/mem/fixed_latency_memory.hpp"

namespace tnpu {

void FixedLatencyMemoryConfig::validate() const {
  if (queue_depth == 0) throw ConfigError("FixedLatencyMemoryConfig.queue_depth: must be at least 1 (got 0)");
  if (max_request_bytes > 0 && (line_bytes == 0 || max_request_bytes % line_bytes != 0)) {
    throw ConfigError("FixedLatencyMemoryConfig.max_request_bytes: must be a multiple of line_bytes (" +
                      std::to_string(line_bytes) + "), got " + std::to_string(max_request_bytes));
  }
}

std::uint64_t FixedLatencyMemory::max_request_bytes(std::uint64_t /*address*/) const {
  return config_.max_request_bytes;
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
  const std::uint64_t lines = request_lines(request, config_.line_bytes, config_.max_request_bytes, "fixed-latency memory");
  const Picoseconds t = now();
  const Picoseconds start = std::max(t, next_start_ps_);
  next_start_ps_ = start + config_.issue_interval_ps * lines;
  if (lines > 1 && (request.flags & Request::kNotifyLines) != 0) {
    for (std::uint64_t i = 0; i + 1 < lines; ++i) {
      line_notices_.push_back(LineNotice{request, &from});
      kernel().schedule_at(start + i * config_.issue_interval_ps + config_.latency_ps, notifier_, 0,
                           Priority::kCompletion);
    }
  }
  occupancy_at_accept_.add(static_cast<double>(in_flight_.size()));
  const Picoseconds done = start + (lines - 1) * config_.issue_interval_ps + config_.latency_ps;
  in_flight_.push_back(InFlight{request, &from, t, done, kernel().reserve(Priority::kCompletion)});
  requests_.inc();
  (request.command == Command::kRead ? reads_ : writes_).inc();
  bytes_.inc(request.size_bytes);
  if (in_flight_.size() == 1) kernel().schedule_reserved(done, *this, 0, in_flight_.back().ticket);
  return true;
}

void FixedLatencyMemory::LineNotifier::handle_event(std::uint64_t /*arg*/) {
  const LineNotice n = m_.line_notices_.front();
  m_.line_notices_.pop_front();
  n.initiator->line_completed(n.request);
}

void FixedLatencyMemory::RetryNotifier::handle_event(std::uint64_t arg) {
  reinterpret_cast<Initiator*>(static_cast<std::uintptr_t>(arg))->retry();
}

void FixedLatencyMemory::handle_event(std::uint64_t /*arg*/) {
  const InFlight done = in_flight_.front();
  in_flight_.pop_front();
  if (!in_flight_.empty()) {
    const InFlight& next = in_flight_.front();
    kernel().schedule_reserved(next.done_ps, *this, 0, next.ticket);
  }
  latency_.add(static_cast<double>(now() - done.accepted_ps));
  done.initiator->complete(done.request);
  if (!waiting_.empty()) {
    // A slot is free: every rejected initiator is told once, at retry priority (after all completions at now).
    std::vector<Initiator*> owed;
    owed.swap(waiting_);
    for (Initiator* w : owed) {
      kernel().schedule_at(now(), retry_notifier_, reinterpret_cast<std::uintptr_t>(w), Priority::kRetry);
    }
  }
}

}  // namespace tnpu
