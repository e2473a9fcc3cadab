#pragma once
// The window of training instances in flight (TNPU's reorder scheduler, section III-C of the paper): an instance
// enters the window when its first task starts and leaves it when its last task finishes; at most `window`
// instances (0: no limit) are in it at once. Batch-wide tasks (kBatchInstance) are outside the window. Shared by the
// C++ reorder scheduler and the Python-policy scheduler, so both keep the same books.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "tnpu/sched/task_set.hpp"

namespace tnpu {

class InstanceWindow {
 public:
  explicit InstanceWindow(std::uint32_t window = 0) noexcept : window_(window) {}

  // Counts each instance's tasks and empties the window.
  void reset(const TaskSet& tasks) {
    std::uint32_t instances = 0;
    for (const TaskInfo& t : tasks.tasks) {
      if (t.instance != kBatchInstance) instances = std::max(instances, t.instance + 1);
    }
    remaining_.assign(instances, 0);
    state_.assign(instances, kNotStarted);
    for (const TaskInfo& t : tasks.tasks) {
      if (t.instance != kBatchInstance) ++remaining_[t.instance];
    }
    in_flight_ = 0;
    used_ = 0;
  }

  // A new instance may enter now.
  [[nodiscard]] bool may_admit() const noexcept { return window_ == 0 || in_flight_ < window_; }
  // A task of `instance` may start now: batch-wide, already in the window, or the window has room.
  [[nodiscard]] bool allows(std::uint32_t instance) const noexcept {
    return instance == kBatchInstance || state_[instance] == kInFlight || may_admit();
  }
  [[nodiscard]] bool in_flight(std::uint32_t instance) const noexcept {
    return instance != kBatchInstance && state_[instance] == kInFlight;
  }

  // A task of `instance` started (its instance enters the window if it was not in it).
  void started(std::uint32_t instance) noexcept {
    if (instance == kBatchInstance || state_[instance] != kNotStarted) return;
    state_[instance] = kInFlight;
    ++in_flight_;
    used_ = std::max(used_, in_flight_);
  }
  // A task of `instance` finished (its instance leaves the window after its last task).
  void finished(std::uint32_t instance) noexcept {
    if (instance == kBatchInstance || --remaining_[instance] != 0) return;
    state_[instance] = kRetired;
    --in_flight_;
  }

  [[nodiscard]] std::uint32_t window() const noexcept { return window_; }
  // The most instances that were in the window at once.
  [[nodiscard]] std::uint32_t used() const noexcept { return used_; }

 private:
  enum : std::uint8_t { kNotStarted, kInFlight, kRetired };
  std::uint32_t window_;
  std::vector<std::uint64_t> remaining_;  // per instance: tasks not finished
  std::vector<std::uint8_t> state_;
  std::uint32_t in_flight_ = 0;
  std::uint32_t used_ = 0;
};

}  // namespace tnpu
