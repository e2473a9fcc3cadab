#pragma once
// DramController: a cycle-level DRAM memory system (one controller per channel) behind the tnpu::Target interface.
// The same object serves trace replay (TraceReplayer) and the accelerator's DMA engine.
//
// Contract:
// - send() accepts a read if its channel's read queue has room and a write if its write queue has room, else
//   rejects it and calls the initiator's retry() once when that channel frees a queue slot. Requests must not cross
//   a burst (line_bytes) boundary, unless they are multi-line requests (below).
// - Multi-line requests ("bursts"): size_bytes = k x line_bytes (k >= 2), address on a line boundary, the k lines
//   consecutive and in one row of one bank (k <= address_map().lines_in_row(address)) and k <= the queue size:
//   max_request_bytes(address) says how large one may be. Anything else throws ConfigError naming the request.
//   A burst is handled exactly as its k lines sent as k separate requests at the same time, in address order:
//   queue capacity counts lines, each line is queued, scheduled, counted in every statistic and timed as a request
//   of its own; only the completion differs: complete() is called once, when the last line completes (and
//   line_completed() for the others if the request has Request::kNotifyLines). send() accepts all k lines or none
//   (one rejection); send_prefix() accepts the lines that k separate sends would (a rejection if not all).
//   Lines whose completion nobody is called back for cost no kernel event.
// - Timing: commands issue on memory clock edges (cycle c at c * tck_ps), at most one per cycle per channel, each
//   only when every rule of dram_timing_rules(spec) allows it. A read completes when its last data beat has
//   arrived (RD issue + tCL + tBL); a write completes when its WR command issues (posted write: the controller owns
//   the data from then on; this is what DRAMsim3 and Ramulator count as a finished write).
// - Cycle semantics (DRAMsim3's): a channel steps at most once per memory cycle, after the requests sent in that
//   cycle (its events have Priority::kMemory); the step issues at most one command, then moves at most one
//   transaction into its bank queue (examined from the next cycle). A request accepted after the cycle's step is
//   seen by the next cycle's.
// - Event-driven: a channel runs only at cycles where something can happen (a command becomes legal, a request
//   that can move arrives, a refresh falls due); it never steps through idle cycles. The results equal stepping
//   every cycle (tnpu._core._testing.set_dram_modes(every_cycle=True), a verification mode; tests/test_dram_identity.py).
// - Statistics under the module's name: requests, reads, writes, bytes, rejections, row_hits / row_misses /
//   row_conflicts (from the first command issued for each request: column = hit, ACT = miss, PRE = conflict),
//   overlapped_columns (column commands issued while a request to another bank was waiting in the channel),
//   cmd_act/pre/prea/rd/wr/rda/wra/ref, read_latency (histogram, memory cycles, acceptance to data), queue
//   occupancy seen by each accepted request, energy formulas (pJ; IDD-based, see docs/dram.md).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "tnpu/mem/address_map.hpp"
#include "tnpu/mem/dram/energy_model.hpp"
#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/sim/event_queue.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/sim/paced_source.hpp"
#include "tnpu/sim/request.hpp"

namespace tnpu {

class DramChannel;

struct DramCounters {
  Counter* requests;
  Counter* reads;
  Counter* writes;
  Counter* bytes;
  Counter* rejections;
  Counter* forwarded_reads;
  Counter* overlapped_columns;
  Counter* row_hits;
  Counter* row_misses;
  Counter* row_conflicts;
  Counter* cmd[8];  // indexed by DramCommand
  Histogram* read_latency;
  Accumulator* occupancy;
};

class DramController final : public Module, public Target, private EventHandler {
 public:
  static constexpr double kLatencyHistogramCycles = 65536.0;

  DramController(Simulation& sim, std::string_view name, const DramSpec& spec, Module* parent = nullptr);
  DramController(const DramController&) = delete;
  DramController& operator=(const DramController&) = delete;
  ~DramController() override;

