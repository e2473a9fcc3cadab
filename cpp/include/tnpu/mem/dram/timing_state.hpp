#pragma once
// The timing state of one DRAM channel (Ramulator 2's "DRAM" part: spec + timing): the rule table of
// dram_timing_rules(spec) compiled into per-command update lists, the earliest legal cycle of every command at every
// level (channel, rank, bank group, bank), the command bus, the tFAW/t32AW activation windows, and the bank state
// (open row, hits since it opened) with each rank's active time (for the energy model).
//
// Contract: earliest*() give the first cycle at which a command is legal under every rule (and the command bus,
// except bank_earliest); issue() applies a command at cycle c, which must be legal. Constraints only ever move
// later. Which command a request needs and which request goes first are the schedulers' business, not this one's.
// Hot path: the queries and issue() are inline (called per command and per examined request).
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/mem/dram_timing.hpp"

namespace tnpu::dram {

inline constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::uint32_t kNoRow = std::numeric_limits<std::uint32_t>::max();
inline constexpr std::size_t kCmds = kNumDramCommands;

[[nodiscard]] inline constexpr std::size_t ci(DramCommand c) noexcept { return static_cast<std::size_t>(c); }
[[nodiscard]] inline constexpr bool is_column(DramCommand c) noexcept {
  return c == DramCommand::kRD || c == DramCommand::kWR || c == DramCommand::kRDA || c == DramCommand::kWRA;
}

struct BankState {
  std::uint32_t open_row = kNoRow;
  std::uint32_t hits = 0;  // column commands since the row opened
  // Per-bank scheduling: the reads and the writes of the bank's queue that hit the open row (0 while closed; kept
  // here because every command that closes the bank clears them).
  std::uint32_t queued_hits[2] = {0, 0};
};

struct BankIndex {  // rank and flat bank-group index of a flat bank (precomputed: no division when scheduling)
  std::uint32_t rank;
  std::uint32_t group;
};

class TimingState {
 public:
  // closed_page: the row policy, which decides which column commands are ever asked about. Under an open page
  // RDA and WRA never issue nor are asked about, under a closed page RD and WR: the rules that move their earliest
  // cycles are left out of issue() (earliest*() of such a command is meaningless; nothing calls it).
  TimingState(const DramSpec& spec, bool closed_page);

  [[nodiscard]] std::uint32_t ranks() const noexcept { return ranks_; }
  [[nodiscard]] std::uint32_t banks_per_rank() const noexcept { return banks_per_rank_; }
  [[nodiscard]] std::size_t banks() const noexcept { return banks_.size(); }
  [[nodiscard]] std::uint32_t flat_group(std::uint32_t rank, std::uint32_t bankgroup) const noexcept {
    return rank * groups_per_rank_ + bankgroup;
  }
  [[nodiscard]] std::uint32_t flat_bank(std::uint32_t rank, std::uint32_t bankgroup,
                                        std::uint32_t bank) const noexcept {
    return rank * banks_per_rank_ + bankgroup * banks_per_group_ + bank;
  }
  [[nodiscard]] const BankIndex& bank_index(std::size_t flat_bank) const noexcept { return bank_index_[flat_bank]; }
  [[nodiscard]] BankState& bank(std::size_t flat_bank) noexcept { return banks_[flat_bank]; }
  [[nodiscard]] const BankState& bank(std::size_t flat_bank) const noexcept { return banks_[flat_bank]; }
  [[nodiscard]] std::uint32_t open_banks(std::uint32_t rank) const noexcept { return open_banks_[rank]; }
  [[nodiscard]] std::uint64_t cmd_bus_next() const noexcept { return cmd_bus_next_; }
  // DRAMsim3's dual command issue: a second command in the cycle (the caller restores the bus afterwards).
  void set_cmd_bus_next(std::uint64_t c) noexcept { cmd_bus_next_ = c; }
  [[nodiscard]] bool last_column() const noexcept { return last_column_; }

  // The earliest cycle at which cmd is legal for a bank (every level's rules and the command bus).
  [[nodiscard]] std::uint64_t earliest(DramCommand cmd, std::uint32_t rank, std::uint32_t flat_group,
                                       std::uint32_t flat_bank) const noexcept {
    const std::size_t i = ci(cmd);
    return std::max({cmd_bus_next_, chan_next_[i], rank_next_[rank][i], group_next_[flat_group][i],
                      bank_next_[flat_bank][i]});
  }
  // The same for a rank-level command (PREA, REF).
  [[nodiscard]] std::uint64_t earliest_rank(DramCommand cmd, std::uint32_t rank) const noexcept {
    const std::size_t i = ci(cmd);
    return std::max({cmd_bus_next_, chan_next_[i], rank_next_[rank][i]});
  }
  // Every level's rules for a flat bank, not the command bus.
  [[nodiscard]] std::uint64_t bank_earliest(std::size_t flat_bank, DramCommand cmd) const noexcept {
    const BankIndex& x = bank_index_[flat_bank];
    const std::size_t k = ci(cmd);
    return std::max({chan_next_[k], rank_next_[x.rank][k], group_next_[x.group][k], bank_next_[flat_bank][k]});
  }

