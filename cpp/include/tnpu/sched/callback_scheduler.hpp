#pragma once
// CallbackScheduler: a scheduler whose decisions come from a callback (a Python policy, through the bindings), the
// co-simulation surface for scheduling. It keeps the bookkeeping the callback should not have to: the ready tasks
// of each engine in program order, when each became ready, an optional window of instances in flight (the same
// rule as reorder's), and live state a policy may read (the task running on each engine, the tasks finished).
//
// Contract: pick(engine) calls the callback only when that engine has at least one ready task the window allows,
// with those tasks as rows (ReadyRow, ascending task id) and the current time; the callback returns the row to
// start now, or -1 to start nothing (it is asked again at the next scheduling decision, after a task finishes).
// Any other value throws std::out_of_range (the bindings check it first and raise a Python error naming it). The
// callback is called at decisions only: never per event, never from ready/started/done.
// The rows, running and finished buffers may be supplied by the caller (e.g. numpy arrays the policy can view
// without a copy); they must hold at least tasks, engines and tasks entries (checked at reset), and must outlive
// the scheduler. Empty spans: the scheduler uses storage of its own.
#include <cstdint>
#include <functional>
#include <set>
#include <span>
#include <vector>

#include "tnpu/sched/instance_window.hpp"
#include "tnpu/sched/scheduler.hpp"
#include "tnpu/sim/time.hpp"

namespace tnpu {

// One row of the ready table (the Python side sees it as a numpy structured array, tnpu.schedule.READY_DTYPE).
struct ReadyRow {
  std::uint32_t task_id = 0;    // program order (the position in the task set)
  std::int64_t instance = 0;    // -1 for batch-level tasks (WU)
  std::uint32_t layer = 0;
  std::uint8_t phase = 0;       // Phase: 0 FP, 1 BP, 2 GD, 3 WU
  std::uint8_t task_class = 0;  // TaskClass: 0 matrix, 1 vector
  std::uint64_t ready_ps = 0;   // when its last dependency finished (0 for tasks ready at the start)
};

struct CallbackSchedulerBuffers {
  std::span<ReadyRow> rows;          // >= tasks
  std::span<std::int64_t> running;   // >= engines: the task running on each engine, -1 if idle
  std::span<std::uint8_t> finished;  // >= tasks: 1 once a task finished
};

class CallbackScheduler final : public Scheduler {
 public:
  // Returns the row to start, or -1.
  using PickFn = std::function<std::int64_t(std::uint32_t engine, std::span<const ReadyRow> rows, Picoseconds now)>;

  CallbackScheduler(const Kernel& kernel, std::uint32_t window, PickFn pick, CallbackSchedulerBuffers buffers = {});

  void reset(const TaskSet& tasks, const std::vector<std::uint32_t>& engine_of_class,
             std::uint32_t num_engines) override;
  void ready(std::uint32_t task) override;
  [[nodiscard]] std::optional<std::uint32_t> pick(std::uint32_t engine) override;
  void started(std::uint32_t task) override;
  void done(std::uint32_t task) override;
  [[nodiscard]] SchedulerReport report() const override { return {window_.window(), window_.used()}; }

  // Decisions made (callback calls).
  [[nodiscard]] std::uint64_t decisions() const noexcept { return decisions_; }

 private:
  [[nodiscard]] std::uint32_t engine_of(std::uint32_t task) const;

  const Kernel& kernel_;
  InstanceWindow window_;
  PickFn pick_;
  CallbackSchedulerBuffers buffers_;
  std::vector<ReadyRow> own_rows_;
  std::vector<std::int64_t> own_running_;
  std::vector<std::uint8_t> own_finished_;
  const TaskSet* tasks_ = nullptr;
  std::vector<std::uint32_t> engine_of_class_;
  std::vector<std::set<std::uint32_t>> ready_;  // per engine, not started, ascending id
  std::vector<Picoseconds> ready_ps_;
  std::vector<std::uint32_t> row_task_;  // the task of each row of the last call (the rows buffer may be viewed)
  std::uint64_t decisions_ = 0;
};

}  // namespace tnpu
