#pragma once
// A memory with a fixed access latency, a bounded queue and an optional minimum interval between request starts.
// Contract: a request accepted at time t starts at s = max(t, previous start + issue_interval_ps) and completes at
// s + latency_ps; it holds one of queue_depth slots from acceptance to completion. A request that finds every slot
// taken is rejected (back-pressure) and its initiator gets retry() at the next completion.
// Multi-line requests (max_request_bytes > 0): a request of k lines (line_bytes each, line-aligned, at most
// max_request_bytes) holds one slot, takes k start intervals (the bus is busy for k lines) and completes when its
// last line would: s + (k - 1) * issue_interval_ps + latency_ps, as one completion (line_completed() for the other
// lines too, at their own times, if the request asks for it with Request::kNotifyLines).
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "tnpu/sim/kernel.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/sim/request.hpp"
#include "tnpu/sim/ring_fifo.hpp"

namespace tnpu {

struct FixedLatencyMemoryConfig {
  Picoseconds latency_ps = 100'000;
  std::uint32_t queue_depth = 16;
  Picoseconds issue_interval_ps = 0;  // 0: unlimited start rate (per line for multi-line requests)
  std::uint64_t max_request_bytes = 0;  // largest multi-line request accepted (0: single requests only)
  std::uint64_t line_bytes = 64;        // the line of a multi-line request
  void validate() const;              // throws ConfigError naming the field
};

class FixedLatencyMemory final : public Module, public Target, private EventHandler {
 public:
  FixedLatencyMemory(Simulation& sim, std::string_view name, const FixedLatencyMemoryConfig& config,
                     Module* parent = nullptr);
  bool send(const Request& request, Initiator& from) override;
  [[nodiscard]] std::uint64_t max_request_bytes(std::uint64_t address) const override;
  [[nodiscard]] std::uint64_t line_bytes() const override {
    return config_.max_request_bytes > 0 ? config_.line_bytes : 0;
  }
  [[nodiscard]] std::size_t occupancy() const noexcept { return in_flight_.size(); }
  [[nodiscard]] const FixedLatencyMemoryConfig& config() const noexcept { return config_; }

 private:
  struct InFlight {
    Request request;
    Initiator* initiator;
    Picoseconds accepted_ps;
    Picoseconds done_ps;  // completion time
    EventTicket ticket;   // the completion event's place in the kernel's order, taken at acceptance
  };
  void handle_event(std::uint64_t arg) override;
  struct LineNotice {
    Request request;
    Initiator* initiator;
  };
  std::deque<LineNotice> line_notices_;  // kNotifyLines: one per line but the last, in time order
  class LineNotifier final : public EventHandler {
   public:
    explicit LineNotifier(FixedLatencyMemory& m) : m_(m) {}
    void handle_event(std::uint64_t arg) override;

   private:
    FixedLatencyMemory& m_;
  };
  LineNotifier notifier_{*this};
  // Calls retry() on the initiator whose address is the event's argument.
  class RetryNotifier final : public EventHandler {
   public:
    void handle_event(std::uint64_t arg) override;
  };
  RetryNotifier retry_notifier_;

  FixedLatencyMemoryConfig config_;
  // Completion order == acceptance order (fixed latency, monotone starts). Only the front has a queued completion
  // event; it queues the next one with the ticket reserved at acceptance, which keeps the kernel's event order
  // exactly that of one event per request while the queue holds one event instead of queue_depth.
  RingFifo<InFlight> in_flight_;
  std::vector<Initiator*> waiting_;  // rejected initiators owed a retry()
  Picoseconds next_start_ps_ = 0;
  Counter& requests_;
  Counter& reads_;
  Counter& writes_;
  Counter& bytes_;
  Counter& rejections_;
  Accumulator& occupancy_at_accept_;
  Accumulator& latency_;
};

}  // namespace tnpu
