#include "tnpu/sched/executor.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "tnpu/error.hpp"

namespace tnpu {

DurationRunner::DurationRunner(Kernel& kernel, std::vector<Picoseconds> duration_ps)
    : kernel_(kernel), duration_ps_(std::move(duration_ps)) {}

void DurationRunner::start(std::uint32_t task, std::uint32_t /*engine*/, TaskExecutor& executor) {
  executor_ = &executor;
  kernel_.schedule_in(duration_ps_.at(task), *this, task, Priority::kCompletion);
}

void DurationRunner::handle_event(std::uint64_t task) { executor_->finish(static_cast<std::uint32_t>(task)); }

void ExecutorConfig::validate() const {
  if (engines.empty()) throw ConfigError("engines: at least one engine is needed");
  if (engine_of_class.size() != kNumTaskClasses) {
    throw ConfigError("engine_of_class: needs one engine index per task class (matrix, vector), got " +
                      std::to_string(engine_of_class.size()));
  }
  for (std::size_t c = 0; c < engine_of_class.size(); ++c) {
    if (engine_of_class[c] >= engines.size()) {
      throw ConfigError("engine_of_class[" + std::to_string(c) + "]: engine " + std::to_string(engine_of_class[c]) +
                        " does not exist (" + std::to_string(engines.size()) + " engines)");
    }
  }
}

TaskExecutor::TaskExecutor(Simulation& sim, std::string_view name, const TaskSet& tasks,
                           const ExecutorConfig& config, TaskRunner& runner)
    : Module(sim, name),
      tasks_(tasks),
      config_(config),
      runner_(runner),
      tasks_done_(add_counter("tasks_done", "count", "tasks completed")) {
  config_.validate();
  tasks_.validate();
  scheduler_ = config_.scheduler.external ? config_.scheduler.external(kernel()) : make_scheduler(config_.scheduler);
  if (!scheduler_) throw ConfigError("scheduler: the external scheduler factory returned nothing");
  const std::size_t n = tasks_.size();
  tasks_.dependents(rdep_offsets_, rdep_ids_);
  waiting_on_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    waiting_on_[i] = static_cast<std::uint32_t>(tasks_.dep_offsets[i + 1] - tasks_.dep_offsets[i]);
  }
  running_.assign(config_.engines.size(), -1);
  busy_ps_.assign(config_.engines.size(), 0);
  start_ps_.assign(n, 0);
  end_ps_.assign(n, 0);
  engine_of_task_.assign(n, 0);
  started_.assign(n, 0);
  finished_.assign(n, 0);
  scheduler_->reset(tasks_, config_.engine_of_class, static_cast<std::uint32_t>(config_.engines.size()));
  for (std::size_t e = 0; e < config_.engines.size(); ++e) {
    add_formula(config_.engines[e].name + "_busy_ps", "ps", "time engine " + config_.engines[e].name + " was busy",
                [this, e] { return static_cast<double>(busy_ps_[e]); });
  }
}

void TaskExecutor::begin() {
  if (begun_) throw std::logic_error("TaskExecutor::begin called twice");
  begun_ = true;
  for (std::uint32_t i = 0; i < tasks_.size(); ++i) {
    if (waiting_on_[i] == 0) scheduler_->ready(i);
  }
  request_dispatch();
}

void TaskExecutor::request_dispatch() {
  if (dispatch_pending_) return;
  dispatch_pending_ = true;
  // At default priority: every completion at this time is in before anything is picked.
  kernel().schedule_at(now(), *this, 0, Priority::kDefault);
}

void TaskExecutor::handle_event(std::uint64_t /*arg*/) {
  dispatch_pending_ = false;
  dispatch();
}

