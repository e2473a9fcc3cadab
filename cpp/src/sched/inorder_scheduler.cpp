// inorder: one task at a time on the whole machine, strictly in program order (DaDianNao-style).
#include <memory>

#include "tnpu/sched/scheduler.hpp"

namespace tnpu {

namespace {

class InOrderScheduler final : public Scheduler {
 public:
  void reset(const TaskSet& tasks, const std::vector<std::uint32_t>& engine_of_class,
             std::uint32_t /*num_engines*/) override {
    tasks_ = &tasks;
    engine_of_class_ = engine_of_class;
    ready_.assign(tasks.size(), 0);
    next_ = 0;
    busy_ = false;
  }
  void ready(std::uint32_t task) override { ready_[task] = 1; }
  std::optional<std::uint32_t> pick(std::uint32_t engine) override {
    if (busy_ || next_ >= tasks_->size() || !ready_[next_]) return std::nullopt;
    const auto cls = static_cast<std::size_t>(tasks_->tasks[next_].task_class);
    if (engine_of_class_[cls] != engine) return std::nullopt;
    return static_cast<std::uint32_t>(next_);
  }
  void started(std::uint32_t /*task*/) override {
    busy_ = true;
    ++next_;
  }
  void done(std::uint32_t /*task*/) override { busy_ = false; }
  SchedulerReport report() const override { return {1, 1}; }

 private:
  const TaskSet* tasks_ = nullptr;
  std::vector<std::uint32_t> engine_of_class_;
  std::vector<std::uint8_t> ready_;
  std::size_t next_ = 0;
  bool busy_ = false;
};

}  // namespace

std::unique_ptr<Scheduler> make_inorder_scheduler(const SchedulerConfig& /*config*/) {
  return std::make_unique<InOrderScheduler>();
}

}  // namespace tnpu
