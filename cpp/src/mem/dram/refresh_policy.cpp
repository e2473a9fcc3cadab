// The refresh policy of one DRAM channel (see refresh_policy.hpp).
#include "tnpu/mem/dram/refresh_policy.hpp"

#include <algorithm>

namespace tnpu::dram {

RefreshPolicy::RefreshPolicy(const DramSpec& spec, std::uint32_t ranks, std::uint32_t banks_per_rank, RefreshKind kind,
                             RefreshPrecharge precharge)
    : ranks_(ranks),
      banks_per_rank_(banks_per_rank),
      on_(kind != RefreshKind::kNone),
      blocking_(kind == RefreshKind::kAllRanks),
      per_bank_pre_(precharge == RefreshPrecharge::kPerBank),
      period_(kind == RefreshKind::kAllRanks ? spec.tREFI : std::uint64_t{spec.tREFI / spec.ranks} * spec.ranks) {
  next_.assign(ranks_, kNever);
  pending_.assign(ranks_, 0);
  block_.assign((std::size_t{ranks_} * banks_per_rank_ + 63) / 64, 0);
  if (on_) {
    const std::uint32_t interval = spec.tREFI;
    for (std::uint32_t r = 0; r < ranks_; ++r) {
      // DRAMsim3 RANK_LEVEL_STAGGERED: one rank every tREFI / ranks; Ramulator: every rank every tREFI, together.
      next_[r] = blocking_ ? interval : std::uint64_t{interval / ranks_} * (r + 1);
      first_due_ = std::min(first_due_, next_[r]);
    }
  }
}

void RefreshPolicy::set_pending(std::uint32_t rank, bool pending) {
  pending_[rank] = pending ? 1 : 0;
  if (pending) {
    ++pending_count_;
  } else {
    --pending_count_;
  }
  for (std::size_t b = std::size_t{rank} * banks_per_rank_; b < std::size_t{rank + 1} * banks_per_rank_; ++b) {
    const std::uint64_t bit = std::uint64_t{1} << (b % 64);
    block_[b / 64] = pending ? block_[b / 64] | bit : block_[b / 64] & ~bit;
  }
}

std::uint64_t RefreshPolicy::close_bank(const TimingState& t, std::uint32_t rank, std::uint64_t c,
                                        std::uint32_t& bank) const noexcept {
  // DRAMsim3 (ChannelState::GetReadyCommand of a REFRESH): the first open bank of the rank, in bank order, whose
  // PRE is legal at c; else the earliest cycle at which one is.
  std::uint64_t first = kNever;
  for (std::uint32_t b = rank * banks_per_rank_; b < (rank + 1) * banks_per_rank_; ++b) {
    if (t.bank(b).open_row == kNoRow) continue;
    const std::uint64_t at = std::max(t.cmd_bus_next(), t.bank_earliest(b, DramCommand::kPRE));
    if (at <= c) {
      bank = b;
      return at;
    }
    first = std::min(first, at);
  }
  return first;
}

std::uint64_t RefreshPolicy::next_legal(const TimingState& t, std::uint64_t c) const noexcept {
  std::uint64_t wake = kNever;
  if (pending_count_ == 0) return wake;
  for (std::uint32_t r = 0; r < ranks_; ++r) {
    if (pending_[r] == 0) continue;
    if (per_bank_pre_ && t.open_banks(r) > 0) {
      std::uint32_t b = 0;
      wake = std::min(wake, close_bank(t, r, c, b));
      continue;
    }
    const DramCommand cmd = t.open_banks(r) > 0 ? DramCommand::kPREA : DramCommand::kREF;
    wake = std::min(wake, t.earliest_rank(cmd, r));
  }
  return wake;
}

}  // namespace tnpu::dram
