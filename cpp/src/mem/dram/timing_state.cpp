// The timing state of one DRAM channel (see timing_state.hpp).
#include "tnpu/mem/dram/timing_state.hpp"

namespace tnpu::dram {

TimingState::TimingState(const DramSpec& spec, bool closed_page)
    : ranks_(spec.ranks),
      groups_per_rank_(spec.bankgroups),
      banks_per_group_(spec.banks_per_group),
      banks_per_rank_(spec.banks()) {
  for (const TimingRule& r : dram_timing_rules(spec)) {
    if (r.window > 1) {
      act_windows_.push_back(ActWindow{std::min<std::uint32_t>(r.window, kActHistory), r.latency});
      continue;
    }
    // Column commands the row policy never uses: no scheduler asks for their earliest cycle (fewer updates).
    const bool unused = closed_page ? (r.following == DramCommand::kRD || r.following == DramCommand::kWR)
                                    : (r.following == DramCommand::kRDA || r.following == DramCommand::kWRA);
    if (unused) continue;
    Updates& u = updates_[ci(r.preceding)];
    std::vector<Update>& list = r.level == DramLevel::kChannel ? u.channel
                                : r.level == DramLevel::kRank  ? (r.sibling ? u.sibling_rank : u.rank)
                                : r.level == DramLevel::kBankGroup ? u.group
                                                                   : u.bank;
    const auto following = static_cast<std::uint32_t>(r.following);
    const auto same =
        std::find_if(list.begin(), list.end(), [&](const Update& x) { return x.following == following; });
    if (same == list.end()) {
      list.push_back(Update{following, r.latency});
    } else {
      same->latency = std::max(same->latency, r.latency);  // max(v, c + a), max(v, c + b): one max with the larger
    }
  }
  rank_next_.assign(ranks_, {});
  group_next_.assign(std::size_t{ranks_} * groups_per_rank_, {});
  bank_next_.assign(std::size_t{ranks_} * banks_per_rank_, {});
  banks_.assign(std::size_t{ranks_} * banks_per_rank_, {});
  for (std::uint32_t b = 0; b < ranks_ * banks_per_rank_; ++b) {
    const std::uint32_t rank = b / banks_per_rank_;
    bank_index_.push_back(BankIndex{rank, rank * groups_per_rank_ + (b % banks_per_rank_) / banks_per_group_});
  }
  open_banks_.assign(ranks_, 0);
  active_since_.assign(ranks_, 0);
  active_total_.assign(ranks_, 0);
  act_history_.assign(ranks_, {});
  act_count_.assign(ranks_, 0);
}

double TimingState::active_cycles(std::size_t rank, std::uint64_t now) const noexcept {
  std::uint64_t total = active_total_[rank];
  if (open_banks_[rank] > 0 && now > active_since_[rank]) total += now - active_since_[rank];
  return static_cast<double>(total);
}

}  // namespace tnpu::dram
