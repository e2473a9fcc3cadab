#pragma once
// Task records as they arrive from Python (tnpu.workloads.TaskArrays: a training graph or a compute trace), handed
// over in one call as columns of int64 values, checked and turned into the one task-graph type, TaskSet
// (tnpu/sched/task_set.hpp), positions in the records' order and `ids` their task ids.
//
// Checks: task ids are unique and non-negative, every dependency names an existing task other than itself, the
// dependency graph is acyclic (TaskSet::topological_order), and the records are consistent (phase and layer kind
// codes in range, sizes non-negative, a recorded end cycle not before its start, each phase's MACs within int64).
// Any violation throws tnpu::ConfigError whose message names the task ids involved (for a cycle, the ids along it).
#include <cstdint>
#include <span>

#include "tnpu/layer_kind.hpp"
#include "tnpu/phase.hpp"
#include "tnpu/sched/task_set.hpp"

namespace tnpu::workload {

using tnpu::Phase;  // one Phase enum for workloads, schedulers and the accelerator (tnpu/phase.hpp)
using tnpu::phase_name;
using tnpu::kNumLayerKinds;  // tnpu/layer_kind.hpp

// The columns of the task records; every span has the same length (the task count).
struct TaskColumns {
  std::span<const std::int64_t> id, instance, phase, layer, layer_kind, m, n, k, macs, bytes_in, bytes_out,
      start_cycle, end_cycle;
};

// dep_offsets has one entry per task plus one (CSR); dep_ids holds task ids. A task's class is kMatrix for conv FP,
// BP and GD and kVector otherwise (what tnpu.workloads.TaskArrays.schedule_arrays assigns); a WU task's instance is
// kBatchInstance.
[[nodiscard]] TaskSet task_set_from_records(const TaskColumns& columns, std::span<const std::int64_t> dep_offsets,
                                            std::span<const std::int64_t> dep_ids);

}  // namespace tnpu::workload
