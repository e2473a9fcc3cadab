// The DRAM controller: per-channel queues, FR-FCFS (or DRAMsim3-style per-bank command queues), open/closed page,
// write drain, per-rank refresh, all enforced through the compiled timing-rule table. Event-driven: each channel
// computes the next cycle at which anything can happen and sleeps until then.
#include "tnpu/mem/dram_controller.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "tnpu/error.hpp"
#include "tnpu/mem/dram/bank_queues.hpp"
#include "tnpu/mem/dram/refresh_policy.hpp"
#include "tnpu/mem/dram/timing_state.hpp"
#include "tnpu/mem/dram/write_drain.hpp"
#include "tnpu/mem/dram_timing.hpp"
#include "tnpu/sim/event_queue.hpp"

#if defined(TNPU_PROFILE) && defined(__GNUC__)
#define TNPU_PROFILE_BOUNDARY [[gnu::noinline]]
#else
#define TNPU_PROFILE_BOUNDARY
#endif

namespace tnpu {

namespace {

using dram::BankState;
using dram::ci;
using dram::kCmds;
using dram::kNever;
using dram::kNoRow;

// A FIFO of (cycle, slot) with monotone cycles; grows by doubling (only while the controller warms up).
class CompletionFifo {
 public:
  CompletionFifo() : items_(16) {}
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  struct Item {
    std::uint64_t cycle;
    std::uint32_t slot;
    bool visible;  // the initiator is called back (else a line of a burst whose completion nobody waits for)
  };
  void push(std::uint64_t cycle, std::uint32_t slot, bool visible) {
    if (size_ == items_.size()) grow();
    items_[(head_ + size_) & (items_.size() - 1)] = Item{cycle, slot, visible};
    ++size_;
  }
  [[nodiscard]] const Item& front() const noexcept { return items_[head_]; }
  void pop() noexcept {
    head_ = (head_ + 1) & (items_.size() - 1);
    --size_;
  }
  // Cycle of the first visible item (kNever-like max if none).
  [[nodiscard]] std::uint64_t first_visible_cycle() const noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      const Item& it = items_[(head_ + i) & (items_.size() - 1)];
      if (it.visible) return it.cycle;
    }
    return std::numeric_limits<std::uint64_t>::max();
  }
  std::uint64_t event_cycle = std::numeric_limits<std::uint64_t>::max();  // its kernel event, if one is pending

