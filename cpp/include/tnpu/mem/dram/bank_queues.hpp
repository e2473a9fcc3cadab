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
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

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
  // state's queued_hits. Empty unless spec.bank_queue_size > 0.
  BankQueueScheduler(const DramSpec& spec, TimingState& timing, const RefreshPolicy& refresh);

  [[nodiscard]] std::size_t total() const noexcept { return total_; }  // commands in all bank queues
  [[nodiscard]] const std::vector<BankEntry>& queue(std::size_t qi) const noexcept { return bank_q_[qi]; }
  [[nodiscard]] bool full(std::size_t qi) const noexcept { return ((full_[qi / 64] >> (qi % 64)) & 1) != 0; }
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
  std::vector<std::uint8_t> parked_slot_;       // per queue: its slot + 1 when it was last parked (0: never)
  std::uint64_t wheel_cursor_ = kNever;         // the cycle up to which slots have been popped
  std::size_t total_ = 0;
  std::size_t rr_ = 0;  // round-robin position over bank queues
  std::array<std::vector<std::uint32_t>, 2> txn_count_;
  std::array<std::vector<std::uint64_t>, 2> txn_mask_;
};

}  // namespace tnpu::dram
