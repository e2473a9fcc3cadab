#include <string>

#include "tnpu/error.hpp"
#include "tnpu/mem/traffic_generator.hpp"

namespace tnpu {

void TrafficGeneratorConfig::validate() const {
  if (size_bytes == 0) throw ConfigError("TrafficGeneratorConfig.size_bytes: must be at least 1 (got 0)");
  if (count > 0 && stride_bytes > 0 && (count - 1) > (UINT64_MAX - start_address) / stride_bytes) {
    throw ConfigError("TrafficGeneratorConfig.count: start_address + (count - 1) * stride_bytes overflows 64 bits");
  }
}

TrafficGenerator::TrafficGenerator(Simulation& sim, std::string_view name, Target& target,
                                   const TrafficGeneratorConfig& config, Module* parent)
    : Module(sim, name, parent),
      target_(target),
      config_((config.validate(), config)),
      next_issue_ps_(config.start_ps),
      issued_(add_counter("issued", "count", "requests sent and accepted")),
      completed_(add_counter("completed", "count", "requests completed")),
      rejections_(add_counter("rejections", "count", "sends rejected by the target (back-pressure)")),
      latency_(add_accumulator("latency", "ps", "time from issue to completion")),
      latency_hist_(add_histogram("latency_hist", "ps", "time from issue to completion", 0.0, 1e7, 1000)) {
  add_formula("first_issue_ps", "ps", "time of the first issue", [this] {
    return static_cast<double>(first_issue_ps_);
  });
  add_formula("last_complete_ps", "ps", "time of the last completion", [this] {
    return static_cast<double>(last_complete_ps_);
  });
  if (config_.count > 0) schedule_issue(config_.start_ps);
}

void TrafficGenerator::schedule_issue(Picoseconds t) {
  if (issue_pending_) return;
  issue_pending_ = true;
  kernel().schedule_at(t, *this, 0, Priority::kDefault);
}

void TrafficGenerator::handle_event(std::uint64_t /*arg*/) {
  issue_pending_ = false;
  issue_now();
}

void TrafficGenerator::issue_now() {
  // Issues as many requests as the target, the interval and max_outstanding allow at this time.
  while (issued_.value < config_.count && !waiting_retry_) {
    if (config_.max_outstanding != 0 && outstanding_ >= config_.max_outstanding) return;  // complete() resumes
    if (now() < next_issue_ps_) {
      schedule_issue(next_issue_ps_);
      return;
    }
    const std::uint64_t i = issued_.value;
    Request r;
    r.command = (config_.write_every != 0 && i % config_.write_every == config_.write_every - 1) ? Command::kWrite
                                                                                                 : Command::kRead;
    r.address = config_.start_address + i * config_.stride_bytes;
    r.size_bytes = config_.size_bytes;
    r.source = config_.source;
    r.tag = i;
    r.issue_ps = now();
    if (!target_.send(r, *this)) {
      rejections_.inc();
      waiting_retry_ = true;  // retry() resumes
      return;
    }
    if (i == 0) first_issue_ps_ = now();
    issued_.inc();
    ++outstanding_;
    next_issue_ps_ = now() + config_.interval_ps;
  }
}

void TrafficGenerator::complete(const Request& request) {
  const auto latency = static_cast<double>(now() - request.issue_ps);
  latency_.add(latency);
  latency_hist_.add(latency);
  completed_.inc();
  --outstanding_;
  last_complete_ps_ = now();
  if (config_.max_outstanding != 0 && issued_.value < config_.count && !waiting_retry_) schedule_issue(now());
}

void TrafficGenerator::retry() {
  waiting_retry_ = false;
  schedule_issue(now());
}

}  // namespace tnpu
