#include "tnpu/mem/dma_engine.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "tnpu/error.hpp"

namespace tnpu::mem {

void DmaEngineConfig::validate(std::string_view field) const {
  const std::string f(field);
  if (request_bytes == 0) throw ConfigError(f + ".request_bytes: must be at least 1 (got 0)");
  if (max_outstanding == 0) throw ConfigError(f + ".max_outstanding: must be at least 1 (got 0)");
}

DmaEngine::DmaEngine(Simulation& sim, std::string_view name, Target& target, const DmaEngineConfig& config,
                     Module* parent)
    : Module(sim, name, parent),
      target_(target),
      config_((config.validate(), config)),
      requests_(add_counter("requests", "count", "requests accepted by the memory")),
      sends_(add_counter("sends", "count", "requests sent to the memory (a multi-line request once)")),
      bytes_read_(add_counter("bytes_read", "B", "bytes read from memory (whole requests)")),
      bytes_written_(add_counter("bytes_written", "B", "bytes written to memory (whole requests)")),
      transfers_(add_counter("transfers", "count", "tile transfers started")),
      rejections_(add_counter("rejections", "count", "requests rejected by the memory (back-pressure)")) {
  if (std::has_single_bit(config_.request_bytes)) rq_shift_ = std::countr_zero(config_.request_bytes);
  max_burst_lines_ = config_.max_burst_bytes / config_.request_bytes;
  // (Target::line_bytes() is fixed for the target's life: asked once, not per request.)
  bursts_ = config_.max_burst_bytes > config_.request_bytes && target_.line_bytes() == config_.request_bytes;
}

void DmaEngine::transfer(Command command, std::uint64_t address, std::uint64_t bytes, Callback on_done,
                         std::uint64_t region_base, std::uint64_t region_bytes) {
  const std::uint64_t id = next_job_++;
  transfers_.inc();
  const std::uint64_t count = bytes / config_.request_bytes + (bytes % config_.request_bytes != 0 ? 1 : 0);
  pending_.push_back(Pending{0, count == 0, true, std::move(on_done)});
  if (count == 0) {
    zero_byte_jobs_.push_back(id);
    schedule_issue();
    return;
  }
  queue_.push_back(Job{id, command, address, count, region_base, region_bytes});
  schedule_issue();
}

void DmaEngine::schedule_issue() {
  if (issue_scheduled_) return;
  issue_scheduled_ = true;
  kernel().schedule_at(now(), *this, 0, Priority::kDefault);
}

void DmaEngine::handle_event(std::uint64_t /*arg*/) {
  issue_scheduled_ = false;
  while (!zero_byte_jobs_.empty()) {
    const std::uint64_t id = zero_byte_jobs_.front();
    zero_byte_jobs_.pop_front();
    finish(id);
  }
  issue();
}

void DmaEngine::issue() {
  const std::uint64_t rq = config_.request_bytes;
  while (!queue_.empty() && !waiting_retry_ && outstanding_ < config_.max_outstanding) {
    Job& job = queue_.front();
    Request r;
    r.command = job.command;
    r.address = job.next_address;
    r.size_bytes = config_.request_bytes;
    r.source = config_.source;
    r.tag = job.id;
    r.issue_ps = now();
    // Lines in this request: as many consecutive requests as the target takes in one (bursts), else one.
    std::uint64_t lines = 1;
    if (bursts_ && job.remaining > 1) {
      const std::uint64_t target_max = target_.max_request_bytes(r.address);
      const bool aligned = rq_shift_ >= 0 ? (r.address & (rq - 1)) == 0 : r.address % rq == 0;
      if (target_max > rq && aligned) {
        lines = std::min({job.remaining, max_burst_lines_, in_requests(target_max)});
        if (job.region_bytes != 0) {
          lines = std::min(lines, in_requests(job.region_base + job.region_bytes - job.next_address));
        }
        const std::uint64_t budget = std::uint64_t{config_.max_outstanding} - outstanding_;
        if (lines > budget && outstanding_ > 0 && (!config_.notify_lines || target_.whole_bursts())) {
          return;  // whole bursts only: wait for room rather than send a runt (a completion re-issues)
        }
        lines = std::max<std::uint64_t>(std::min(lines, budget), 1);
      }
    }
    std::uint64_t accepted;
    sends_.inc();
    if (lines == 1) {
      accepted = target_.send(r, *this) ? 1 : 0;
    } else {
      r.size_bytes = static_cast<std::uint32_t>(lines * rq);
      r.flags = config_.notify_lines ? Request::kNotifyLines : 0;
      accepted = in_requests(target_.send_prefix(r, *this));
    }
    if (accepted > 0) {
      outstanding_ += accepted;
      requests_.inc(accepted);
      (job.command == Command::kRead ? bytes_read_ : bytes_written_).inc(accepted * rq);
      Pending& p = pending_[pending_head_ + (job.id - pending_base_)];
      p.in_flight += accepted;
      job.next_address += accepted * rq;
      if (job.region_bytes != 0 && job.next_address >= job.region_base + job.region_bytes) {
        job.next_address = job.region_base + (job.next_address - job.region_base) % job.region_bytes;
      }
      job.remaining -= accepted;
      if (job.remaining == 0) {
        p.fully_issued = true;
        queue_.pop_front();
      }
    }
    if (accepted < lines) {  // the first line not accepted was rejected: wait for retry(), as one by one
      rejections_.inc();
      waiting_retry_ = true;
      return;
    }
  }
}

void DmaEngine::finish(std::uint64_t job_id) {
  Pending& p = pending_[pending_head_ + (job_id - pending_base_)];
  Callback cb = std::move(p.on_done);
  p.on_done = nullptr;
  p.live = false;
  while (pending_head_ < pending_.size() && !pending_[pending_head_].live) {
    ++pending_head_;
    ++pending_base_;
  }
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
  } else if (pending_head_ >= 64 && 2 * pending_head_ >= pending_.size()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
  if (cb) cb();  // (after the bookkeeping: it may start transfers, which append to pending_)
}

bool DmaEngine::line_done(std::uint64_t job_id, std::uint64_t lines) {
  Pending* p = pending(job_id);
  if (p == nullptr || p->in_flight < lines || outstanding_ < lines) {
    throw SimulationError("dma: completion of an unknown transfer or of more lines than are in flight");
  }
  outstanding_ -= lines;
  p->in_flight -= lines;
  if (p->in_flight == 0 && p->fully_issued) finish(job_id);
  return !queue_.empty() && !waiting_retry_;
}

std::uint64_t DmaEngine::completed_lines(const Request& request) const {
  // A multi-line request whose lines were not reported one by one completes all of them now.
  const bool whole = (request.flags & Request::kNotifyLines) == 0 && request.size_bytes > config_.request_bytes;
  return whole ? in_requests(request.size_bytes) : 1;
}

void DmaEngine::complete(const Request& request) {
  if (line_done(request.tag, completed_lines(request))) schedule_issue();
}

void DmaEngine::complete_tail(const Request& request) {
  if (!line_done(request.tag, completed_lines(request))) return;
  // The issue event would be due now: its work here instead when nothing would run before it (as retry_tail).
  if (!issue_scheduled_ && kernel().run_now(Priority::kDefault)) {
    handle_event(0);
    return;
  }
  schedule_issue();
}

void DmaEngine::line_completed(const Request& request) {
  if (line_done(request.tag, 1)) schedule_issue();
}

void DmaEngine::retry() {
  waiting_retry_ = false;
  schedule_issue();
}

void DmaEngine::retry_tail() {
  waiting_retry_ = false;
  // The issue event would be due now with nothing before it: its work here instead (exactly what it would do).
  if (!issue_scheduled_ && kernel().run_now(Priority::kDefault)) {
    handle_event(0);
    return;
  }
  schedule_issue();
}

}  // namespace tnpu::mem
