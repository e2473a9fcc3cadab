#pragma once
// DRAMsim3's per-bank command scheduling (bank_queue_size > 0): a command queue per bank, arbitrated round robin
// over the banks; in each queue DRAMsim3's order (first_ready_scan). The queues wait on a timing wheel, so that a
// step examines only the queues whose bank or entries changed, or whose parked lower bound has come.
//
// Every non-empty bank queue is either to be examined (a bit in examine_) or parked on the wheel at a lower bound of
// the cycle at which one of its commands becomes legal. Bounds stay valid until the queue or its bank changes
// (mark()): timing constraints only ever move later. The wheel has 64 slots, one per cycle modulo 64, holding the
// cycles after the last step up to 64 ahead; a bound further ahead is parked at 64 cycles (an early look is
// harmless: the result equals stepping every cycle).
//
// It also keeps, per transaction queue (0 read, 1 write), how many entries wait for each bank, so that whether a
// transaction can move into a bank queue with room is one AND per 64 banks. The channel owns the transaction queues
// and issues the commands (select() only chooses; the channel then calls erase() if the command finished its entry).
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tnpu/error.hpp"

#include "tnpu/mem/dram/policies.hpp"
#include "tnpu/mem/dram/refresh_policy.hpp"
#include "tnpu/mem/dram/timing_state.hpp"
#include "tnpu/mem/dram_spec.hpp"

namespace tnpu::dram {

struct BankEntry {  // a command in a per-bank queue, with what scheduling needs (no trip to the channel's slots)
  std::uint32_t row;
  std::uint32_t slot;
  bool is_write;
};

class BankQueueScheduler {
 public:
  // The chosen command: queue (= flat bank), position in it, its slot, the command.
  struct Pick {
    std::size_t queue;
    std::size_t pos;
    std::uint32_t slot;
    DramCommand cmd;
  };

  // Reads the timing state and the refresh policy (ranks with a refresh pending do not issue); updates the bank
  // state's queued_hits. Empty unless enabled (the per_bank_round_robin scheduler).
  BankQueueScheduler(const DramSpec& spec, TimingState& timing, const RefreshPolicy& refresh, RowPolicy row,
                     bool enabled);

  [[nodiscard]] std::size_t total() const noexcept { return total_; }  // commands in all bank queues
  [[nodiscard]] const std::vector<BankEntry>& queue(std::size_t qi) const noexcept { return bank_q_[qi]; }
  [[nodiscard]] bool full(std::size_t qi) const noexcept { return ((full_[qi / 64] >> (qi % 64)) & 1) != 0; }
  // The first of the n flat banks of transaction queue `which` (0 read, 1 write; its entries' banks, oldest first)
  // whose queue has room (n if none). The entries before the last answer are known to wait for full queues until a
  // queue stops being full (erase()): the scan starts there. (The channel removes only the entry answered, and
  // appends: the entries before it stay where they were.)
  [[nodiscard]] std::size_t first_with_room(std::size_t which, const std::uint32_t* banks, std::size_t n) noexcept {
    std::size_t i = std::min(full_prefix_[which], n);
    if (full_.size() == 1) {  // up to 64 banks: the full bits in one register
      const std::uint64_t f = full_[0];
      while (i < n && ((f >> banks[i]) & 1) != 0) ++i;
    } else {
      while (i < n && full(banks[i])) ++i;
    }
    full_prefix_[which] = i;
    return i;
  }
  // Appends a transaction to its bank's queue (which has room).
  void push(std::size_t qi, const BankEntry& e);
  // Removes entry pos of queue qi (its command finished it).
  void erase(std::size_t qi, std::size_t pos);

  // The first legal command at c in round-robin order, starting after the queue that issued last (true), or none
  // (false). second: the dual-command pick (dual_command) after a first command of kind first_column in this cycle:
  // the next legal command in that order is chosen only if it is of the other kind (row vs column), as DRAMsim3's
  // hbm_dual_cmd; either way the round robin moves to its queue.
  bool select(std::uint64_t c, bool second, bool first_column, Pick& out);

