// reorder: TNPU's simplified out-of-order scheduler. Per engine, the oldest ready task (lowest program order) among
// the instances in flight; a new instance may start only while fewer than `window` are in flight (the window is
// bounded by the activation stash the in-flight instances need). Batch-level tasks (WU) are outside the window.
#include <algorithm>
#include <functional>
#include <queue>
#include <set>

#include "tnpu/sched/scheduler.hpp"

namespace tnpu {

namespace {

using MinHeap = std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>>;

class ReorderScheduler final : public Scheduler {
 public:
  explicit ReorderScheduler(std::uint32_t window) : window_(window) {}

  void reset(const TaskSet& tasks, const std::vector<std::uint32_t>& engine_of_class,
             std::uint32_t num_engines) override {
    tasks_ = &tasks;
    engine_of_class_ = engine_of_class;
    instance_ready_.assign(num_engines, {});
    batch_ready_.assign(num_engines, MinHeap{});
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
    window_used_ = 0;
  }

  void ready(std::uint32_t task) override {
    const TaskInfo& t = tasks_->tasks[task];
    const std::uint32_t e = engine_of_class_[static_cast<std::size_t>(t.task_class)];
    if (t.instance == kBatchInstance) {
      batch_ready_[e].push(task);
    } else {
      instance_ready_[e].insert(task);
    }
  }

  std::optional<std::uint32_t> pick(std::uint32_t engine) override {
    std::optional<std::uint32_t> best;
    const bool may_admit = window_ == 0 || in_flight_ < window_;
    for (const std::uint32_t task : instance_ready_[engine]) {
      // Oldest first. A task of an instance not yet started is allowed only while the window has room; then the
      // scan goes on to find work of instances already in flight (usually the first element is allowed).
      if (may_admit || state_[tasks_->tasks[task].instance] == kInFlight) {
        best = task;
        break;
      }
    }
    const MinHeap& batch = batch_ready_[engine];
    if (!batch.empty() && (!best || batch.top() < *best)) best = batch.top();
    return best;
  }

  void started(std::uint32_t task) override {
    const TaskInfo& t = tasks_->tasks[task];
    const std::uint32_t e = engine_of_class_[static_cast<std::size_t>(t.task_class)];
    if (t.instance == kBatchInstance) {
      batch_ready_[e].pop();  // pick() returned the top
      return;
    }
    instance_ready_[e].erase(task);
    if (state_[t.instance] == kNotStarted) {
      state_[t.instance] = kInFlight;
      ++in_flight_;
      window_used_ = std::max(window_used_, in_flight_);
    }
  }

  void done(std::uint32_t task) override {
    const TaskInfo& t = tasks_->tasks[task];
    if (t.instance == kBatchInstance) return;
    if (--remaining_[t.instance] == 0) {
      state_[t.instance] = kRetired;
      --in_flight_;
    }
  }

  SchedulerReport report() const override { return {window_, window_used_}; }

 private:
  enum : std::uint8_t { kNotStarted, kInFlight, kRetired };
  std::uint32_t window_;
  const TaskSet* tasks_ = nullptr;
  std::vector<std::uint32_t> engine_of_class_;
  std::vector<std::set<std::uint32_t>> instance_ready_;
  std::vector<MinHeap> batch_ready_;
  std::vector<std::uint64_t> remaining_;
  std::vector<std::uint8_t> state_;
  std::uint32_t in_flight_ = 0;
  std::uint32_t window_used_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_reorder_scheduler(const SchedulerConfig& config) {
  return std::make_unique<ReorderScheduler>(config.window);
}

}  // namespace tnpu