  bool send(const Request& request, Initiator& from) override;
  std::uint64_t send_prefix(const Request& request, Initiator& from) override;
  // Target::refuse_ahead for single-line requests offered at Priority::kDefault: certain when the request's channel
  // has already stepped in this cycle, its queue is full and the offer comes before its next step (only a step
  // frees a queue entry), and `from` is the only initiator that ever sent to that channel.
  bool refuse_ahead(const Request& next, Initiator& from) override;
  // A channel's queue became full on an acceptance after its step in that cycle: the next offer to it may be refused
  // ahead (Target::may_refuse_ahead; refuse_ahead checks everything anyway).
  void note_queue_full() noexcept { may_refuse_ahead_ = true; }
  // The paced feeder (tnpu/sim/paced_source.hpp): accepted for single-line requests on this controller's clock,
  // when no initiator has sent to it yet (and tnpu._core._testing.set_dram_modes(paced=False) is not set). The
  // source's offers are then decided inside the controller: an offer at cycle d to channel X (before X's step at d,
  // or right after X's step at d for the offer that follows a retry at d) is decided as soon as X has no step left
  // before it, with X's queues as that offer would see them (only X's steps change them). Completions go to the
  // source's request_done() after the channel's next step (no event each). Every statistic equals the replay with
  // offers; the controller takes no request from any other initiator afterwards (ConfigError).
  bool pace(PacedSource& source, Picoseconds tck_ps, std::uint32_t size_bytes) override;
  [[nodiscard]] bool paced() const noexcept { return source_ != nullptr; }
  // Decides every offer of the paced source that no channel step can come before (called when pacing starts and
  // after every step of a channel).
  void feed();
  [[nodiscard]] std::uint64_t max_request_bytes(std::uint64_t address) const override {
    return std::min(map_.lines_in_row(address), min_queue_) << line_shift_;
  }
  [[nodiscard]] std::uint64_t line_bytes() const override { return spec_.line_bytes(); }
  // log2(line_bytes()) (a power of two): bytes >> line_shift() lines.
  [[nodiscard]] std::uint32_t line_shift() const noexcept { return line_shift_; }

  [[nodiscard]] const DramSpec& spec() const noexcept { return spec_; }
  [[nodiscard]] const AddressMap& address_map() const noexcept { return map_; }
  // Requests accepted and not yet completed, over all channels.
  [[nodiscard]] std::uint64_t outstanding() const noexcept;
  // Energy so far (pJ): per-command energies plus background power up to now.
  [[nodiscard]] double command_energy_pj() const noexcept;
  [[nodiscard]] double background_energy_pj() const noexcept;
  // The refresh (REF) part of command_energy_pj(), and the energy of one REF.
  [[nodiscard]] double refresh_energy_pj() const noexcept;
  [[nodiscard]] double refresh_command_pj() const noexcept;
  [[nodiscard]] double energy_pj() const noexcept { return command_energy_pj() + background_energy_pj(); }
  [[nodiscard]] std::uint64_t command_count(std::size_t cmd) const noexcept { return counters_.cmd[cmd]->value; }
  [[nodiscard]] const DramCounters& counters() const noexcept { return counters_; }
  // Wake-ups executed by the channels (a measure of the event-driven saving: compare with cycles simulated).
  [[nodiscard]] std::uint64_t wakeups() const noexcept;

 private:
  // Lines of a request after checking the contract above (throws ConfigError).
  [[nodiscard]] std::uint32_t burst_lines(const Request& request) const {
    // The common cases here (shifts and masks: the line is a power of two); anything else, and every error, in
    // checked_burst_lines().
    const std::uint64_t line = std::uint64_t{1} << line_shift_;
    if (request.size_bytes == line && (request.address & (line - 1)) == 0) return 1;
    if (request.size_bytes > line && ((request.address | request.size_bytes) & (line - 1)) == 0) {
      const std::uint64_t lines = request.size_bytes >> line_shift_;
      const std::uint32_t queue =
          request.command == Command::kWrite ? spec_.write_queue_size : spec_.read_queue_size;
      if (lines <= queue && lines <= map_.lines_in_row(request.address)) return static_cast<std::uint32_t>(lines);
    }
    return checked_burst_lines(request);
  }
  [[nodiscard]] std::uint32_t checked_burst_lines(const Request& request) const;
  // The paced feeder's start (an event at the time pace() was called).
  void handle_event(std::uint64_t arg) override;
  // Pulls the source's next request into pend_, offered no earlier than cycle `earliest` (false: none left).
  bool pull_next(std::uint64_t earliest);
  // A sender when paced: an error (the controller is fed by its source only).
  void check_not_paced() const;

  DramSpec spec_;
  AddressMap map_;
  dram::EnergyModel energy_;
  DramCounters counters_{};
  std::uint32_t line_shift_ = 0;
  std::uint64_t min_queue_ = 0;  // the smaller of the read and write queues (lines)
  std::vector<std::unique_ptr<DramChannel>> channels_;

  // The paced feeder's state: the source, its pending request and where that request's offer stands.
  PacedSource* source_ = nullptr;
  Initiator* source_initiator_ = nullptr;
  Request pend_{};
  DramAddress pend_addr_{};
  DramChannel* pend_channel_ = nullptr;
  std::uint64_t pend_due_ = 0;     // the cycle of its next offer (not waiting)
  std::uint64_t last_offer_ = 0;   // the cycle of its last (refused) offer
  bool pend_valid_ = false;
  bool pend_waiting_ = false;      // refused: offered again after its channel's retry
};

}  // namespace tnpu
