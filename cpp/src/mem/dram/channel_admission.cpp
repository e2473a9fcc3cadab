// One DRAM channel's admission: send, bursts, queue capacity, rejections, forwarding from the write queue (see
// tnpu/mem/dram/channel.hpp).
#include <algorithm>

#include "tnpu/mem/dram/channel.hpp"

namespace tnpu {

using dram::BankState;
using dram::ci;
using dram::CompletionFifo;
using dram::kCmds;
using dram::kNever;
using dram::kNoRow;

std::uint32_t DramChannel::alloc_slot() {
  if (free_.empty()) {
    const auto s = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    ++live_;
    return s;
  }
  const std::uint32_t s = free_.back();
  free_.pop_back();
  ++live_;
  return s;
}

void DramChannel::reject(Initiator& from) {
  note_initiator(from);
  k_.rejections->inc();
  if (std::find(waiting_.begin(), waiting_.end(), &from) == waiting_.end()) waiting_.push_back(&from);
}

bool DramChannel::refuse_ahead(const Request& next, Initiator& from) {
  // The offer is refused for certain if no step of this channel can run before it: this cycle's step has run (the
  // send just accepted came after it) and the offer, at kDefault, comes before the next cycle's step (kMemory). Only
  // a step frees a queue entry. With another initiator, its rejections before that offer would be registered (and
  // retried) in another order than the skipped offer's: not done then.
  const bool is_write = next.command == Command::kWrite;
  const std::uint32_t cap = is_write ? spec_.write_queue_size : spec_.read_queue_size;
  if ((is_write ? write_q_ : read_q_).size() < cap) return false;  // (the common case first)
  if (shared_ || sole_ != &from || !refuse_ahead_enabled_) return false;
  const std::uint64_t c = now_cycle();
  if (last_step_cycle_ != c || next.issue_ps <= owner_.now() || next.issue_ps > (c + 1) * tck_) return false;
  reject(from);
  return true;
}

bool DramChannel::offer_paced(const Request& request, Initiator& from, const DramAddress& a, std::uint64_t d) {
  const bool is_write = request.command == Command::kWrite;
  const auto& q = is_write ? write_q_ : read_q_;
  const std::uint32_t cap = is_write ? spec_.write_queue_size : spec_.read_queue_size;
  if (q.size() >= cap) {  // reject() but for the retry, which the controller's feed() takes from paced_retry_
    note_initiator(from);
    k_.rejections->inc();
    paced_waiting_ = true;
    paced_retry_ = kNever;
    return false;
  }
  accept_line(request, from, a, d, kNoBurst);
  return true;
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
  const bool may_forward = !is_write && spec_.forward_writes && !write_q_.empty();
  // Lines the per-line sends would accept: a forwarded read takes no queue entry (the write queue does not change
  // while a read burst is accepted, so each line's forwarding is known now).
  std::uint32_t accepted = 0;
  std::size_t queued = q.size();
  for (; accepted < lines; ++accepted) {
    if (may_forward && forwarded(request.address + accepted * line_bytes)) continue;
    if (queued >= cap) break;
    ++queued;
  }
  if (accepted == 0 || (!prefix && accepted < lines)) {
    reject(from);
    return 0;
  }
  const std::uint64_t c = now_cycle();
  if (accepted == 1) {
    // One line: what a send() of it does (no burst record). Its completion is the same call with the same request
    // (the burst as accepted: this line, the request's flags), and a one-line burst's completion is always seen.
    Request line = request;
    line.size_bytes = static_cast<std::uint32_t>(line_bytes);
    accept_line(line, from, a, c, kNoBurst);
    if (accepted < lines) reject(from);
    return 1;
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
  note_initiator(from);
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
  s.burst = burst;
  s.is_write = is_write;
  s.classified = false;
  k_.occupancy->add(static_cast<double>(read_q_.size() + write_q_.size() + act_q_.size() + bank_queues_.total()));
  k_.requests->inc();
  (is_write ? k_.writes : k_.reads)->inc();
  k_.bytes->inc(request.size_bytes);
  // The same address (as both peers match it; a request smaller than a burst is a burst of its own).
  if (!is_write && spec_.forward_writes && !write_q_.empty() && forwarded(request.address)) {
    // Served from the write queue: no DRAM access; data back next cycle.
    k_.forwarded_reads->inc();
    push_done(forward_done_, kForwardDone, c + 1, id);
    return;
  }
  q.push_back(id);
  if (is_write) fwd_note(id, true);
  if (last_step_cycle_ == c && q.size() == (is_write ? spec_.write_queue_size : spec_.read_queue_size)) {
    owner_.note_queue_full();  // the next offer, one cycle later, may be refused ahead (refuse_ahead)
  }
  if (per_bank_) {
    bank_queues_.txn_added(is_write ? 1 : 0, s.flat_bank);
    q_bank_[is_write ? 1 : 0].push_back(s.flat_bank);
  }
  if (bank_waiting_[s.flat_bank]++ == 0) ++banks_waiting_;
  // Seen by this cycle's step, or the next one's if the channel has stepped already in this cycle.
  const std::uint64_t next = last_step_cycle_ == c ? c + 1 : c;
  if (next < wake_cycle_ && arrival_matters()) schedule_wake(next);
}

}  // namespace tnpu
