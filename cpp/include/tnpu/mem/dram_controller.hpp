#pragma once
// DramController: a cycle-level DRAM memory system (one controller per channel) behind the tnpu::Target interface.
// The same object serves trace replay (TraceReplayer) and the accelerator's DMA engine.
//
// Contract:
// - send() accepts a read if its channel's read queue has room and a write if its write queue has room, else
//   rejects it and calls the initiator's retry() once when that channel frees a queue slot. Requests must not cross
//   a burst (line_bytes) boundary; larger requests are the initiator's job to split.
// - Timing: commands issue on memory clock edges (cycle c at c * tck_ps), at most one per cycle per channel, each
//   only when every rule of dram_timing_rules(spec) allows it. A read completes when its last data beat has
//   arrived (RD issue + tCL + tBL); a write completes when its WR command issues (posted write: the controller owns
//   the data from then on; this is what DRAMsim3 and Ramulator count as a finished write).
// - Event-driven: a channel runs only at cycles where something can happen (a command becomes legal, a request
//   arrives, a refresh falls due); it never steps through idle cycles.
// - Statistics under the module's name: requests, reads, writes, bytes, rejections, row_hits / row_misses /
//   row_conflicts (from the first command issued for each request: column = hit, ACT = miss, PRE = conflict),
//   cmd_act/pre/prea/rd/wr/rda/wra/ref, read_latency (histogram, memory cycles, acceptance to data), queue
//   occupancy seen by each accepted request, energy formulas (pJ; IDD-based, see docs/dram.md).
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "tnpu/mem/address_map.hpp"
#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/sim/module.hpp"
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
  Counter* row_hits;
  Counter* row_misses;
  Counter* row_conflicts;
  Counter* cmd[8];  // indexed by DramCommand
  Histogram* read_latency;
  Accumulator* occupancy;
};

class DramController final : public Module, public Target {
 public:
  static constexpr double kLatencyHistogramCycles = 65536.0;

  DramController(Simulation& sim, std::string_view name, const DramSpec& spec, Module* parent = nullptr);
  DramController(const DramController&) = delete;
  DramController& operator=(const DramController&) = delete;
  ~DramController() override;

  bool send(const Request& request, Initiator& from) override;

  [[nodiscard]] const DramSpec& spec() const noexcept { return spec_; }
  [[nodiscard]] const AddressMap& address_map() const noexcept { return map_; }
  // Requests accepted and not yet completed, over all channels.
  [[nodiscard]] std::uint64_t outstanding() const noexcept;
  // Energy so far (pJ): per-command energies plus background power up to now.
  [[nodiscard]] double command_energy_pj() const noexcept;
  [[nodiscard]] double background_energy_pj() const noexcept;
  [[nodiscard]] double energy_pj() const noexcept { return command_energy_pj() + background_energy_pj(); }
  [[nodiscard]] std::uint64_t command_count(std::size_t cmd) const noexcept { return counters_.cmd[cmd]->value; }
  [[nodiscard]] const DramCounters& counters() const noexcept { return counters_; }
  // Wake-ups executed by the channels (a measure of the event-driven saving: compare with cycles simulated).
  [[nodiscard]] std::uint64_t wakeups() const noexcept;

 private:
  DramSpec spec_;
  AddressMap map_;
  DramCounters counters_{};
  std::vector<std::unique_ptr<DramChannel>> channels_;
};

}  // namespace tnpu
