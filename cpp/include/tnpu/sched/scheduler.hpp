#pragma once
// Schedulers decide which ready task each idle engine runs next. Chosen by name from a small registry:
//   inorder  one task at a time on the whole machine, in program order (DaDianNao-style time multiplexing);
//   split    each engine runs its own tasks in program order, so engines overlap only where program order lets
//            them; no cross-instance interleaving (DNPU-style separate conv and FC engines);
//   reorder  per engine, the oldest ready task from a window of in-flight instances (TNPU's simplified OoO).
//
// Contract: reset() is called once before anything else. The accelerator then calls ready(id) exactly once per task,
// when all its dependencies have completed; pick(engine) when that engine is idle (it returns a ready task mapped to
// that engine which the policy allows to start now, or nothing); started(id) when a picked task starts and done(id)
// when it completes. A scheduler never returns a task that is not ready, not mapped to the engine, or already picked.
// Decisions depend only on these calls, so a schedule is deterministic.
//
// Besides the registry, a caller may supply its own scheduler per run (SchedulerConfig::external): the bindings use
// it for a Python policy (CallbackScheduler), which is never registered by name.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tnpu/sched/task_set.hpp"
#include "tnpu/sim/interface.hpp"
#include "tnpu/sim/registry.hpp"

namespace tnpu {

class Kernel;
class Scheduler;

struct SchedulerConfig {
  std::string name = "reorder";
  std::uint32_t window = 0;  // reorder: instances in flight at most (0: unbounded)
  // If set, the executor calls it once (with its simulation's kernel, for the time) instead of looking `name` up
  // in the registry; `name` is then only the label in messages.
  std::function<std::unique_ptr<Scheduler>(const Kernel& kernel)> external;
};

struct SchedulerReport {
  std::uint32_t window_limit = 0;  // the configured bound (0: unbounded)
  std::uint32_t window_used = 0;   // most instances in flight at once (started, not finished)
};

class Scheduler : public NonCopyableInterface<Scheduler> {
 public:

  // engine_of_class[c]: the engine index that runs tasks of TaskClass c.
  virtual void reset(const TaskSet& tasks, const std::vector<std::uint32_t>& engine_of_class,
                     std::uint32_t num_engines) = 0;
  virtual void ready(std::uint32_t task) = 0;
  [[nodiscard]] virtual std::optional<std::uint32_t> pick(std::uint32_t engine) = 0;
  virtual void started(std::uint32_t task) = 0;
  virtual void done(std::uint32_t task) = 0;
  [[nodiscard]] virtual SchedulerReport report() const = 0;
};

// The registry of schedulers (sim/registry.hpp): explicit, filled once by register_builtin_schedulers(), read-only
// after (no static self-registration). Adding a scheduler: its source file (defining its make_* factory) and one
// `add` line, with the factory's declaration beside it, in builtin_schedulers.cpp.
using SchedulerFactory = std::function<std::unique_ptr<Scheduler>(const SchedulerConfig&)>;
using SchedulerRegistry = Registry<SchedulerFactory>;
void register_builtin_schedulers(SchedulerRegistry& registry);
[[nodiscard]] const SchedulerRegistry& schedulers();
// Throws ConfigError listing the valid names if `config.name` is unknown (config.external is not consulted).
[[nodiscard]] std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config);
// Throws ConfigError if `config` names no registered scheduler and supplies no external one.
void check_scheduler(const SchedulerConfig& config);

}  // namespace tnpu
