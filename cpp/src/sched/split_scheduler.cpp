// split: each engine runs the tasks mapped to it strictly in program order; engines overlap only where program
// order allows; no cross-instance interleaving (DNPU-style separate engines).
#include <memory>

#include "tnpu/sched/scheduler.hpp"

namespace tnpu {

namespace {

class SplitScheduler final : public Scheduler {
 public:
  void reset(const TaskSet& tasks, const std::vector<std::uint32_t>& engine_of_class,
             std::uint32_t num_engines) override {
    queue_.assign(num_engines, {});
    head_.assign(num_engines, 0);
    for (std::uint32_t i = 0; i < tasks.size(); ++i) {
      queue_[engine_of_class[static_cast<std::size_t>(tasks.tasks[i].task_class)]].push_back(i);
    }
    ready_.assign(tasks.size(), 0);
  }
  void ready(std::uint32_t task) override { ready_[task] = 1; }
  std::optional<std::uint32_t> pick(std::uint32_t engine) override {
    const auto& q = queue_[engine];
    const std::size_t h = head_[engine];
    if (h >= q.size() || !ready_[q[h]]) return std::nullopt;
    return q[h];
  }
  void started(std::uint32_t task) override {
    for (std::size_t e = 0; e < queue_.size(); ++e) {
      if (head_[e] < queue_[e].size() && queue_[e][head_[e]] == task) {
        ++head_[e];
        return;
      }
    }
  }
  void done(std::uint32_t /*task*/) override {}
  SchedulerReport report() const override { return {1, 1}; }

 private:
  std::vector<std::vector<std::uint32_t>> queue_;
  std::vector<std::size_t> head_;
  std::vector<std::uint8_t> ready_;
};

}  // namespace

std::unique_ptr<Scheduler> make_split_scheduler(const SchedulerConfig& /*config*/) {
  return std::make_unique<SplitScheduler>();
}

}  // namespace tnpu