  void mark(std::size_t qi) noexcept;        // examine qi at the next opportunity (its bank or its entries changed)
  void pop_wheel(std::uint64_t c) noexcept;  // queues parked at cycles up to c are examined
  // The next cycle after step cycle c at which a bank queue may issue (a lower bound; exact when no queue is left
  // to examine).
  [[nodiscard]] std::uint64_t next_cycle(std::uint64_t c) noexcept;

  // Transaction-queue bookkeeping (which: 0 read, 1 write).
  void txn_added(std::size_t which, std::uint32_t bank) {
    if (txn_count_[which][bank]++ == 0) txn_mask_[which][bank / 64] |= std::uint64_t{1} << (bank % 64);
  }
  void txn_removed(std::size_t which, std::uint32_t bank) {
    if (--txn_count_[which][bank] == 0) txn_mask_[which][bank / 64] &= ~(std::uint64_t{1} << (bank % 64));
  }
  // Some transaction of that queue has a bank queue with room.
  [[nodiscard]] bool movable(bool write_mode) const noexcept;

 private:
  // first_ready_scan's answer when no command of the queue is legal at c.
  static constexpr std::size_t kNotReady = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t kWheel = 64;

  // Bank queues of word w (64 flat banks) that may issue: non-empty, in a rank with no refresh pending.
  [[nodiscard]] std::uint64_t eligible(std::size_t w) const noexcept {
    return refresh_.pending_count() == 0 ? nonempty_[w] : nonempty_[w] & ~refresh_.block_word(w);
  }
  // The exact earliest cycle at which some command of bank queue qi is legal (given the current state).
  [[nodiscard]] std::uint64_t queue_earliest(std::size_t qi) const noexcept;
  [[nodiscard]] std::size_t first_ready_scan(std::size_t qi, std::uint64_t c, DramCommand& cmd_out) const noexcept;
  void park(std::size_t qi, std::uint64_t t, std::uint64_t c) noexcept;
  [[nodiscard]] std::uint64_t next_parked(std::uint64_t c) const noexcept;