  // Applies cmd at cycle c: the timing constraints it sets and the bank state it changes (ACT's open row is the
  // caller's: open(flat_bank, row)). Rank-level commands (PREA, REF) come with group 0 and bank 0.
  void issue(DramCommand cmd, std::uint32_t rank, std::uint32_t group, std::uint32_t flat_bank, std::uint64_t c) {
    cmd_bus_next_ = std::max(cmd_bus_next_, c + 1);
    last_column_ = is_column(cmd);
    const Updates& up = updates_[ci(cmd)];
    const auto apply = [c](const std::vector<Update>& list, std::array<std::uint64_t, kCmds>& next) noexcept {
      for (const Update& u : list) next[u.following] = std::max(next[u.following], c + u.latency);
    };
    apply(up.channel, chan_next_);
    apply(up.rank, rank_next_[rank]);
    if (!up.sibling_rank.empty()) {
      for (std::uint32_t r = 0; r < ranks_; ++r) {
        if (r != rank) apply(up.sibling_rank, rank_next_[r]);
      }
    }
    apply(up.group, group_next_[group]);
    apply(up.bank, bank_next_[flat_bank]);
    switch (cmd) {
      case DramCommand::kACT:
        open_rank(rank, c);
        if (!act_windows_.empty()) record_act(rank, c);
        break;
      case DramCommand::kPRE:
      case DramCommand::kRDA:
      case DramCommand::kWRA:
        close_bank(banks_[flat_bank]);
        close_rank(rank, c);
        break;
      case DramCommand::kPREA: {
        const std::size_t first = std::size_t{rank} * banks_per_rank_;
        for (std::size_t b = first; b < first + banks_per_rank_; ++b) {
          if (banks_[b].open_row != kNoRow) {
            close_bank(banks_[b]);
            close_rank(rank, c);
          }
        }
        break;
      }
      default:
        break;
    }
  }

  // Cycles rank `rank` had a bank open, up to cycle `now`.
  [[nodiscard]] double active_cycles(std::size_t rank, std::uint64_t now) const noexcept;

 private:
  struct Update {
    std::uint32_t following;
    std::uint32_t latency;
  };
  // What a command moves, per level (rules of one level and following command merged: the longest latency).
  struct Updates {
    std::vector<Update> channel, rank, sibling_rank, group, bank;
  };
  struct ActWindow {
    std::uint32_t count;    // ACTs in the window (tFAW: 4, t32AW: 32)
    std::uint32_t latency;  // the next ACT waits this long after the count-th last one
  };
  static constexpr std::size_t kActHistory = 32;  // the largest window

  static void close_bank(BankState& b) noexcept {
    b.open_row = kNoRow;
    b.queued_hits[0] = b.queued_hits[1] = 0;
  }
  void open_rank(std::uint32_t r, std::uint64_t c) noexcept {
    if (open_banks_[r]++ == 0) active_since_[r] = c;
  }
  void close_rank(std::uint32_t r, std::uint64_t c) noexcept {
    if (--open_banks_[r] == 0) active_total_[r] += c - active_since_[r];
  }
  void record_act(std::uint32_t rank, std::uint64_t c) noexcept {
    auto& h = act_history_[rank];
    const std::uint64_t n = act_count_[rank]++;
    h[n % kActHistory] = c;
    for (const ActWindow& w : act_windows_) {
      if (n + 1 >= w.count) {
        // The oldest of the last w.count ACTs bounds the next ACT.
        const std::uint64_t oldest = h[(n + 1 - w.count) % kActHistory];
        auto& v = rank_next_[rank][ci(DramCommand::kACT)];
        v = std::max(v, oldest + w.latency);
      }
    }
  }

  std::uint32_t ranks_, groups_per_rank_, banks_per_group_, banks_per_rank_;
  std::vector<ActWindow> act_windows_;
  std::array<Updates, kCmds> updates_{};
  std::array<std::uint64_t, kCmds> chan_next_{};
  std::vector<std::array<std::uint64_t, kCmds>> rank_next_, group_next_, bank_next_;
  std::vector<BankState> banks_;
  std::vector<BankIndex> bank_index_;
  std::vector<std::uint32_t> open_banks_;    // per rank
  std::vector<std::uint64_t> active_since_;  // per rank: cycle the first bank opened
  std::vector<std::uint64_t> active_total_;  // per rank: cycles with at least one bank open (closed intervals)
  std::vector<std::array<std::uint64_t, kActHistory>> act_history_;  // per rank: the last ACT cycles (tFAW, t32AW)
  std::vector<std::uint64_t> act_count_;
  std::uint64_t cmd_bus_next_ = 0;
  bool last_column_ = false;  // the last command issued was a column command (RD, WR, RDA, WRA)
};

}  // namespace tnpu::dram