 private:
  void grow() {
    std::vector<Item> bigger(items_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = items_[(head_ + i) & (items_.size() - 1)];
    items_.swap(bigger);
    head_ = 0;
  }
  std::vector<Item> items_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace

class DramChannel final : private EventHandler {
 public:
  DramChannel(DramController& owner, const DramSpec& spec, const DramCounters& counters);

  bool send(const Request& request, Initiator& from, const DramAddress& a);
  // A multi-line request of `lines` lines (contract checked by the controller). prefix: accept the longest prefix
  // that per-line sends would accept; else all lines or none. Returns the lines accepted.
  std::uint32_t send_burst(const Request& request, Initiator& from, const DramAddress& a, std::uint32_t lines,
                           bool prefix);
  [[nodiscard]] std::uint64_t outstanding() const noexcept { return live_; }
  [[nodiscard]] std::uint64_t wakeups() const noexcept { return wakeups_; }
  [[nodiscard]] double active_cycles(std::size_t rank) const noexcept;

 private:
  enum EventKind : std::uint64_t { kWake = 0, kReadDone = 1, kWriteDone = 2, kForwardDone = 3, kRetry = 4 };
  struct Slot {
    Request request;
    Initiator* from = nullptr;
    std::uint64_t arrive_cycle = 0;
    std::uint32_t rank = 0, bankgroup = 0, bank = 0, row = 0;
    std::uint32_t flat_bank = 0;  // rank * banks + bankgroup * banks_per_group + bank
    std::uint32_t flat_group = 0;  // rank * bankgroups + bankgroup
    std::uint32_t burst = kNoBurst;  // the multi-line request this line belongs to
    bool is_write = false;
    bool classified = false;
  };
  struct Burst {
    Request request;  // as accepted (size_bytes: the accepted lines)
    Initiator* from = nullptr;
    std::uint32_t lines = 0;
    std::uint32_t unfinished = 0;  // lines whose column command (or forward) has not happened yet
    std::uint32_t done = 0;        // lines whose completion has been processed
    bool notify = false;           // Request::kNotifyLines
  };

  void handle_event(std::uint64_t arg) override;
  // One cycle's work: the channel's whole scheduling. Out of line in profiling builds (TNPU_PROFILE), so that a
  // profile separates the channel's own cost from the event kernel and the initiators (benchmarks/dram_cost.py).
  TNPU_PROFILE_BOUNDARY void step(std::uint64_t c);
  void schedule_wake(std::uint64_t cycle);
  [[nodiscard]] std::uint64_t now_cycle() const noexcept;

  // The command a request needs next, given the bank state.
  [[nodiscard]] DramCommand next_command(const Slot& s) const noexcept;
  [[nodiscard]] std::uint64_t earliest(DramCommand cmd, const Slot& s) const noexcept {
    return timing_.earliest(cmd, s.rank, s.flat_group, s.flat_bank);
  }
  // Issues cmd (timing state, counters, and in per-bank mode the bank queues to examine again).
  void issue(DramCommand cmd, std::uint32_t rank, std::uint32_t group, std::uint32_t flat_bank, std::uint64_t c);
  // issue() as the refresh policy calls it.
  [[nodiscard]] auto issuer() noexcept {
    return [this](DramCommand cmd, std::uint32_t rank, std::uint32_t group, std::uint32_t bank, std::uint64_t c) {
      issue(cmd, rank, group, bank, c);
    };
  }
  // Issues cmd for slot s and finishes the request if it was its column command. Returns true if finished.
  bool issue_for(std::uint32_t slot, DramCommand cmd, std::uint64_t c);
  // Queues line `line` (a request of its own, or a line of a burst) at cycle c; the capacity was checked.
  void accept_line(const Request& line, Initiator& from, const DramAddress& a, std::uint64_t c, std::uint32_t burst);
  void reject(Initiator& from);
  // A finished line's completion at `cycle`: a kernel event only if someone is called back (see CompletionFifo).
  void push_done(CompletionFifo& fifo, std::uint64_t kind, std::uint64_t cycle, std::uint32_t id);
  void process_done(const CompletionFifo::Item& item);

  bool pick_shared(std::vector<std::uint32_t>& q, std::uint64_t c, std::uint64_t& wake, bool is_act_q);
  // Issues the first legal command in round-robin order. second: the dual-command pick (dual_command) after a
  // first command of kind first_column in this cycle: the next legal command in that order issues only if it is of
  // the other kind (row vs column), as DRAMsim3's hbm_dual_cmd; either way the round robin moves to its queue.
  bool pick_bank_queues(std::uint64_t c, bool second = false, bool first_column = false);
  [[nodiscard]] std::uint64_t next_legal_cycle(std::uint64_t c) noexcept;
  bool move_transaction();
  [[nodiscard]] bool movable_exists() const noexcept;
  // The write mode (and dramsim3 drain count) the next update_write_mode() would set.
  [[nodiscard]] bool next_write_mode(std::uint64_t& drain_left) const noexcept {
    return drain_.next(read_q_.size(), write_q_.size(), bank_queues_.total() == 0 && act_q_.empty(), drain_left);
  }
  void update_write_mode() noexcept {
    drain_.update(read_q_.size(), write_q_.size(), bank_queues_.total() == 0 && act_q_.empty());
  }
  [[nodiscard]] bool movable_exists(bool write_mode) const noexcept { return bank_queues_.movable(write_mode); }
  // Whether a request just queued can change what the next step does (else no wake-up is needed for it).
  [[nodiscard]] bool arrival_matters() const noexcept;

  std::uint32_t alloc_slot();
  void free_slot(std::uint32_t s) { free_.push_back(s); --live_; }
  void queue_freed();

  DramController& owner_;
  const DramSpec& spec_;
  DramCounters k_;
  Picoseconds tck_;
  dram::TimingState timing_;
  std::uint32_t ranks_, banks_per_rank_;
  bool closed_page_, per_bank_, promote_;
  std::uint32_t read_latency_;  // tCL + tBL
  dram::WriteDrain drain_;
  dram::RefreshPolicy refresh_;
  dram::BankQueueScheduler bank_queues_;  // per-bank mode (spec.bank_queue_size > 0): DRAMsim3's arbitration


  static constexpr std::uint32_t kNoBurst = std::numeric_limits<std::uint32_t>::max();
  std::vector<Slot> slots_;
  std::vector<Burst> bursts_;
  std::vector<std::uint32_t> free_bursts_;
  std::vector<std::uint32_t> slot_bank_;  // flat bank of each slot, packed for the transaction-queue scans
  std::vector<std::uint32_t> free_;
  std::uint64_t live_ = 0;
  std::vector<std::uint32_t> bank_waiting_;  // per flat bank: requests queued and not yet served by their column cmd
  std::uint32_t banks_waiting_ = 0;          // banks with bank_waiting_ > 0
  std::vector<std::uint32_t> read_q_, write_q_, act_q_;
  std::uint32_t line_shift_ = 0;  // log2(line_bytes): burst index of an address


  CompletionFifo read_done_, write_done_, forward_done_;
  std::vector<Initiator*> waiting_;
  std::vector<Initiator*> retrying_;  // those being called back now (waiting_ collects the ones rejected again)
  bool retry_scheduled_ = false;

  bool idle_ = true;  // the last step ended with nothing queued (refreshes since then are caught up lazily)
  std::uint64_t last_step_cycle_ = kNever;  // a channel steps at most once per cycle
  std::uint64_t wake_cycle_ = kNever;  // the earliest wake-up scheduled and not yet run
  std::uint64_t wake_seq_ = 0;
  std::uint64_t wakeups_ = 0;
  bool run_ahead_ = false;     // inside handle_event(kWake): schedule_wake() only records the cycle
  // Off with the environment variable TNPU_NO_RUN_AHEAD (benchmarks compare both paths in one process tree).
  bool run_ahead_enabled_ = std::getenv("TNPU_NO_RUN_AHEAD") == nullptr;
  bool virtual_wake_ = false;  // wake_cycle_ is recorded but not (yet) a kernel event
  // Verification mode (environment variable TNPU_DRAM_EVERY_CYCLE): step every cycle while work is queued, as a
  // cycle-driven simulator does. Tests assert it gives the same results as the event-driven wake-ups.
  bool every_cycle_ = std::getenv("TNPU_DRAM_EVERY_CYCLE") != nullptr;
};

DramChannel::DramChannel(DramController& owner, const DramSpec& spec, const DramCounters& counters)
    : owner_(owner),
      spec_(spec),
      k_(counters),
      tck_(spec.tck_ps),
      timing_(spec),
      ranks_(spec.ranks),
      banks_per_rank_(spec.banks()),
      closed_page_(spec.page_policy == "closed"),
      per_bank_(spec.bank_queue_size > 0),
      promote_(spec.promote_activated),
      read_latency_(spec.tCL + spec.tBL()),
      drain_(spec),
      refresh_(spec, timing_.ranks(), timing_.banks_per_rank()),
      bank_queues_(spec, timing_, refresh_) {
  line_shift_ = static_cast<std::uint32_t>(std::countr_zero(spec.line_bytes()));  // a power of two (AddressMap)
  const std::size_t nbanks = timing_.banks();
  bank_waiting_.assign(nbanks, 0);
  read_q_.reserve(spec.read_queue_size);
  write_q_.reserve(spec.write_queue_size);
  act_q_.reserve(std::size_t{spec.read_queue_size} + spec.write_queue_size);
  const std::size_t pool = std::size_t{spec.read_queue_size} * 2 + spec.write_queue_size * 2 +
                           (per_bank_ ? nbanks * spec.bank_queue_size : 0) + 64;
  slots_.resize(pool);
  slot_bank_.resize(pool);
  free_.reserve(pool);
  for (std::size_t i = pool; i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
}

std::uint64_t DramChannel::now_cycle() const noexcept {
  const Picoseconds t = owner_.now();
  return t / tck_ + (t % tck_ != 0 ? 1 : 0);
}

double DramChannel::active_cycles(std::size_t rank) const noexcept {
  return timing_.active_cycles(rank, owner_.now() / tck_);
}

std::uint32_t DramChannel::alloc_slot() {
  if (free_.empty()) {
    const auto s = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    slot_bank_.push_back(0);
    ++live_;
    return s;
  }
  const std::uint32_t s = free_.back();
  free_.pop_back();
  ++live_;
  return s;
}

void DramChannel::reject(Initiator& from) {
  k_.rejections->inc();
  if (std::find(waiting_.begin(), waiting_.end(), &from) == waiting_.end()) waiting_.push_back(&from);
}

bool DramChannel::send(const Request& request, Initiator& from, const DramAddress& a) {
  const bool is_write = request.command == Command::kWrite;
  const auto& q = is_write ? write_q_ : read_q_;
  const std::uint32_t cap = is_write ? spec_.write_queue_size : spec_.read_queue_size;
  if (q.size() >= cap) {
    reject(from);
    return false;
  }
  accept_line(request, from, a, now_cycle(), kNoBurst);
  return true;
}

std::uint32_t DramChannel::send_burst(const Request& request, Initiator& from, const DramAddress& a,
                                      std::uint32_t lines, bool prefix) {
  // Exactly what `lines` separate send()s of the lines, in order and at this time, do: each line is queued (or
  // served from the write queue) as a request of its own; only the completion is reported once.
  const bool is_write = request.command == Command::kWrite;
  const auto& q = is_write ? write_q_ : read_q_;
  const std::uint32_t cap = is_write ? spec_.write_queue_size : spec_.read_queue_size;
  const std::uint64_t line_bytes = std::uint64_t{1} << line_shift_;
  const auto forwarded = [&](std::uint64_t address) {
    if (is_write || !spec_.forward_writes) return false;
    for (const std::uint32_t w : write_q_) {
      if (slots_[w].request.address == address) return true;
    }
    return false;
  };
  // Lines the per-line sends would accept: a forwarded read takes no queue entry (the write queue does not change
  // while a read burst is accepted, so each line's forwarding is known now).
  std::uint32_t accepted = 0;
  std::size_t queued = q.size();
  for (; accepted < lines; ++accepted) {
    if (forwarded(request.address + accepted * line_bytes)) continue;
    if (queued >= cap) break;
    ++queued;
  }
  if (accepted == 0 || (!prefix && accepted < lines)) {
    reject(from);
    return 0;
  }
  std::uint32_t b;
  if (!free_bursts_.empty()) {
    b = free_bursts_.back();
    free_bursts_.pop_back();
  } else {
    b = static_cast<std::uint32_t>(bursts_.size());
    bursts_.emplace_back();
  }
  Burst& burst = bursts_[b];
  burst.request = request;
  burst.request.size_bytes = static_cast<std::uint32_t>(accepted * line_bytes);
  burst.from = &from;
  burst.lines = accepted;
  burst.unfinished = accepted;
  burst.done = 0;
  burst.notify = (request.flags & Request::kNotifyLines) != 0;
  const std::uint64_t c = now_cycle();
  Request line = request;
  line.size_bytes = static_cast<std::uint32_t>(line_bytes);
  for (std::uint32_t i = 0; i < accepted; ++i) {
    line.address = request.address + i * line_bytes;
    accept_line(line, from, a, c, b);
  }
  if (accepted < lines) reject(from);  // the first line that did not fit was rejected
  return accepted;
}

void DramChannel::accept_line(const Request& request, Initiator& from, const DramAddress& a, std::uint64_t c,
                              std::uint32_t burst) {
  const bool is_write = request.command == Command::kWrite;
  auto& q = is_write ? write_q_ : read_q_;
  const std::uint32_t id = alloc_slot();
  Slot& s = slots_[id];
  s.request = request;
  s.from = &from;
  s.arrive_cycle = c;
  s.rank = a.rank;
  s.bankgroup = a.bankgroup;
  s.bank = a.bank;
  s.row = a.row;
  s.flat_group = timing_.flat_group(a.rank, a.bankgroup);
  s.flat_bank = timing_.flat_bank(a.rank, a.bankgroup, a.bank);
  slot_bank_[id] = s.flat_bank;
  s.burst = burst;
  s.is_write = is_write;
  s.classified = false;
  k_.occupancy->add(static_cast<double>(read_q_.size() + write_q_.size() + act_q_.size() + bank_queues_.total()));
  k_.requests->inc();
  (is_write ? k_.writes : k_.reads)->inc();
  k_.bytes->inc(request.size_bytes);
  if (!is_write && spec_.forward_writes && !write_q_.empty()) {
    // The same address (as both peers match it; a request smaller than a burst is a burst of its own).
    for (const std::uint32_t w : write_q_) {
      if (slots_[w].request.address == request.address) {
        // Served from the write queue: no DRAM access; data back next cycle.
        k_.forwarded_reads->inc();
        push_done(forward_done_, kForwardDone, c + 1, id);
        return;
      }
    }
  }
  q.push_back(id);
  if (per_bank_) bank_queues_.txn_added(is_write ? 1 : 0, s.flat_bank);
  if (bank_waiting_[s.flat_bank]++ == 0) ++banks_waiting_;
  // Seen by this cycle's step, or the next one's if the channel has stepped already in this cycle.
  const std::uint64_t next = last_step_cycle_ == c ? c + 1 : c;
  if (next < wake_cycle_ && arrival_matters()) schedule_wake(next);
}

void DramChannel::push_done(CompletionFifo& fifo, std::uint64_t kind, std::uint64_t cycle, std::uint32_t id) {
  bool visible = true;
  const std::uint32_t b = slots_[id].burst;
  if (b != kNoBurst) {
    Burst& burst = bursts_[b];
    // The line that finishes last completes last (reads complete a fixed latency after their RD, forwarded reads
    // before any RD of their burst can complete, writes at their WR): it completes the burst.
    visible = --burst.unfinished == 0 || burst.notify;
  }
  fifo.push(cycle, id, visible);
  // With every item visible this is the original rule: an event when the FIFO was empty (none pending).
  if (visible && fifo.event_cycle == kNever) {
    fifo.event_cycle = cycle;
    owner_.kernel().schedule_at(cycle * tck_, *this, kind, Priority::kCompletion);
  }
}

void DramChannel::process_done(const CompletionFifo::Item& item) {
  Slot& s = slots_[item.slot];
  if (!s.is_write) k_.read_latency->add(static_cast<double>(item.cycle - s.arrive_cycle));
  Initiator* from = s.from;
  const std::uint32_t b = s.burst;
  if (b == kNoBurst) {
    const Request req = s.request;
    free_slot(item.slot);
    from->complete(req);
    return;
  }
  free_slot(item.slot);
  Burst& burst = bursts_[b];
  if (++burst.done == burst.lines) {
    const Request req = burst.request;
    free_bursts_.push_back(b);
    from->complete(req);
  } else if (item.visible) {
    const Request req = burst.request;
    from->line_completed(req);
  }
}

void DramChannel::schedule_wake(std::uint64_t cycle) {
  wake_cycle_ = cycle;
  if (run_ahead_) {  // inside a wake-up: handle_event decides whether it runs inline or as an event
    virtual_wake_ = true;
    return;
  }
  ++wake_seq_;
  owner_.kernel().schedule_at(cycle * tck_, *this, (wake_seq_ << 3) | kWake, Priority::kMemory);
}

void DramChannel::queue_freed() {
  if (waiting_.empty() || retry_scheduled_) return;
  retry_scheduled_ = true;
  owner_.kernel().schedule_at(owner_.now(), *this, kRetry, Priority::kRetry);
}

void DramChannel::handle_event(std::uint64_t arg) {
  const std::uint64_t kind = arg & 7;
  if (kind == kWake) {
    if ((arg >> 3) != wake_seq_) return;  // superseded by an earlier wake-up
    std::uint64_t now = wake_cycle_;       // the cycle this (current) wake-up was scheduled for: now() / tck_
    for (;;) {
      wake_cycle_ = kNever;
      ++wakeups_;
      run_ahead_ = true;  // schedule_wake() inside the step only records the cycle
      step(now);
      run_ahead_ = false;
      if (!virtual_wake_) return;
      virtual_wake_ = false;
      // The next wake-up as a tail continuation: the kernel runs, nested and in their order, the events that come
      // before it (requests arriving, completions, which may wake the channel earlier: that supersedes this one),
      // then this step runs inline; or it is queued as an ordinary event. Either way exactly as its event would.
      const std::uint64_t w = wake_cycle_;
      const std::uint64_t seq = ++wake_seq_;
      const std::uint64_t next_arg = (seq << 3) | kWake;
      if (!run_ahead_enabled_) {
        owner_.kernel().schedule_at(w * tck_, *this, next_arg, Priority::kMemory);
        return;
      }
      if (!owner_.kernel().continue_at(w * tck_, *this, next_arg, Priority::kMemory)) return;
      if (seq != wake_seq_) return;  // an earlier wake-up was scheduled (and has run) meanwhile
      now = w;
    }
  }
  if (kind == kRetry) {
    retry_scheduled_ = false;
    retrying_.swap(waiting_);  // both keep their capacity: no allocation per retry
    for (Initiator* w : retrying_) w->retry();  // a retry() that is rejected again re-registers in waiting_
    retrying_.clear();
    return;
  }
  CompletionFifo& fifo = kind == kReadDone ? read_done_ : kind == kWriteDone ? write_done_ : forward_done_;
  const std::uint64_t c = fifo.event_cycle;  // this event's cycle (one pending per FIFO): now() / tck_
  fifo.event_cycle = kNever;
  // Lines of bursts that completed silently (no event of their own): processed here, by whichever completion
  // event comes at or after them (no callback, so their order does not matter).
  for (CompletionFifo* other : {&read_done_, &write_done_, &forward_done_}) {
    while (!other->empty() && other->front().cycle <= c && !other->front().visible) {
      const CompletionFifo::Item item = other->front();
      other->pop();
      process_done(item);
    }
  }
  while (!fifo.empty() && fifo.front().cycle <= c) {
    const CompletionFifo::Item item = fifo.front();
    fifo.pop();
    process_done(item);
  }
  const std::uint64_t next = fifo.first_visible_cycle();
  if (next != kNever && fifo.event_cycle == kNever) {
    fifo.event_cycle = next;
    owner_.kernel().schedule_at(next * tck_, *this, kind, Priority::kCompletion);
  }
}

DramCommand DramChannel::next_command(const Slot& s) const noexcept {
  const BankState& b = timing_.bank(s.flat_bank);
  if (b.open_row == kNoRow) return DramCommand::kACT;
  if (b.open_row != s.row) return DramCommand::kPRE;
  if (closed_page_) return s.is_write ? DramCommand::kWRA : DramCommand::kRDA;
  return s.is_write ? DramCommand::kWR : DramCommand::kRD;
}

void DramChannel::issue(DramCommand cmd, std::uint32_t rank, std::uint32_t group, std::uint32_t flat_bank,
                        std::uint64_t c) {
  k_.cmd[ci(cmd)]->inc();
  timing_.issue(cmd, rank, group, flat_bank, c);
  if (per_bank_) {
    // The bank's state changes: its queue is examined again. Other queues' bounds still hold (constraints only
    // move later).
    if (cmd == DramCommand::kPREA || cmd == DramCommand::kREF) {
      const std::size_t first = std::size_t{rank} * banks_per_rank_;
      for (std::size_t b = first; b < first + banks_per_rank_; ++b) bank_queues_.mark(b);
    } else {
      bank_queues_.mark(flat_bank);
    }
  }
}

bool DramChannel::issue_for(std::uint32_t id, DramCommand cmd, std::uint64_t c) {
  Slot& s = slots_[id];
  if (!s.classified) {
    s.classified = true;
    (cmd == DramCommand::kACT ? k_.row_misses : cmd == DramCommand::kPRE ? k_.row_conflicts : k_.row_hits)->inc();
  }
  issue(cmd, s.rank, s.flat_group, s.flat_bank, c);
  BankState& b = timing_.bank(s.flat_bank);
  if (cmd == DramCommand::kACT) {
    b.open_row = s.row;
    if (per_bank_) {
      for (const dram::BankEntry& e : bank_queues_.queue(s.flat_bank)) {
        b.queued_hits[e.is_write ? 1 : 0] += e.row == s.row ? 1 : 0;
      }
    }
    b.hits = 0;
    return false;
  }
  if (cmd == DramCommand::kPRE) return false;
  ++b.hits;
  if (banks_waiting_ > 1) k_.overlapped_columns->inc();
  if (--bank_waiting_[s.flat_bank] == 0) --banks_waiting_;
  if (s.is_write) {
    push_done(write_done_, kWriteDone, c, id);
    if (drain_.dramsim3() && !per_bank_) drain_.write_served();
  } else {
    const std::uint64_t done = c + read_latency_;
    push_done(read_done_, kReadDone, done, id);
  }
  return true;
}

bool DramChannel::pick_shared(std::vector<std::uint32_t>& q, std::uint64_t c, std::uint64_t& wake, bool is_act_q) {
  // FR-FCFS: the oldest request whose next command is legal now; with a row-hit cap, a hit beyond the cap does
  // not overtake older requests.
  std::size_t best = q.size();
  std::size_t oldest_capped = q.size();
  DramCommand best_cmd = DramCommand::kACT;
  DramCommand capped_cmd = DramCommand::kACT;
  for (std::size_t i = 0; i < q.size(); ++i) {
    const Slot& s = slots_[q[i]];
    if (refresh_.pending_count() > 0 && refresh_.pending(s.rank)) continue;
    const DramCommand cmd = next_command(s);
    const std::uint64_t t = earliest(cmd, s);
    if (t > c) {
      wake = std::min(wake, t);
      continue;
    }
    const bool is_hit = cmd != DramCommand::kACT && cmd != DramCommand::kPRE;
    if (is_hit && spec_.row_hit_cap > 0 && timing_.bank(s.flat_bank).hits > spec_.row_hit_cap) {
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
  const std::uint32_t id = q[best];
  const bool finished = issue_for(id, best_cmd, c);
  if (finished) {
    q.erase(q.begin() + static_cast<std::ptrdiff_t>(best));
    if (!is_act_q) queue_freed();
  } else if (best_cmd == DramCommand::kACT && promote_ && !is_act_q) {
    q.erase(q.begin() + static_cast<std::ptrdiff_t>(best));
    act_q_.push_back(id);
    queue_freed();
  }
  return true;
}

std::uint64_t DramChannel::next_legal_cycle(std::uint64_t c) noexcept {
  // The earliest cycle at which any command the scheduler could pick becomes legal (c if one is legal now).
  std::uint64_t wake = refresh_.next_legal(timing_, c);
  if (per_bank_) return std::min(wake, bank_queues_.next_cycle(c));
  const auto fold = [&](const std::vector<std::uint32_t>& q) {
    for (const std::uint32_t id : q) {
      const Slot& s = slots_[id];
      if (refresh_.pending_count() > 0 && refresh_.pending(s.rank)) continue;
      wake = std::min(wake, earliest(next_command(s), s));
      if (wake <= c) return;
    }
  };
  if (promote_) fold(act_q_);
  if (wake > c && !(refresh_.blocking() && refresh_.pending_count() > 0)) {
    fold(drain_.write_mode() ? write_q_ : read_q_);
  }
  return wake;
}

bool DramChannel::pick_bank_queues(std::uint64_t c, bool second, bool first_column) {
  dram::BankQueueScheduler::Pick p{};
  if (!bank_queues_.select(c, second, first_column, p)) return false;
  if (issue_for(p.slot, p.cmd, c)) bank_queues_.erase(p.queue, p.pos);
  return true;
}

bool DramChannel::movable_exists() const noexcept { return movable_exists(drain_.write_mode()); }

bool DramChannel::arrival_matters() const noexcept {
  // In per-bank mode a queued transaction acts only by moving into its bank queue (one per cycle), and its
  // arrival may switch the write mode. If neither can happen the next step would do what the wake-up already
  // scheduled does (the bank queues and the timing state are unchanged).
  if (!per_bank_ || idle_) return true;
  std::uint64_t drain_left = 0;
  const bool mode = next_write_mode(drain_left);
  return mode != drain_.write_mode() || drain_left != drain_.drain_left() || movable_exists(mode);
}

bool DramChannel::move_transaction() {
  if (!movable_exists()) return false;
  auto& q = drain_.write_mode() ? write_q_ : read_q_;
  for (std::size_t i = 0; i < q.size(); ++i) {
    const std::uint32_t id = q[i];
    const std::size_t qi = slot_bank_[id];
    if (bank_queues_.full(qi)) continue;
    bank_queues_.push(qi, dram::BankEntry{slots_[id].row, id, slots_[id].is_write});
    q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
    bank_queues_.txn_removed(drain_.write_mode() ? 1 : 0, static_cast<std::uint32_t>(qi));
    if (drain_.write_mode()) drain_.write_served();
    queue_freed();
    return true;
  }
  return false;  // not reached: movable_exists() found a bank with an entry and room
}

void DramChannel::step(std::uint64_t c) {
  std::uint64_t wake = kNever;
  last_step_cycle_ = c;
  // Refresh falling due (issued retroactively if it fell due while the channel was idle).
  refresh_.fall_due(timing_, c, idle_, wake, issuer());
  idle_ = false;
  if (per_bank_) bank_queues_.pop_wheel(c);
  update_write_mode();
  bool issued = false;
  const bool bus_free = timing_.cmd_bus_next() <= c;
  if (bus_free) {
    if (per_bank_) {
      if (refresh_.pending_count() > 0) issued = refresh_.try_issue(timing_, c, wake, issuer());
      if (!issued) issued = pick_bank_queues(c);
      if (issued && spec_.dual_command) {
        // A second command of the other kind in this cycle (separate row and column command buses).
        const std::uint64_t bus = timing_.cmd_bus_next();
        timing_.set_cmd_bus_next(c);
        pick_bank_queues(c, true, timing_.last_column());
        timing_.set_cmd_bus_next(std::max(bus, c + 1));
      }
    } else {
      if (promote_ && !act_q_.empty()) issued = pick_shared(act_q_, c, wake, true);
      bool blocked = false;
      if (!issued && refresh_.pending_count() > 0) {
        issued = refresh_.try_issue(timing_, c, wake, issuer());
        // Ramulator: a pending refresh holds the channel (only requests already activated may go).
        blocked = !issued && refresh_.blocking();
      }
      if (!issued && !blocked) {
        auto& q = drain_.write_mode() ? write_q_ : read_q_;
        issued = pick_shared(q, c, wake, false);
      }
    }
  }
  bool moved = false;
  if (per_bank_) {
    // (The watermark mode depends only on the transaction queues' sizes, which the pick does not change.)
    if (drain_.dramsim3()) update_write_mode();
    // One transaction per step (a step per cycle), after the issue: it is examined from the next cycle (DRAMsim3:
    // a command enters its queue after the issue phase).
    moved = move_transaction();
  }
  if (!per_bank_ || moved || drain_.dramsim3()) update_write_mode();
  const bool work_left = !read_q_.empty() || !write_q_.empty() || !act_q_.empty() || bank_queues_.total() > 0;
  idle_ = !work_left;
  if (moved && movable_exists()) {
    wake = c + 1;  // one transaction moves per cycle
  } else if (work_left || refresh_.pending_count() > 0) {
    // Sleep until the first cycle at which a command can be legal. Nothing changes before then unless a request
    // arrives (send() wakes us) or a refresh falls due (in `wake` already).
    const std::uint64_t legal = next_legal_cycle(c);
    wake = std::min(wake, std::max({legal, timing_.cmd_bus_next(), c + 1}));
  } else {
    // Idle: refreshes still fall due, but nothing waits on them; they are caught up when a request arrives.
    wake = kNever;
  }
  if (every_cycle_ && (work_left || refresh_.pending_count() > 0)) wake = c + 1;
  if (wake != kNever && wake < wake_cycle_) schedule_wake(wake);
}

// ------------------------------------------------------------------------------------------------------------------

DramController::DramController(Simulation& sim, std::string_view name, const DramSpec& spec, Module* parent)
    : Module(sim, name, parent), spec_((spec.validate(), spec)), map_(spec_), energy_(spec_) {
  counters_.requests = &add_counter("requests", "count", "requests accepted");
  counters_.reads = &add_counter("reads", "count", "read requests accepted");
  counters_.writes = &add_counter("writes", "count", "write requests accepted");
  counters_.bytes = &add_counter("bytes", "B", "bytes of accepted requests");
  counters_.rejections = &add_counter("rejections", "count", "requests rejected because a queue was full");
  counters_.forwarded_reads = &add_counter("forwarded_reads", "count", "reads served from the write queue");
  counters_.overlapped_columns =
      &add_counter("overlapped_columns", "count",
                   "column commands issued while a request to another bank was waiting (bank-level parallelism)");
  counters_.row_hits = &add_counter("row_hits", "count", "requests whose first command was a column command");
  counters_.row_misses = &add_counter("row_misses", "count", "requests that found their bank closed (ACT first)");
  counters_.row_conflicts =
      &add_counter("row_conflicts", "count", "requests that found another row open (PRE first)");
  static constexpr const char* kCmdLeaf[8] = {"cmd_act", "cmd_pre", "cmd_prea", "cmd_rd",
                                              "cmd_wr",  "cmd_rda", "cmd_wra",  "cmd_ref"};
  for (std::size_t i = 0; i < kCmds; ++i) {
    counters_.cmd[i] = &add_counter(kCmdLeaf[i], "count",
                                    std::string(dram_command_name(static_cast<DramCommand>(i))) + " commands issued");
  }
  counters_.read_latency = &add_histogram("read_latency", "cycles", "read latency, acceptance to last data beat",
                                          0.0, kLatencyHistogramCycles, static_cast<std::size_t>(kLatencyHistogramCycles));
  counters_.occupancy =
      &add_accumulator("occupancy", "requests", "requests queued in the channel when a request is accepted");
  add_formula("energy_command", "pJ", "energy of ACT/PRE, RD, WR and REF commands", [this] {
    return command_energy_pj();
  });
  add_formula("energy_background", "pJ", "background (standby) energy up to now", [this] {
    return background_energy_pj();
  });
  add_formula("energy", "pJ", "total DRAM energy up to now", [this] { return energy_pj(); });
  channels_.reserve(spec_.channels);
  for (std::uint32_t c = 0; c < spec_.channels; ++c) {
    channels_.push_back(std::make_unique<DramChannel>(*this, spec_, counters_));
  }
}

DramController::~DramController() = default;

namespace {

std::string hex_address(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::uint32_t DramController::burst_lines(const Request& request) const {
  const std::uint64_t line = spec_.line_bytes();
  if (request.size_bytes == 0) {
    throw ConfigError("DramController " + name() + ": request of 0 B at " + hex_address(request.address));
  }
  if (request.size_bytes <= line) {
    if (request.address % line + request.size_bytes > line) {
      throw ConfigError("DramController " + name() + ": request of " + std::to_string(request.size_bytes) +
                        " B at " + hex_address(request.address) + " crosses a " + std::to_string(line) +
                        " B burst (the initiator must split requests into bursts)");
    }
    return 1;
  }
  const std::uint64_t lines = request.size_bytes / line;
  const std::uint64_t room = map_.lines_in_row(request.address);
  const std::uint32_t queue =
      request.command == Command::kWrite ? spec_.write_queue_size : spec_.read_queue_size;
  if (request.address % line != 0 || request.size_bytes % line != 0 || lines > room || lines > queue) {
    throw ConfigError("DramController " + name() + ": a multi-line request must start on a " +
                      std::to_string(line) + " B line, be a whole number of lines, stay in one row of one bank and "
                      "fit the " + std::string(command_name(request.command)) + " queue (max_request_bytes), got " +
                      std::to_string(request.size_bytes) + " B at " + hex_address(request.address) + " (" +
                      std::to_string(room) + " lines left in its row, queue of " + std::to_string(queue) + ")");
  }
  return static_cast<std::uint32_t>(lines);
}

bool DramController::send(const Request& request, Initiator& from) {
  const std::uint32_t lines = burst_lines(request);
  const DramAddress a = map_.decode(request.address);
  if (lines == 1 && request.size_bytes <= spec_.line_bytes()) return channels_[a.channel]->send(request, from, a);
  return channels_[a.channel]->send_burst(request, from, a, lines, false) != 0;
}

std::uint64_t DramController::send_prefix(const Request& request, Initiator& from) {
  const std::uint32_t lines = burst_lines(request);
  const DramAddress a = map_.decode(request.address);
  if (lines == 1 && request.size_bytes <= spec_.line_bytes()) {
    return channels_[a.channel]->send(request, from, a) ? request.size_bytes : 0;
  }
  return std::uint64_t{channels_[a.channel]->send_burst(request, from, a, lines, true)} * spec_.line_bytes();
}

std::uint64_t DramController::max_request_bytes(std::uint64_t address) const {
  const std::uint64_t queue = std::min(spec_.read_queue_size, spec_.write_queue_size);
  return std::min(map_.lines_in_row(address), queue) * spec_.line_bytes();
}

std::uint64_t DramController::outstanding() const noexcept {
  std::uint64_t n = 0;
  for (const auto& c : channels_) n += c->outstanding();
  return n;
}

std::uint64_t DramController::wakeups() const noexcept {
  std::uint64_t n = 0;
  for (const auto& c : channels_) n += c->wakeups();
  return n;
}

double DramController::command_energy_pj() const noexcept {
  const auto n = [&](DramCommand c) { return counters_.cmd[ci(c)]->value; };
  return energy_.command_pj(n(DramCommand::kACT), n(DramCommand::kRD) + n(DramCommand::kRDA),
                            n(DramCommand::kWR) + n(DramCommand::kWRA), n(DramCommand::kREF));
}

double DramController::refresh_command_pj() const noexcept { return energy_.refresh_command_pj(); }

double DramController::refresh_energy_pj() const noexcept {
  return refresh_command_pj() * static_cast<double>(counters_.cmd[ci(DramCommand::kREF)]->value);
}

double DramController::background_energy_pj() const noexcept {
  const double cycles = static_cast<double>(now() / spec_.tck_ps);
  double e = 0.0;
  for (const auto& ch : channels_) {
    for (std::size_t r = 0; r < spec_.ranks; ++r) {
      e += energy_.rank_background_pj(cycles, std::min(cycles, ch->active_cycles(r)));
    }
  }
  return e;
}

}  // namespace tnpu
