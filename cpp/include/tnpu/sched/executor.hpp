#pragma once
// Runs a task graph on a set of engines under a scheduler, on the event kernel, and checks the schedule it produced.
// Contract: a TaskRunner is told when a task starts on an engine and must call TaskExecutor::finish(task) exactly
// once, at a time >= the start. The executor never runs two tasks at once on one engine, never starts a task before
// all its dependencies finished, and verifies both after the run (a violation throws SimulationError: it is a bug).
// If the kernel runs dry with tasks unfinished it throws SimulationError naming what is stuck; it never hangs.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tnpu/sched/scheduler.hpp"
#include "tnpu/sched/task_set.hpp"
#include "tnpu/sim/interface.hpp"
#include "tnpu/sim/module.hpp"

namespace tnpu {

class TaskExecutor;

class TaskRunner : public NonCopyableInterface<TaskRunner> {
 public:
  virtual void start(std::uint32_t task, std::uint32_t engine, TaskExecutor& executor) = 0;
};

// A runner with a fixed duration per task (the cost model comes from elsewhere: tests, the paper's toy schedule,
// or durations measured by the detailed engines).
class DurationRunner final : public TaskRunner, private EventHandler {
 public:
  DurationRunner(Kernel& kernel, std::vector<Picoseconds> duration_ps);
  void start(std::uint32_t task, std::uint32_t engine, TaskExecutor& executor) override;

 private:
  void handle_event(std::uint64_t task) override;
  Kernel& kernel_;
  std::vector<Picoseconds> duration_ps_;
  TaskExecutor* executor_ = nullptr;
};

struct EngineSpec {
  std::string name;  // e.g. "pu_c", "pu_f", "array"
};

struct ExecutorConfig {
  std::vector<EngineSpec> engines;
  std::vector<std::uint32_t> engine_of_class;  // indexed by TaskClass
  SchedulerConfig scheduler;
  void validate() const;
};

struct ScheduleResult {
  std::vector<Picoseconds> start_ps, end_ps;
  std::vector<std::uint32_t> engine;
  std::vector<Picoseconds> busy_ps;  // per engine
  Picoseconds makespan_ps = 0;
  SchedulerReport scheduler;
};

class TaskExecutor final : public Module, private EventHandler {
 public:
  TaskExecutor(Simulation& sim, std::string_view name, const TaskSet& tasks, const ExecutorConfig& config,
               TaskRunner& runner);
  // Makes the initially ready tasks ready and dispatches at the current time. Call once, then run the kernel.
  void begin();
  // Called by the runner when a task completes (now).
  void finish(std::uint32_t task);
  // After the kernel ran dry: checks completion and the schedule, and returns it. Throws SimulationError.
  [[nodiscard]] ScheduleResult result() const;

 private:
  void handle_event(std::uint64_t arg) override;  // the dispatch event
  void request_dispatch();
  void dispatch();

  const TaskSet& tasks_;
  ExecutorConfig config_;
  TaskRunner& runner_;
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<std::uint64_t> rdep_offsets_;
  std::vector<std::uint32_t> rdep_ids_;
  std::vector<std::uint32_t> waiting_on_;  // unfinished dependencies per task
  std::vector<std::int64_t> running_;       // task per engine, -1 if idle
  std::vector<Picoseconds> start_ps_, end_ps_, busy_ps_;
  std::vector<std::uint32_t> engine_of_task_;
  std::vector<std::uint8_t> started_, finished_;
  std::uint64_t finished_count_ = 0;
  bool dispatch_pending_ = false;
  bool begun_ = false;
  Counter& tasks_done_;
};

}  // namespace tnpu
