#pragma once
// FR-FCFS over a shared transaction queue (Ramulator's scheduler, and tnpu's default when bank_queue_size = 0): the
// oldest request whose next command is legal now; with a row-hit cap (row_hit_cap > 0), a row hit beyond the cap
// does not overtake older requests. Requests of a rank with a refresh pending wait. The row policy (open or
// closed page) decides the column command (RD/WR or RDA/WRA).
//
// Header-only: select() runs once per step over the queue, with the channel's slots (any indexable container whose
// elements have rank, flat_group, flat_bank, row and is_write), so nothing is a virtual or indirect call.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "tnpu/mem/dram/policies.hpp"
#include "tnpu/mem/dram/refresh_policy.hpp"
#include "tnpu/mem/dram/timing_state.hpp"
#include "tnpu/mem/dram_spec.hpp"

namespace tnpu::dram {

class FrFcfs {
 public:
  FrFcfs(const DramSpec& spec, const TimingState& timing, const RefreshPolicy& refresh, RowPolicy row) noexcept
      : t_(timing), refresh_(refresh), closed_page_(row == RowPolicy::kClosed), row_hit_cap_(spec.row_hit_cap) {}

  // The command a request needs next, given its bank's state.
  template <class Slot>
  [[nodiscard]] DramCommand next_command(const Slot& s) const noexcept {
    const BankState& b = t_.bank(s.flat_bank);
    if (b.open_row == kNoRow) return DramCommand::kACT;
    if (b.open_row != s.row) return DramCommand::kPRE;
    if (closed_page_) return s.is_write ? DramCommand::kWRA : DramCommand::kRDA;
    return s.is_write ? DramCommand::kWR : DramCommand::kRD;
  }
  template <class Slot>
  [[nodiscard]] std::uint64_t earliest(DramCommand cmd, const Slot& s) const noexcept {
    return t_.earliest(cmd, s.rank, s.flat_group, s.flat_bank);
  }

  // The request of q (slot ids, oldest first) that issues at c: its position and command (true), or none (false).
  // wake: lowered to the earliest cycle of the requests examined that are not legal yet.
  template <class Slots>
  bool select(std::span<const std::uint32_t> q, const Slots& slots, std::uint64_t c, std::uint64_t& wake,
              std::size_t& pos, DramCommand& cmd_out) const noexcept {
    std::size_t best = q.size();
    std::size_t oldest_capped = q.size();
    DramCommand best_cmd = DramCommand::kACT;
    DramCommand capped_cmd = DramCommand::kACT;
    for (std::size_t i = 0; i < q.size(); ++i) {
      const auto& s = slots[q[i]];
      if (refresh_.pending_count() > 0 && refresh_.pending(s.rank)) continue;
      const DramCommand cmd = next_command(s);
      const std::uint64_t t = earliest(cmd, s);
      if (t > c) {
        wake = std::min(wake, t);
        continue;
      }
      const bool is_hit = cmd != DramCommand::kACT && cmd != DramCommand::kPRE;
      if (is_hit && row_hit_cap_ > 0 && t_.bank(s.flat_bank).hits > row_hit_cap_) {
        if (oldest_capped == q.size()) {
          oldest_capped = i;
          capped_cmd = cmd;
        }
        continue;
      }
      best = i;
      best_cmd = cmd;
      break;
    }
    if (best == q.size()) {
      // Nothing ready below the cap: the oldest request goes if it is itself ready (it is the FCFS choice).
      if (oldest_capped != 0 || q.empty()) return false;
      best = 0;
      best_cmd = capped_cmd;
    }
    pos = best;
    cmd_out = best_cmd;
    return true;
  }

  // Lowers wake to the earliest cycle at which a request of q can issue (stops once it is c or before).
  template <class Slots>
  void fold_earliest(std::span<const std::uint32_t> q, const Slots& slots, std::uint64_t c,
                     std::uint64_t& wake) const noexcept {
    for (const std::uint32_t id : q) {
      const auto& s = slots[id];
      if (refresh_.pending_count() > 0 && refresh_.pending(s.rank)) continue;
      wake = std::min(wake, earliest(next_command(s), s));
      if (wake <= c) return;
    }
  }

 private:
  const TimingState& t_;
  const RefreshPolicy& refresh_;
  bool closed_page_;
  std::uint32_t row_hit_cap_;
};

}  // namespace tnpu::dram