  TimingState& t_;
  const RefreshPolicy& refresh_;
  bool closed_page_;
  std::uint32_t queue_size_;
  std::vector<std::vector<BankEntry>> bank_q_;  // per flat bank
  std::vector<std::uint64_t> nonempty_;         // bit per bank queue that holds a command
  std::vector<std::uint64_t> full_;             // bit per bank queue that holds bank_queue_size commands
  std::vector<std::uint64_t> examine_;          // per word of queues
  std::vector<std::uint64_t> changed_;          // marked since the last step's end (a subset of examine_)
  std::vector<std::uint64_t> wheel_;            // kWheel slots x words of queues
  std::uint64_t wheel_slots_ = 0;               // a bit per non-empty slot
  // Per queue: its slot + 1 when it was last parked (0: never). 32-bit, not a char type: a store through a char
  // type may alias anything, which made the compiler reload every vector's bounds after each park().
  std::vector<std::uint32_t> parked_slot_;
  std::size_t words_ = 0;                       // 64-queue words of each bit set (examine_.size())
  std::uint64_t wheel_cursor_ = kNever;         // the cycle up to which slots have been popped
  std::size_t total_ = 0;
  std::size_t rr_ = 0;  // round-robin position over bank queues
  std::array<std::size_t, 2> full_prefix_{};  // per transaction queue: see first_with_room()
  std::array<std::vector<std::uint32_t>, 2> txn_count_;
  std::array<std::vector<std::uint64_t>, 2> txn_mask_;
};

// Inline (the hot path of per-bank mode: called from the channel's step and issue for every command).

inline void BankQueueScheduler::push(std::size_t qi, const BankEntry& e) {
  auto& bq = bank_q_[qi];
  bq.push_back(e);
  BankState& b = t_.bank(qi);
  if (e.row == b.open_row) ++b.queued_hits[e.is_write ? 1 : 0];
  ++total_;
  if (bq.size() >= queue_size_) full_[qi / 64] |= std::uint64_t{1} << (qi % 64);
  nonempty_[qi / 64] |= std::uint64_t{1} << (qi % 64);
  mark(qi);
}

inline std::uint64_t BankQueueScheduler::queue_earliest(std::size_t qi) const noexcept {
  // Every entry of a bank queue targets the same bank, so each command kind has one earliest cycle per queue: a
  // closed bank needs ACT (for the first entry); an open bank serves its row hits (reads and writes each have one
  // earliest cycle), and its first entry may precharge under DRAMsim3's arbitration (first_ready_scan).
  const auto& q = bank_q_[qi];
  const BankState& b = t_.bank(qi);
  const auto at = [&](DramCommand cmd) noexcept { return t_.bank_earliest(qi, cmd); };
  std::uint64_t t = kNever;
  if (b.open_row == kNoRow) {
    t = at(DramCommand::kACT);
  } else {
    const bool rd = b.queued_hits[0] > 0;
    const bool wr = b.queued_hits[1] > 0;
    if (rd) t = at(closed_page_ ? DramCommand::kRDA : DramCommand::kRD);
    if (wr) t = std::min(t, at(closed_page_ ? DramCommand::kWRA : DramCommand::kWR));
    if (q.front().row != b.open_row && (b.hits >= 4 || !(rd || wr))) t = std::min(t, at(DramCommand::kPRE));
  }
  return std::max(t, t_.cmd_bus_next());
}

inline void BankQueueScheduler::mark(std::size_t qi) noexcept {
  const std::size_t w = qi / 64;
  const std::uint64_t bit = std::uint64_t{1} << (qi % 64);
  if (parked_slot_[qi] != 0) {
    const std::size_t slot = parked_slot_[qi] - 1u;
    parked_slot_[qi] = 0;
    std::uint64_t* words = &wheel_[slot * words_];
    words[w] &= ~bit;
    bool empty = true;
    for (std::size_t i = 0; i < words_; ++i) empty = empty && words[i] == 0;
    if (empty) wheel_slots_ &= ~(std::uint64_t{1} << slot);
  }
  examine_[w] |= bit;
  changed_[w] |= bit;
}

inline void BankQueueScheduler::park(std::size_t qi, std::uint64_t t, std::uint64_t c) noexcept {
  const std::size_t slot = std::min(t, c + kWheel) % kWheel;
  const std::size_t w = qi / 64;
  const std::uint64_t bit = std::uint64_t{1} << (qi % 64);
  wheel_[slot * words_ + w] |= bit;
  wheel_slots_ |= std::uint64_t{1} << slot;
  parked_slot_[qi] = static_cast<std::uint32_t>(slot + 1);
  examine_[w] &= ~bit;
}

inline void BankQueueScheduler::pop_wheel(std::uint64_t c) noexcept {
  std::uint64_t slots = wheel_slots_;
  if (wheel_cursor_ != kNever && c - wheel_cursor_ < kWheel) {
    // The slots of cycles wheel_cursor_ + 1 .. c.
    const std::uint64_t n = c - wheel_cursor_;
    slots &= std::rotl((std::uint64_t{1} << n) - 1, static_cast<int>((wheel_cursor_ + 1) % kWheel));
  }
  wheel_cursor_ = c;
  wheel_slots_ &= ~slots;
  for (; slots != 0; slots &= slots - 1) {
    const auto slot = static_cast<std::size_t>(std::countr_zero(slots));
    std::uint64_t* words = &wheel_[slot * words_];
    for (std::size_t w = 0; w < words_; ++w) {
      examine_[w] |= words[w];
      words[w] = 0;
    }
  }
}

inline std::uint64_t BankQueueScheduler::next_parked(std::uint64_t c) const noexcept {
  // Parked cycles lie in c + 1 .. c + kWheel (c: the last step's cycle).
  if (wheel_slots_ == 0) return kNever;
  const std::uint64_t from = c + 1;
  const std::uint64_t r = std::rotr(wheel_slots_, static_cast<int>(from % kWheel));
  return from + static_cast<std::uint64_t>(std::countr_zero(r));
}

inline std::uint64_t BankQueueScheduler::next_cycle(std::uint64_t c) noexcept {
  // The queues that changed in this step (the one that issued, one that received a transaction) are examined and
  // parked now. Queues that were due but not reached by the round robin are looked at in the next cycle.
  bool pending = false;
  std::uint64_t fresh = kNever;  // the earliest of the changed queues' cycles (exact: computed now)
  for (std::size_t w = 0; w < words_; ++w) {
    examine_[w] &= nonempty_[w];
    for (std::uint64_t b = changed_[w] & eligible(w); b != 0; b &= b - 1) {
      const std::size_t qi = w * 64 + static_cast<std::size_t>(std::countr_zero(b));
      const std::uint64_t t = std::max(queue_earliest(qi), c + 1);
      fresh = std::min(fresh, t);
      park(qi, t, c);
    }
    changed_[w] = 0;
    pending = pending || (examine_[w] & eligible(w)) != 0;
  }
  if (pending) return c + 1;
  // Otherwise the first parked cycle, made exact: the queues parked there are examined now, and re-parked later if
  // the commands issued since have moved them (so the channel does not wake for nothing).
  for (;;) {
    const std::uint64_t s = next_parked(c);
    // A changed queue parked at s is legal at s: exact without looking at the slot's other queues.
    if (s == kNever || s == fresh) return s;
    const std::size_t slot = s % kWheel;
    wheel_slots_ &= ~(std::uint64_t{1} << slot);
    bool exact = false;
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t& word = wheel_[slot * words_ + w];
      const std::uint64_t bits = word & nonempty_[w];
      word = 0;
      for (std::uint64_t b = bits; b != 0; b &= b - 1) {
        const std::size_t qi = w * 64 + static_cast<std::size_t>(std::countr_zero(b));
        parked_slot_[qi] = 0;
        if (((eligible(w) >> (qi % 64)) & 1) == 0) {
          examine_[w] |= std::uint64_t{1} << (qi % 64);  // waits for its rank's refresh (which marks it)
          continue;
        }
        const std::uint64_t t = std::max(queue_earliest(qi), c + 1);
        exact = exact || std::min(t, c + kWheel) <= s;  // (a bound beyond the wheel is parked at its end)
        fresh = std::min(fresh, t);  // (exact too: if a later slot holds it first, that slot is not looked at)
        park(qi, t, c);
      }
    }
    if (exact) return s;
  }
}

