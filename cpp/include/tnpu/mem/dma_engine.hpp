#pragma once
// DmaEngine: turns tile loads and stores into fixed-size requests (64 bytes) to a memory Target (the DRAM controller,
// or FixedLatencyMemory until it lands), with a bounded number of outstanding requests and back-pressure.
// Contract: transfers are started in FIFO order; a transfer of `bytes` issues ceil(bytes / request_bytes) requests
// at consecutive addresses from `address`, wrapping inside [region_base, region_base + region_bytes) if a region is
// given; its callback runs once, at the completion of its last request (at once, via the kernel, for 0 bytes).
// At most max_outstanding requests are in flight; a rejected request is re-sent after the target's retry().
// Bursts: with max_burst_bytes > request_bytes and a target that takes multi-line requests (max_request_bytes > 0),
// consecutive requests of a transfer go out as the fewest multi-line requests the target allows (never across a
// region wrap, never more lines than max_outstanding leaves), sent with Target::send_prefix and
// Request::kNotifyLines: the target accepts exactly the lines separate sends would and reports each line's
// completion, so max_outstanding still counts lines and timing is identical to request-by-request issue.
#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>
#include <vector>

#include "tnpu/sim/module.hpp"
#include "tnpu/sim/request.hpp"

namespace tnpu::mem {

struct DmaEngineConfig {
  std::uint32_t request_bytes = 64;
  std::uint32_t max_outstanding = 64;
  std::uint32_t max_burst_bytes = 4096;  // largest multi-line request; request_bytes (or less): one per request
  // Ask for each line's completion of a multi-line request (Request::kNotifyLines): timing identical to issuing the
  // lines one by one. false: a multi-line request completes as a unit (one completion; fewer events) -- for
  // targets that time a burst as a whole (the fixed-latency bandwidth model); the engine then sends whole bursts
  // only (it waits for max_outstanding to leave room for one rather than send a shorter one).
  bool notify_lines = true;
  std::uint32_t source = 1;  // initiator id in the requests
  void validate(std::string_view field = "dma") const;
};

class DmaEngine final : public Module, public Initiator, private EventHandler {
 public:
  using Callback = std::function<void()>;
  DmaEngine(Simulation& sim, std::string_view name, Target& target, const DmaEngineConfig& config,
            Module* parent = nullptr);
  void transfer(Command command, std::uint64_t address, std::uint64_t bytes, Callback on_done,
                std::uint64_t region_base = 0, std::uint64_t region_bytes = 0);
  void complete(const Request& request) override;
  void complete_tail(const Request& request) override;
  void line_completed(const Request& request) override;
  void retry() override;
  void retry_tail() override;

  [[nodiscard]] std::uint64_t outstanding() const noexcept { return outstanding_; }
  [[nodiscard]] bool idle() const noexcept { return outstanding_ == 0 && queue_.empty(); }
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_.value; }
  // Requests as sent to the target (a multi-line request counts once; requests() counts its lines).
  [[nodiscard]] std::uint64_t sends() const noexcept { return sends_.value; }
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_.value; }
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_written_.value; }
  [[nodiscard]] const DmaEngineConfig& config() const noexcept { return config_; }

 private:
  struct Job {
    std::uint64_t id;
    Command command;
    std::uint64_t next_address;
    std::uint64_t remaining;  // requests still to issue
    std::uint64_t region_base, region_bytes;
  };
  struct Pending {
    std::uint64_t in_flight = 0;
    bool fully_issued = false;
    bool live = true;  // not finished yet
    Callback on_done;
  };
  // The pending transfer `id`, or nullptr if it is unknown or finished.
  [[nodiscard]] Pending* pending(std::uint64_t id) noexcept {
    const std::uint64_t i = id - pending_base_;
    if (id < pending_base_ || i >= pending_.size() - pending_head_ || !pending_[pending_head_ + i].live) {
      return nullptr;
    }
    return &pending_[pending_head_ + i];
  }
  // bytes / request_bytes (a shift when request_bytes is a power of two: no division per request).
  [[nodiscard]] std::uint64_t in_requests(std::uint64_t bytes) const noexcept {
    return rq_shift_ >= 0 ? bytes >> rq_shift_ : bytes / config_.request_bytes;
  }
  void handle_event(std::uint64_t arg) override;
  void issue();
  void schedule_issue();
  void finish(std::uint64_t job_id);
  // Returns true if an issue is due now (the caller schedules it: schedule_issue(), or its work inline).
  [[nodiscard]] bool line_done(std::uint64_t job_id, std::uint64_t lines);
  // Lines a completion of `request` completes: all of a multi-line request not reported line by line, else one.
  [[nodiscard]] std::uint64_t completed_lines(const Request& request) const;

  Target& target_;
  DmaEngineConfig config_;
  std::deque<Job> queue_;
  // Transfers by id (ids are consecutive): pending_[pending_head_ + id - pending_base_]; finished ones leave from
  // the front (pending_head_ moves; the storage is compacted once the finished part is half of it).
  std::vector<Pending> pending_;
  std::size_t pending_head_ = 0;
  std::uint64_t pending_base_ = 0;
  int rq_shift_ = -1;               // log2(request_bytes) if a power of two, else -1
  std::uint64_t max_burst_lines_ = 1;  // max_burst_bytes / request_bytes
  bool bursts_ = false;  // multi-line requests: max_burst_bytes > request_bytes == the target's line_bytes()
  std::uint64_t next_job_ = 0;
  std::uint64_t outstanding_ = 0;
  bool waiting_retry_ = false;
  bool issue_scheduled_ = false;
  std::deque<std::uint64_t> zero_byte_jobs_;
  Counter& requests_;
  Counter& sends_;
  Counter& bytes_read_;
  Counter& bytes_written_;
  Counter& transfers_;
  Counter& rejections_;
};

}  // namespace tnpu::mem
