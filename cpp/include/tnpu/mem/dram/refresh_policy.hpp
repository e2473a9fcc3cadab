#pragma once
// The refresh policy of one DRAM channel (Ramulator 2's refresh manager): when each rank's REF falls due, which
// ranks have one pending, and the commands that serve it.
// - refresh_policy = "staggered" (DRAMsim3 RANK_LEVEL_STAGGERED): one rank every tREFI / ranks;
//   "all_ranks" (Ramulator): every rank every tREFI, together, and a pending refresh holds the channel
//   (blocking()); "none": no refresh.
// - refresh_precharge = "per_bank" (DRAMsim3): a refreshing rank's open banks close with one PRE each, in bank
//   order; otherwise with one PREA.
// Requests to a rank with a refresh pending wait (the schedulers skip them: pending(), block_word()).
// While the channel is idle nobody wakes it for refreshes (the simulation must be able to end): the refreshes that
// fell due in an idle stretch are issued retroactively at their due time (fall_due()).
// Commands are issued through the caller's `issue(cmd, rank, group, flat_bank, cycle)` (the channel's: counters
// and scheduler bookkeeping); the timing state is only read here.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "tnpu/mem/dram/policies.hpp"
#include "tnpu/mem/dram/timing_state.hpp"
#include "tnpu/mem/dram_spec.hpp"

namespace tnpu::dram {

class RefreshPolicy {
 public:
  RefreshPolicy(const DramSpec& spec, std::uint32_t ranks, std::uint32_t banks_per_rank, RefreshKind kind,
                RefreshPrecharge precharge);

  [[nodiscard]] bool blocking() const noexcept { return blocking_; }
  [[nodiscard]] bool pending(std::uint32_t rank) const noexcept { return pending_[rank] != 0; }
  [[nodiscard]] std::uint32_t pending_count() const noexcept { return pending_count_; }
  // A bit per flat bank (64 a word) whose rank has a refresh pending.
  [[nodiscard]] std::uint64_t block_word(std::size_t w) const noexcept { return block_[w]; }

  // At step cycle c: the refreshes that fell due up to c become pending, or, if they fell due in an idle stretch
  // (or before a later due in this catch-up), are issued at their time. wake: lowered to the next due cycle.
  template <class Issue>
  void fall_due(const TimingState& t, std::uint64_t c, bool idle, std::uint64_t& wake, Issue&& issue) {
    if (c < first_due_) {  // (also when refresh is off: kNever)
      wake = std::min(wake, first_due_);
      return;
    }
    std::uint64_t first = kNever;
    for (std::uint32_t r = 0; r < ranks_; ++r) {
      while (next_[r] <= c) {
        const std::uint64_t due = next_[r];
        next_[r] += period_;
        // Due in an idle stretch (or before a later due in this catch-up): it happened at its time.
        if ((idle ? due < c : next_[r] <= c) && pending_[r] == 0 && due >= t.cmd_bus_next()) {
          if (per_bank_pre_) {
            // One PRE per open bank, in bank order, each at its earliest legal cycle (as stepping would issue them).
            std::uint64_t at_least = due;
            for (std::uint32_t b = 0; t.open_banks(r) > 0; at_least = t.cmd_bus_next()) {
              const std::uint64_t at = close_bank(t, r, kNever - 1, b);
              issue(DramCommand::kPRE, r, t.bank_index(b).group, b, std::max(at_least, at));
            }
          } else if (t.open_banks(r) > 0) {
            issue(DramCommand::kPREA, r, 0u, 0u, due);
          }
          issue(DramCommand::kREF, r, 0u, 0u,
                std::max({due, t.cmd_bus_next(), t.earliest_rank(DramCommand::kREF, r)}));
          continue;
        }
        if (pending_[r] == 0) set_pending(r, true);
      }
      first = std::min(first, next_[r]);
    }
    first_due_ = first;
    wake = std::min(wake, first);
  }

  // Issues the next command of a pending refresh if one is legal at c (returns true), else lowers wake to the
  // earliest cycle at which one is.
  template <class Issue>
  bool try_issue(const TimingState& t, std::uint64_t c, std::uint64_t& wake, Issue&& issue) {
    for (std::uint32_t r = 0; r < ranks_; ++r) {
      if (pending_[r] == 0) continue;
      if (per_bank_pre_ && t.open_banks(r) > 0) {
        std::uint32_t b = 0;
        const std::uint64_t at = close_bank(t, r, c, b);
        if (at <= c) {
          issue(DramCommand::kPRE, r, t.bank_index(b).group, b, c);
          return true;
        }
        wake = std::min(wake, at);
        continue;
      }
      const DramCommand cmd = t.open_banks(r) > 0 ? DramCommand::kPREA : DramCommand::kREF;
      const std::uint64_t at = t.earliest_rank(cmd, r);
      if (at <= c) {
        issue(cmd, r, 0u, 0u, c);
        if (cmd == DramCommand::kREF) set_pending(r, false);
        return true;
      }
      wake = std::min(wake, at);
    }
    return false;
  }

  // The earliest cycle at which a command of a pending refresh is legal (kNever if none is pending).
  [[nodiscard]] std::uint64_t next_legal(const TimingState& t, std::uint64_t c) const noexcept;

 private:
  void set_pending(std::uint32_t rank, bool pending);
  // refresh_precharge = per_bank: the bank whose PRE closes the refreshing rank next (returns the cycle it is legal:
  // <= c with `bank` set, or the earliest such cycle).
  [[nodiscard]] std::uint64_t close_bank(const TimingState& t, std::uint32_t rank, std::uint64_t c,
                                         std::uint32_t& bank) const noexcept;

  std::uint32_t ranks_, banks_per_rank_;
  bool on_, blocking_, per_bank_pre_;
  std::uint64_t period_;                // of one rank's refreshes: tREFI, or tREFI / ranks x ranks when staggered
  std::vector<std::uint64_t> next_;     // per rank: cycle the next refresh falls due
  std::uint64_t first_due_ = kNever;    // the earliest of next_
  std::vector<std::uint32_t> pending_;  // per rank: 1 if its refresh is pending (a word each: no bit access per step)
  std::vector<std::uint64_t> block_;    // a bit per flat bank whose rank has a refresh pending
  std::uint32_t pending_count_ = 0;
};

}  // namespace tnpu::dram
