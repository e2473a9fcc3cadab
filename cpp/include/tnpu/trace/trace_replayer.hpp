#pragma once
// TraceReplayer: streams a DRAM trace into any Target (a DRAM controller, a fixed-latency memory), with the issue
// semantics of the tools the trace formats come from, and measures what a replay reports.
//
// Contract (the acceptance rules; traces/README.md states the same):
// - Time: memory clock cycle c starts at c * tck_ps. Requests are offered only on cycle edges, at priority
//   kDefault, strictly in trace order (head-of-line blocking), at most one offer per memory cycle (DRAMsim3's trace
//   CPU and both Ramulators offer at most one request per cycle).
// - Request i is offered at the first edge t with t >= now, t >= stamp_i * tck_ps (stamped formats: DRAMsim3
//   issues a request no earlier than its stamp) and t >= accept_i-1 + tck_ps (one per cycle). Unstamped requests
//   therefore go as fast as the target accepts them, one per cycle at best (as Ramulator does).
// - A rejected request is offered again at the first edge at or after the target's retry() call and at least one
//   cycle after the rejected offer (DRAMsim3/Ramulator retry every cycle; retry() says when retrying can succeed).
// - Each request has size_bytes bytes. With capacity_bytes > 0, an address with address + size_bytes >
//   capacity_bytes throws TraceFormatError naming the line, or, with wrap, is replaced by address % capacity_bytes
//   (the peers drop the high address bits, which is the same for a power-of-two capacity).
// - Statistics (prefixed with the module's name): requests, reads, writes, bytes (accepted), completed,
//   rejections, read_latency (histogram in memory cycles, from acceptance to completion, 1-cycle bins up to
//   32768), first_issue_ps (acceptance of the first request), last_complete_ps, cycles (ceil((last_complete_ps -
//   first_issue_ps) / tck_ps)), bandwidth_gbps (bytes / that time).
// - Errors in the trace (malformed line, address beyond the capacity) are thrown from the constructor (first line)
//   or from Kernel::run() (later lines), as TraceFormatError `path:line: ...`.
#include <cstdint>
#include <string_view>

#include "tnpu/sim/module.hpp"
#include "tnpu/sim/paced_source.hpp"
#include "tnpu/sim/request.hpp"
#include "tnpu/sim/time.hpp"
#include "tnpu/trace/dram_trace.hpp"

namespace tnpu {

struct TraceReplayerConfig {
  Picoseconds tck_ps = 833;          // memory clock period: the unit of stamps and of the one-offer-per-cycle rule
  std::uint32_t size_bytes = 64;     // bytes per request
  std::uint64_t capacity_bytes = 0;  // 0: no limit; else addresses must stay below it (or wrap)
  bool wrap = false;                 // wrap addresses beyond capacity_bytes instead of failing
  std::uint32_t source = 0;          // Request::source of every request
  // Let the target pull the requests if it can (Target::pace, tnpu/sim/paced_source.hpp): the same replay without
  // a kernel event per offer. Only for a target that nobody else sends to.
  bool paced = false;
  void validate() const;             // throws ConfigError naming the field
};

class TraceReplayer final : public Module, public Initiator, private EventHandler, private PacedSource {
 public:
  static constexpr double kLatencyHistogramCycles = 32768.0;

  // Reads the first record (errors in it throw here) and schedules its offer.
  TraceReplayer(Simulation& sim, std::string_view name, Target& target, DramTraceReader reader,
                const TraceReplayerConfig& config, Module* parent = nullptr);

  void complete(const Request& request) override;
  void retry() override;
  void retry_tail() override;

