#pragma once
// A TaskSet from the numpy columns Python hands over (tnpu.schedule.run_schedule, tnpu.simulate): one entry per
// task in program order, dependencies in CSR form. Checks codes and sizes and throws ConfigError naming the field.
#include <cstdint>
#include <string>

#include "numpy_util.hpp"
#include "tnpu/sched/task_set.hpp"

namespace tnpu::bindings {

inline TaskSet task_set_from_arrays(const InArray<std::uint32_t>& instance, const InArray<std::uint32_t>& layer,
                                    const InArray<std::uint8_t>& phase, const InArray<std::uint8_t>& task_class,
                                    const InArray<std::uint64_t>& dep_offsets, const InArray<std::uint32_t>& dep_ids) {
  const std::size_t n = static_cast<std::size_t>(instance.size());
  TaskSet ts;
  const auto inst = to_vector(instance, "instance", n);
  const auto lay = to_vector(layer, "layer", n);
  const auto ph = to_vector(phase, "phase", n);
  const auto cls = to_vector(task_class, "task_class", n);
  ts.dep_offsets = to_vector(dep_offsets, "dep_offsets", n + 1);
  ts.dep_ids = to_vector(dep_ids, "dep_ids");
  ts.tasks.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (ph[i] > static_cast<std::uint8_t>(Phase::kWU)) {
      throw ConfigError("phase[" + std::to_string(i) + "]: expected 0..3 (FP, BP, GD, WU), got " +
                        std::to_string(ph[i]));
    }
    if (cls[i] >= kNumTaskClasses) {
      throw ConfigError("task_class[" + std::to_string(i) + "]: expected 0 (matrix) or 1 (vector), got " +
                        std::to_string(cls[i]));
    }
    ts.tasks[i] = TaskInfo{inst[i], lay[i], static_cast<Phase>(ph[i]), static_cast<TaskClass>(cls[i])};
  }
  return ts;
}

}  // namespace tnpu::bindings
