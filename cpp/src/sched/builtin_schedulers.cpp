// The built-in schedulers, one `add` line each; each factory is defined in its own <name>_scheduler.cpp.
#include "tnpu/error.hpp"
#include "tnpu/sched/scheduler.hpp"

namespace tnpu {

std::unique_ptr<Scheduler> make_inorder_scheduler(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_split_scheduler(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_reorder_scheduler(const SchedulerConfig& config);

void register_builtin_schedulers(SchedulerRegistry& registry) {
  const SchedulerConfig d;
  registry.add("inorder",
               "one task at a time on the whole machine, in program order (DaDianNao-style time multiplexing)",
               make_inorder_scheduler);
  registry.add("split", "each engine runs its own tasks in program order; no cross-instance interleaving (DNPU-style)",
               make_split_scheduler);
  registry.add("reorder",
               "per engine, the oldest ready task from a window of in-flight instances (TNPU's simplified "
               "out-of-order)",
               {{"scheduler.window", "instances", default_text(d.window),
                 "instances in flight at most (0: unbounded; tnpu.simulate bounds it by the activation stash)"}},
               make_reorder_scheduler);
}

const SchedulerRegistry& schedulers() {
  static const auto registry = make_registry("scheduler", register_builtin_schedulers);
  return registry;
}

std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config) {
  return schedulers().at(config.name, "scheduler.name").factory(config);
}

void check_scheduler(const SchedulerConfig& config) {
  if (!config.external) (void)schedulers().at(config.name, "scheduler.name");
}

}  // namespace tnpu
