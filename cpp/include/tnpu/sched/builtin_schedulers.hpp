#pragma once
// Factories of the built-in schedulers, gathered into the registry by builtin_schedulers.cpp.
#include <memory>

#include "tnpu/sched/scheduler.hpp"

namespace tnpu {

std::unique_ptr<Scheduler> make_inorder_scheduler(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_split_scheduler(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_reorder_scheduler(const SchedulerConfig& config);

}  // namespace tnpu