void TaskExecutor::dispatch() {
  for (std::uint32_t e = 0; e < running_.size(); ++e) {
    if (running_[e] >= 0) continue;
    const std::optional<std::uint32_t> pick = scheduler_->pick(e);
    if (!pick) continue;
    const std::uint32_t t = *pick;
    if (t >= tasks_.size() || started_[t] || waiting_on_[t] != 0 ||
        config_.engine_of_class[static_cast<std::size_t>(tasks_.tasks[t].task_class)] != e) {
      throw SimulationError("scheduler '" + config_.scheduler.name + "' picked " + tasks_.describe(t) +
                            ", which is not ready for engine " + config_.engines[e].name + " (a bug)");
    }
    started_[t] = 1;
    running_[e] = t;
    start_ps_[t] = now();
    engine_of_task_[t] = e;
    scheduler_->started(t);
    runner_.start(t, e, *this);
  }
}

void TaskExecutor::finish(std::uint32_t task) {
  const std::uint32_t e = engine_of_task_[task];
  if (!started_[task] || finished_[task] || running_[e] != static_cast<std::int64_t>(task)) {
    throw SimulationError("TaskExecutor: " + tasks_.describe(task) + " finished without running (a bug)");
  }
  finished_[task] = 1;
  ++finished_count_;
  tasks_done_.inc();
  end_ps_[task] = now();
  busy_ps_[e] += end_ps_[task] - start_ps_[task];
  running_[e] = -1;
  scheduler_->done(task);
  for (std::uint64_t k = rdep_offsets_[task]; k < rdep_offsets_[task + 1]; ++k) {
    const std::uint32_t d = rdep_ids_[k];
    if (--waiting_on_[d] == 0) scheduler_->ready(d);
  }
  request_dispatch();
}

ScheduleResult TaskExecutor::result() const {
  const std::size_t n = tasks_.size();
  if (finished_count_ != n) {
    std::ostringstream msg;
    msg << "simulation stuck: " << n - finished_count_ << " of " << n << " tasks never finished under scheduler '"
        << config_.scheduler.name << "'; first ones: ";
    int shown = 0;
    for (std::uint32_t i = 0; i < n && shown < 8; ++i) {
      if (finished_[i]) continue;
      msg << (shown ? "; " : "") << tasks_.describe(i)
          << (started_[i] ? " started, never finished"
                          : (waiting_on_[i] ? " waits for " + std::to_string(waiting_on_[i]) + " tasks"
                                            : std::string(" ready, never picked")));
      ++shown;
    }
    throw SimulationError(msg.str());
  }
  // The schedule validator: cheap, always on. A violation is a bug in a scheduler or the executor.
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint64_t k = tasks_.dep_offsets[i]; k < tasks_.dep_offsets[i + 1]; ++k) {
      const std::uint32_t d = tasks_.dep_ids[k];
      if (start_ps_[i] < end_ps_[d]) {
        throw SimulationError("schedule validator: " + tasks_.describe(static_cast<std::uint32_t>(i)) +
                              " started at " + std::to_string(start_ps_[i]) + " ps before its input " +
                              tasks_.describe(d) + " ended at " + std::to_string(end_ps_[d]) + " ps");
      }
    }
  }
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0U);
  // Per engine by (start, end): a zero-length task that started and ended at t comes before a task that started at t
  // after it (ordering by start alone reported such a pair as overlapping).
  std::stable_sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
    if (engine_of_task_[a] != engine_of_task_[b]) return engine_of_task_[a] < engine_of_task_[b];
    if (start_ps_[a] != start_ps_[b]) return start_ps_[a] < start_ps_[b];
    return end_ps_[a] < end_ps_[b];
  });
  for (std::size_t k = 1; k < n; ++k) {
    const std::uint32_t a = order[k - 1], b = order[k];
    if (engine_of_task_[a] == engine_of_task_[b] && start_ps_[b] < end_ps_[a]) {
      throw SimulationError("schedule validator: engine " + config_.engines[engine_of_task_[a]].name + " runs " +
                            tasks_.describe(a) + " and " + tasks_.describe(b) + " at once");
    }
  }
  ScheduleResult r;
  r.start_ps = start_ps_;
  r.end_ps = end_ps_;
  r.engine = engine_of_task_;
  r.busy_ps = busy_ps_;
  r.makespan_ps = n ? *std::max_element(end_ps_.begin(), end_ps_.end()) : 0;
  r.scheduler = scheduler_->report();
  return r;
}

}  // namespace tnpu