inline std::size_t BankQueueScheduler::first_ready_scan(std::size_t qi, std::uint64_t c,
                                                 DramCommand& cmd_out) const noexcept {
  // The entry of a queue that issues at c (its earliest cycle is c or before): DRAMsim3's order. A closed bank
  // activates for its first entry; an open bank serves its row hits in queue order, and only the first entry may
  // precharge: before the hits if the row already served 4 hits, else only if no queued entry hits the open row.
  const auto& q = bank_q_[qi];
  const BankState& b = t_.bank(qi);
  const auto ready = [&](DramCommand cmd) noexcept {
    return std::max(t_.cmd_bus_next(), t_.bank_earliest(qi, cmd)) <= c;
  };
  if (b.open_row == kNoRow) {
    cmd_out = DramCommand::kACT;
    return ready(DramCommand::kACT) ? 0 : kNotReady;
  }
  const bool first_misses = q.front().row != b.open_row;
  if (first_misses && b.hits >= 4 && ready(DramCommand::kPRE)) {
    cmd_out = DramCommand::kPRE;
    return 0;
  }
  const DramCommand rd = closed_page_ ? DramCommand::kRDA : DramCommand::kRD;
  const DramCommand wr = closed_page_ ? DramCommand::kWRA : DramCommand::kWR;
  int rd_ready = -1;  // unknown
  int wr_ready = -1;
  bool hit_seen = false;
  for (std::size_t i = first_misses ? 1 : 0; i < q.size(); ++i) {
    const BankEntry& e = q[i];
    if (e.row != b.open_row) continue;
    hit_seen = true;
    int& r = e.is_write ? wr_ready : rd_ready;
    const DramCommand cmd = e.is_write ? wr : rd;
    if (r < 0) r = ready(cmd) ? 1 : 0;
    if (r == 1) {
      cmd_out = cmd;
      return i;
    }
  }
  if (first_misses && b.hits < 4 && !hit_seen && ready(DramCommand::kPRE)) {
    cmd_out = DramCommand::kPRE;
    return 0;
  }
  return kNotReady;
}

