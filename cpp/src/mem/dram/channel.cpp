// One DRAM channel's scheduling: completions and the event handling (wake-ups and their run-ahead, retries),
// the step (refresh, write drain, one command, one transaction into the bank queues), issuing commands, and the
// next cycle at which anything can happen (see tnpu/mem/dram/channel.hpp).
#include "tnpu/mem/dram/channel.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <type_traits>

#include "tnpu/error.hpp"

namespace tnpu {

using dram::BankState;
using dram::ci;
using dram::CompletionFifo;
using dram::kCmds;
using dram::kNever;
using dram::kNoRow;

DramChannel::DramChannel(DramController& owner, const DramSpec& spec, const DramCounters& counters)
    : owner_(owner),
      spec_(spec),
      k_(counters),
      tck_(spec.tck_ps),
      policies_(dram::resolve_policies(spec)),
      timing_(spec, policies_.row == dram::RowPolicy::kClosed),
      banks_per_rank_(spec.banks()),
      per_bank_(policies_.scheduler == dram::SchedulerKind::kPerBankRoundRobin),
      promote_(spec.promote_activated),
      read_latency_(spec.tCL + spec.tBL()),
      drain_(spec, policies_.drain),
      refresh_(spec, timing_.ranks(), timing_.banks_per_rank(), policies_.refresh, policies_.refresh_precharge),
      fr_fcfs_(spec, timing_, refresh_, policies_.row),
      bank_queues_(spec, timing_, refresh_, policies_.row, per_bank_) {
  line_shift_ = static_cast<std::uint32_t>(std::countr_zero(spec.line_bytes()));  // a power of two (AddressMap)
  const std::size_t nbanks = timing_.banks();
  bank_waiting_.assign(nbanks, 0);
  read_q_.reserve(spec.read_queue_size);
  write_q_.reserve(spec.write_queue_size);
  q_bank_[0].reserve(spec.read_queue_size);
  q_bank_[1].reserve(spec.write_queue_size);
  act_q_.reserve(std::size_t{spec.read_queue_size} + spec.write_queue_size);
  const std::size_t pool = std::size_t{spec.read_queue_size} * 2 + spec.write_queue_size * 2 +
                           (per_bank_ ? nbanks * spec.bank_queue_size : 0) + 64;
  slots_.resize(pool);
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

bool DramChannel::pick_shared(dram::TxnQueue& q, std::uint64_t c, std::uint64_t& wake, bool is_act_q) {
  std::size_t best = 0;
  DramCommand best_cmd = DramCommand::kACT;
  if (!fr_fcfs_.select(q.view(), slots_, c, wake, best, best_cmd)) return false;
  const std::uint32_t id = q[best];
  const bool finished = issue_for(id, best_cmd, c);
  // (Leaving write_q_: finished, or promoted to act_q_ below.)
  if (&q == &write_q_ && (finished || (best_cmd == DramCommand::kACT && promote_))) fwd_note(id, false);
  if (finished) {
    q.erase(best);
    if (!is_act_q) queue_freed();
  } else if (best_cmd == DramCommand::kACT && promote_ && !is_act_q) {
    q.erase(best);
    act_q_.push_back(id);
    queue_freed();
  }
  return true;
}

std::uint64_t DramChannel::next_legal_cycle(std::uint64_t c) noexcept {
  // The earliest cycle at which any command the scheduler could pick becomes legal (c if one is legal now).
  std::uint64_t wake = refresh_.next_legal(timing_, c);
  if (per_bank_) return std::min(wake, bank_queues_.next_cycle(c));
  if (promote_) fr_fcfs_.fold_earliest(act_q_.view(), slots_, c, wake);
  if (wake > c && !(refresh_.blocking() && refresh_.pending_count() > 0)) {
    fr_fcfs_.fold_earliest((drain_.write_mode() ? write_q_ : read_q_).view(), slots_, c, wake);
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
  const std::size_t which = drain_.write_mode() ? 1 : 0;
  auto& q = which != 0 ? write_q_ : read_q_;
  auto& banks = q_bank_[which];
  // The oldest transaction whose bank queue has room (the banks are kept beside the queue: one pass over them).
  const std::size_t i = bank_queues_.first_with_room(which, banks.data(), banks.size());
  if (i == banks.size()) {  // movable_exists() found a bank with an entry and room: the two views disagree
    throw SimulationError("dram: internal error: a transaction can move to its bank queue but none was found");
  }
  const std::uint32_t id = q[i];
  const std::uint32_t qi = banks[i];
  bank_queues_.push(qi, dram::BankEntry{slots_[id].row, id, slots_[id].is_write});
  if (which != 0) fwd_note(id, false);
  q.erase(i);
  banks.erase(i);
  bank_queues_.txn_removed(which, qi);
  if (which != 0) drain_.write_served();
  queue_freed();
  return true;
}

void DramChannel::push_done(CompletionFifo& fifo, std::uint64_t kind, std::uint64_t cycle, std::uint32_t id) {
  if (paced_source_ != nullptr) {  // single lines only; reported by deliver_paced, without an event each
    fifo.push(cycle, id, true);
    ++paced_pending_;
    paced_next_ = std::min(paced_next_, cycle);
    paced_last_ = std::max(paced_last_, cycle);
    // A read forwarded on acceptance to a channel with no step ahead: nothing else would report it. (A safety net:
    // not reached in the tested configurations, where the queued write it was served from keeps a step ahead.)
    if (kind == kForwardDone && wake_cycle_ == kNever) {
      owner_.kernel().schedule_at(cycle * tck_, *this, (cycle << 3) | kPacedSweep, Priority::kCompletion);
    }
    return;
  }
  bool visible = true;
  const std::uint32_t b = slots_[id].burst;
  if (b != kNoBurst) {
    Burst& burst = bursts_[b];
    // The line that finishes last completes last (reads complete a fixed latency after their RD, forwarded reads
    // before any RD of their burst can complete, writes at their WR): it completes the burst.
    visible = --burst.unfinished == 0 || burst.notify;
  }
  fifo.push(cycle, id, visible);
  silent_ += visible ? 0 : 1;
  // With every item visible this is the original rule: an event when the FIFO was empty (none pending).
  if (visible && fifo.event_cycle == kNever) {
    fifo.event_cycle = cycle;
    owner_.kernel().schedule_at(cycle * tck_, *this, kind, Priority::kCompletion);
  }
}

void DramChannel::process_done(const CompletionFifo::Item& item) {
  Slot& s = slots_[item.slot];
  silent_ -= item.visible ? 0 : 1;
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

void DramChannel::deliver_paced(std::uint64_t c) {
  // FIFO after FIFO (reads, writes, forwarded reads), each in its order (its cycles are monotone). The read
  // latency is recorded for the two FIFOs of reads (IsRead: the FIFO's kind, not a per-item test).
  const auto deliver = [this, c]<bool IsRead>(CompletionFifo& fifo, std::bool_constant<IsRead>) {
    while (!fifo.empty() && fifo.front().cycle <= c) {
      const CompletionFifo::Item item = fifo.front();
      fifo.pop();
      const Slot& s = slots_[item.slot];
      if constexpr (IsRead) k_.read_latency->add(static_cast<double>(item.cycle - s.arrive_cycle));
      --paced_pending_;
      // The slot is freed after the call (request_done only records the completion: the request stays valid).
      paced_source_->request_done(s.request, item.cycle * tck_);
      free_slot(item.slot);
    }
    return fifo.empty() ? kNever : fifo.front().cycle;
  };
  // (A braced list is evaluated in order.)
  paced_next_ = std::min({deliver(read_done_, std::true_type{}), deliver(write_done_, std::false_type{}),
                          deliver(forward_done_, std::true_type{})});
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
  if (paced_waiting_) {  // (only steps free entries: this is the step's cycle)
    paced_waiting_ = false;
    paced_retry_ = last_step_cycle_;
  }
  if (waiting_.empty() || retry_scheduled_) return;
  retry_scheduled_ = true;
  if (run_ahead_ && run_ahead_enabled_) {  // inside a wake-up's step: the event's place now, the event at its end
    retry_ticket_ = owner_.kernel().reserve(Priority::kRetry);
    retry_deferred_ = true;
    return;
  }
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
      if (paced_source_ != nullptr) {
        // The offers this step decided (inside the run-ahead: wakes it asks are kept). While this channel's refusal
        // of the pending offer still waits for a freed entry (paced_waiting_), feed() would return at once.
        if (!paced_waiting_) owner_.feed();
        if (paced_next_ <= now) deliver_paced(now);
        // No step ahead: one event at the last completion reports the rest (and ends the simulation then).
        if (paced_pending_ != 0 && wake_cycle_ == kNever) {
          owner_.kernel().schedule_at(paced_last_ * tck_, *this, (paced_last_ << 3) | kPacedSweep,
                                      Priority::kCompletion);
        }
      }
      run_ahead_ = false;
      const bool retry = retry_deferred_;  // a queue entry freed in the step, with initiators waiting
      retry_deferred_ = false;
      if (!virtual_wake_) {
        if (retry) owner_.kernel().schedule_reserved(owner_.now(), *this, kRetry, retry_ticket_);
        return;
      }
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
      // (With a retry due, its event and this one: the retry runs first, without a trip through the queue when
      // nothing comes before it.)
      const bool ahead = retry ? owner_.kernel().continue_at_after(*this, kRetry, retry_ticket_, w * tck_, *this,
                                                                   next_arg, Priority::kMemory)
                               : owner_.kernel().continue_at(w * tck_, *this, next_arg, Priority::kMemory);
      if (!ahead) return;
      if (seq != wake_seq_) return;  // an earlier wake-up was scheduled (and has run) meanwhile
      now = w;
    }
  }
  if (kind == kPacedSweep) {
    if (paced_next_ <= (arg >> 3)) deliver_paced(arg >> 3);
    return;
  }
  if (kind == kRetry) {
    retry_scheduled_ = false;
    retrying_.swap(waiting_);  // both keep their capacity: no allocation per retry
    // A retry() that is rejected again re-registers in waiting_. The last one is this event's tail (retry_tail: it
    // may send at once, and run nested events, so retrying_ is emptied first).
    const std::size_t n = retrying_.size();
    for (std::size_t i = 0; i + 1 < n; ++i) retrying_[i]->retry();
    Initiator* const last = n > 0 ? retrying_[n - 1] : nullptr;
    retrying_.clear();
    if (last != nullptr) last->retry_tail();
    return;
  }
  CompletionFifo& fifo = kind == kReadDone ? read_done_ : kind == kWriteDone ? write_done_ : forward_done_;
  const std::uint64_t c = fifo.event_cycle;  // this event's cycle (one pending per FIFO): now() / tck_
  fifo.event_cycle = kNever;
  // Lines of bursts that completed silently (no event of their own): processed here, by whichever completion
  // event comes at or after them (no callback, so their order does not matter).
  for (CompletionFifo* other : {&read_done_, &write_done_, &forward_done_}) {
    if (silent_ == 0) break;  // (none queued: only lines of bursts are silent)
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

}  // namespace tnpu
