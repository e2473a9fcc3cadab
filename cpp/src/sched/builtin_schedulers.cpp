#include "tnpu/sched/builtin_schedulers.hpp"

#include "tnpu/error.hpp"

namespace tnpu {

const std::vector<SchedulerEntry>& scheduler_registry() {
  // Filled once, on first use (thread-safe), then read-only.
  static const std::vector<SchedulerEntry> registry = {
      {"inorder", "one task at a time on the whole machine, in program order (DaDianNao-style time multiplexing)",
       make_inorder_scheduler},
      {"split", "each engine runs its own tasks in program order; no cross-instance interleaving (DNPU-style)",
       make_split_scheduler},
      {"reorder",
       "per engine, the oldest ready task from a window of in-flight instances (TNPU's simplified out-of-order)",
       make_reorder_scheduler},
  };
  return registry;
}

std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config) {
  std::string names;
  for (const SchedulerEntry& e : scheduler_registry()) {
    if (e.name == config.name) return e.make(config);
    names += (names.empty() ? "" : ", ") + e.name;
  }
  throw ConfigError("scheduler.name: unknown scheduler '" + config.name + "' (valid: " + names + ")");
}

void check_scheduler(const SchedulerConfig& config) {
  if (!config.external) (void)make_scheduler(config);
}

}  // namespace tnpu
