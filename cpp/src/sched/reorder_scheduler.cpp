// reorder: TNPU's simplified out-of-order scheduler. Per engine, the oldest ready task (lowest program order) among
// the instances in flight; a new instance may start only while fewer than `window` are in flight (the window is
// bounded by the activation stash the in-flight instances need). Batch-level tasks (WU) are outside the window.
#include <algorithm>
#include <functional>
#include <queue>
#include <set>

#include "tnpu/sched/instance_window.hpp"
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
    window_.reset(tasks);
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
    for (const std::uint32_t task : instance_ready_[engine]) {
      // Oldest first. A task of an instance not yet started is allowed only while the window has room; then the
      // scan goes on to find work of instances already in flight (usually the first element is allowed).
      if (window_.allows(tasks_->tasks[task].instance)) {
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
    window_.started(t.instance);
  }

  void done(std::uint32_t task) override { window_.finished(tasks_->tasks[task].instance); }

  SchedulerReport report() const override { return {window_.window(), window_.used()}; }

 private:
  InstanceWindow window_;
  const TaskSet* tasks_ = nullptr;
  std::vector<std::uint32_t> engine_of_class_;
  std::vector<std::set<std::uint32_t>> instance_ready_;
  std::vector<MinHeap> batch_ready_;
};

}  // namespace

std::unique_ptr<Scheduler> make_reorder_scheduler(const SchedulerConfig& config) {
  return std::make_unique<ReorderScheduler>(config.window);
}

}  // namespace tnpu
