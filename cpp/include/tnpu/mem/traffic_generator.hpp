#pragma once
// A traffic generator: issues a fixed number of requests to a target, either one every interval_ps or as fast as
// the target accepts them, honours back-pressure (waits for retry()) and measures latency.
#include <cstdint>
#include <string_view>

#include "tnpu/sim/module.hpp"
#include "tnpu/sim/request.hpp"

namespace tnpu {

struct TrafficGeneratorConfig {
  std::uint64_t count = 1000;           // requests to issue
  std::uint64_t start_address = 0;
  std::uint64_t stride_bytes = 64;      // address step between consecutive requests
  std::uint32_t size_bytes = 64;
  std::uint32_t write_every = 0;        // 0: all reads; k: request i is a write when i % k == k - 1
  Picoseconds interval_ps = 0;          // 0: as fast as accepted; else one request per interval (or later)
  Picoseconds start_ps = 0;
  std::uint32_t max_outstanding = 0;    // 0: unlimited
  std::uint32_t source = 0;
  void validate() const;                // throws ConfigError naming the field
};

class TrafficGenerator final : public Module, public Initiator, private EventHandler {
 public:
  TrafficGenerator(Simulation& sim, std::string_view name, Target& target, const TrafficGeneratorConfig& config,
                   Module* parent = nullptr);
  void complete(const Request& request) override;
  void retry() override;
  [[nodiscard]] bool done() const noexcept { return completed_.value == config_.count; }
  [[nodiscard]] std::uint64_t issued() const noexcept { return issued_.value; }
  [[nodiscard]] std::uint64_t completed() const noexcept { return completed_.value; }
  [[nodiscard]] const TrafficGeneratorConfig& config() const noexcept { return config_; }
  [[nodiscard]] Picoseconds first_issue_ps() const noexcept { return first_issue_ps_; }
  [[nodiscard]] Picoseconds last_complete_ps() const noexcept { return last_complete_ps_; }

 private:
  void handle_event(std::uint64_t arg) override;
  void issue_now();
  void schedule_issue(Picoseconds t);

  Target& target_;
  TrafficGeneratorConfig config_;
  Picoseconds next_issue_ps_;
  bool issue_pending_ = false;
  bool waiting_retry_ = false;
  std::uint64_t outstanding_ = 0;
  Counter& issued_;
  Counter& completed_;
  Counter& rejections_;
  Picoseconds first_issue_ps_ = 0;
  Picoseconds last_complete_ps_ = 0;
  Accumulator& latency_;
  Histogram& latency_hist_;
};

}  // namespace tnpu
