#include "tnpu/sched/callback_scheduler.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "tnpu/error.hpp"
#include "tnpu/sim/kernel.hpp"

namespace tnpu {

CallbackScheduler::CallbackScheduler(const Kernel& kernel, std::uint32_t window, PickFn pick,
                                     CallbackSchedulerBuffers buffers)
    : kernel_(kernel), window_(window), pick_(std::move(pick)), buffers_(buffers) {
  if (!pick_) throw std::invalid_argument("CallbackScheduler: no pick callback");
}

void CallbackScheduler::reset(const TaskSet& tasks, const std::vector<std::uint32_t>& engine_of_class,
                              std::uint32_t num_engines) {
  const std::size_t n = tasks.size();
  auto own = [](auto& span, auto& storage, std::size_t size, const char* what) {
    if (span.empty()) {
      storage.assign(size, {});
      span = {storage.data(), storage.size()};
    } else if (span.size() < size) {
      throw std::invalid_argument(std::string("CallbackScheduler: the ") + what + " buffer holds " +
                                  std::to_string(span.size()) + " entries, " + std::to_string(size) + " needed");
    }
  };
  own(buffers_.rows, own_rows_, n, "rows");
  own(buffers_.running, own_running_, num_engines, "running");
  own(buffers_.finished, own_finished_, n, "finished");
  std::fill_n(buffers_.running.begin(), num_engines, std::int64_t{-1});
  std::fill_n(buffers_.finished.begin(), n, std::uint8_t{0});
  tasks_ = &tasks;
  engine_of_class_ = engine_of_class;
  ready_.assign(num_engines, {});
  ready_ps_.assign(n, 0);
  row_task_.assign(n, 0);
  window_.reset(tasks);
  decisions_ = 0;
}

std::uint32_t CallbackScheduler::engine_of(std::uint32_t task) const {
  return engine_of_class_[static_cast<std::size_t>(tasks_->tasks[task].task_class)];
}

void CallbackScheduler::ready(std::uint32_t task) {
  ready_ps_[task] = kernel_.now();
  ready_[engine_of(task)].insert(task);
}

std::optional<std::uint32_t> CallbackScheduler::pick(std::uint32_t engine) {
  const std::set<std::uint32_t>& candidates = ready_[engine];
  if (candidates.empty()) return std::nullopt;
  std::size_t n = 0;
  for (const std::uint32_t task : candidates) {
    const TaskInfo& t = tasks_->tasks[task];
    const bool batch = t.instance == kBatchInstance;
    if (!window_.allows(t.instance)) continue;  // the window is full
    ReadyRow& row = buffers_.rows[n];
    row.task_id = task;
    row.layer = t.layer;
    row.instance = batch ? -1 : static_cast<std::int64_t>(t.instance);
    row.ready_ps = ready_ps_[task];
    row.phase = static_cast<std::uint8_t>(t.phase);
    row.task_class = static_cast<std::uint8_t>(t.task_class);
    row_task_[n] = task;
    ++n;
  }
  if (n == 0) return std::nullopt;
  ++decisions_;
  const std::int64_t r = pick_(engine, std::span<const ReadyRow>(buffers_.rows.data(), n), kernel_.now());
  if (r == -1) return std::nullopt;
  if (r < 0 || static_cast<std::uint64_t>(r) >= n) {
    throw std::out_of_range("CallbackScheduler: the policy returned row " + std::to_string(r) + " of " +
                            std::to_string(n) + " ready rows");
  }
  return row_task_[static_cast<std::size_t>(r)];
}

void CallbackScheduler::started(std::uint32_t task) {
  const std::uint32_t e = engine_of(task);
  ready_[e].erase(task);
  buffers_.running[e] = task;
  window_.started(tasks_->tasks[task].instance);
}

void CallbackScheduler::done(std::uint32_t task) {
  buffers_.running[engine_of(task)] = -1;
  buffers_.finished[task] = 1;
  window_.finished(tasks_->tasks[task].instance);
}

}  // namespace tnpu