  // Every request of the trace was accepted and completed.
  [[nodiscard]] bool done() const noexcept { return exhausted_ && completed_.value == requests_.value; }
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_.value; }
  [[nodiscard]] std::uint64_t reads() const noexcept { return reads_.value; }
  [[nodiscard]] std::uint64_t writes() const noexcept { return writes_.value; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_.value; }
  [[nodiscard]] std::uint64_t completed() const noexcept { return completed_.value; }
  [[nodiscard]] std::uint64_t rejections() const noexcept { return rejections_.value; }
  [[nodiscard]] Picoseconds first_issue_ps() const noexcept { return first_issue_ps_; }
  [[nodiscard]] Picoseconds last_complete_ps() const noexcept { return last_complete_ps_; }
  // ceil((last_complete_ps - first_issue_ps) / tck_ps); 0 before the first completion.
  [[nodiscard]] Cycles cycles() const noexcept;
  [[nodiscard]] double bandwidth_gbps() const noexcept;
  [[nodiscard]] const Histogram& read_latency_cycles() const noexcept { return read_latency_; }
  [[nodiscard]] const TraceReplayerConfig& config() const noexcept { return config_; }
  [[nodiscard]] const DramTraceReader& reader() const noexcept { return reader_; }
  // The target pulls the requests (config.paced and the target accepted).
  [[nodiscard]] bool paced() const noexcept { return paced_; }

 private:
  void handle_event(std::uint64_t arg) override;
  // PacedSource: the target pulls pending_ and reports each offer's outcome.
  bool pull(Request& request, std::uint64_t& stamp_cycle) override;
  void accepted(const Request& request) override;
  void refused() override;
  void request_done(const Request& request, Picoseconds at) override;
  Initiator& initiator() override { return *this; }
  // The stamp of pending_ in cycles (throws if its time does not fit in 64-bit picoseconds).
  [[nodiscard]] std::uint64_t checked_stamp() const;
  // Reads the next record into pending_ (address checked); false at the end of the trace.
  bool fetch();
  // The error for pending_'s address beyond the capacity (out of line: fetch() stays small).
  [[noreturn]] void throw_beyond_capacity() const;
  // max(now, earliest, the stamp's time) for pending_ (throws if the stamp's time does not fit).
  [[nodiscard]] Picoseconds offer_time(Picoseconds earliest) const;
  // The first clock edge >= offer_time(earliest): when the offer of pending_ is made.
  [[nodiscard]] Picoseconds offer_edge(Picoseconds earliest) const { return clock_.next_edge(offer_time(earliest)); }
  // Schedules the offer of pending_ at offer_edge(earliest).
  void schedule_offer(Picoseconds earliest);
  // Offers pending_ to the target now; false if it was rejected (retry() then schedules the next offer).
  bool offer();
  // pending_ as the request offered at `at`.
  [[nodiscard]] Request pending_request(Picoseconds at) const;
  // The target refuses the offer of pending_ at `at` for certain (Target::refuse_ahead): counted as rejected now,
  // retry() schedules the next offer. false: offer it as usual.
  bool refused_ahead(Picoseconds at);

  Target& target_;
  DramTraceReader reader_;
  TraceReplayerConfig config_;
  Clock clock_;
  std::uint64_t max_stamp_cycles_;  // the largest stamp whose time (stamp x tCK) fits in 64-bit picoseconds
  DramTraceRecord pending_;
  bool exhausted_ = false;        // the reader has no more records (pending_ is stale)
  bool any_accepted_ = false;
  bool waiting_retry_ = false;    // pending_ was rejected; retry() schedules its next offer
  bool paced_ = false;            // the target pulls (PacedSource)
  bool pulled_first_ = false;     // pending_ (read by the constructor) has been pulled
  Picoseconds last_offer_ps_ = 0;
  Picoseconds first_issue_ps_ = 0;
  Picoseconds last_complete_ps_ = 0;
  Picoseconds last_latency_ps_ = 0;     // the last read latency seen, and it in cycles (a division saved)
  double last_latency_cycles_ = 0.0;
  Counter& requests_;
  Counter& reads_;
  Counter& writes_;
  Counter& bytes_;
  Counter& completed_;
  Counter& rejections_;
  Histogram& read_latency_;
};

}  // namespace tnpu