inline bool BankQueueScheduler::select(std::uint64_t c, bool second, bool first_column, Pick& out) {
  // Round robin over the non-empty bank queues, starting after the one that issued last (DRAMsim3 order): the
  // first with a legal command issues. Parked queues cannot issue yet; the others are examined in that order and
  // parked at their earliest cycle if it has not come.
  const std::size_t nq = bank_q_.size();
  const std::size_t start = (rr_ + 1) % nq;
  for (std::size_t pass = 0; pass < 2; ++pass) {
    const std::size_t lo = pass == 0 ? start : 0;
    const std::size_t hi = pass == 0 ? nq : start;
    for (std::size_t w = lo / 64; w * 64 < hi; ++w) {
      std::uint64_t bits = examine_[w] & eligible(w);
      if (w == lo / 64) bits &= ~std::uint64_t{0} << (lo % 64);
      if (hi - w * 64 < 64) bits &= (std::uint64_t{1} << (hi - w * 64)) - 1;
      for (; bits != 0; bits &= bits - 1) {
        const std::size_t qi = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        const std::uint64_t t = queue_earliest(qi);
        if (t > c) {
          park(qi, t, c);
          continue;
        }
        DramCommand cmd = DramCommand::kACT;
        const std::size_t i = first_ready_scan(qi, c, cmd);
        if (i == kNotReady) [[unlikely]] {  // queue_earliest and first_ready_scan disagree: a bug, said as one
          throw SimulationError("DramController: internal error: bank queue " + std::to_string(qi) +
                                " has no legal command at cycle " + std::to_string(c) + " (earliest " +
                                std::to_string(t) + ")");
        }
        rr_ = qi;
        if (second) {
          const bool column = cmd != DramCommand::kACT && cmd != DramCommand::kPRE;
          if (column == first_column) return false;
        }
        out = Pick{qi, i, bank_q_[qi][i].slot, cmd};
        return true;
      }
    }
  }
  return false;
}

inline void BankQueueScheduler::erase(std::size_t qi, std::size_t pos) {
  auto& q = bank_q_[qi];
  BankState& b = t_.bank(qi);
  if (q[pos].row == b.open_row) --b.queued_hits[q[pos].is_write ? 1 : 0];
  q.erase(q.begin() + static_cast<std::ptrdiff_t>(pos));
  --total_;
  if (q.size() + 1 == queue_size_) {  // it was full: no longer
    full_[qi / 64] &= ~(std::uint64_t{1} << (qi % 64));
    full_prefix_ = {0, 0};
  }
  mark(qi);
  if (q.empty()) nonempty_[qi / 64] &= ~(std::uint64_t{1} << (qi % 64));
}

inline bool BankQueueScheduler::movable(bool write_mode) const noexcept {
  const auto& mask = txn_mask_[write_mode ? 1 : 0];
  for (std::size_t w = 0; w < mask.size(); ++w) {
    if ((mask[w] & ~full_[w]) != 0) return true;
  }
  return false;
}

}  // namespace tnpu::dram
