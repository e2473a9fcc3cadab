#pragma once
// The tasks of a training graph as schedulers and the workload see them: one per (instance, phase, layer), plus one
// WU per layer per batch, with their dependencies as CSR arrays. This is the form in which a training graph crosses
// into C++ (in one piece).
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "tnpu/phase.hpp"

namespace tnpu {


// Which kind of engine a task needs: GEMM-heavy convolution work (a PE array) or vector work (FC matrix-vector,
// outer products, element-wise layers, weight update). A preset maps each class to one of its engines.
enum class TaskClass : std::uint8_t { kMatrix = 0, kVector = 1 };
inline constexpr std::uint32_t kNumTaskClasses = 2;

// Instance id of batch-level tasks (WU): they belong to no single training instance.
inline constexpr std::uint32_t kBatchInstance = std::numeric_limits<std::uint32_t>::max();

struct TaskInfo {
  std::uint32_t instance = 0;  // training instance, or kBatchInstance
  std::uint32_t layer = 0;
  Phase phase = Phase::kFP;
  TaskClass task_class = TaskClass::kMatrix;
};

// The one task-graph type: the tasks of a training run, addressed by position 0..size()-1, with their dependencies
// as CSR arrays of positions (deps of task i are dep_ids[dep_offsets[i] .. dep_offsets[i+1])). `ids` optionally
// labels the tasks (the task ids of Python's records and of compute traces); without it a task's id is its position.
//
// Two checks: validate() is the scheduler's contract (positions are the program order, what an in-order machine
// would run, so every dependency comes earlier and the graph is acyclic); topological_order() accepts any order and
// finds a cycle if there is one. Both throw ConfigError naming the task ids involved. A TaskSet built from task
// records (workload/task_records.hpp) is checked by topological_order().
struct TaskSet {
  std::vector<TaskInfo> tasks;
  std::vector<std::uint64_t> dep_offsets;  // size tasks.size() + 1
  std::vector<std::uint32_t> dep_ids;      // positions
  std::vector<std::int64_t> ids;           // labels, one per task, or empty (id = position)

  [[nodiscard]] std::size_t size() const noexcept { return tasks.size(); }
  [[nodiscard]] std::int64_t id(std::uint32_t position) const noexcept {
    return ids.empty() ? static_cast<std::int64_t>(position) : ids[position];
  }
  void validate() const;
  // Reverse edges (CSR): the tasks that wait for each task, each list in increasing position.
  void dependents(std::vector<std::uint64_t>& offsets, std::vector<std::uint32_t>& ids_out) const;
  [[nodiscard]] std::string describe(std::uint32_t position) const;  // "task 12 (i3 FP layer 2)"

  // A topological order (Kahn's algorithm, smallest position first among ready tasks: deterministic) and, per task,
  // the number of tasks on the longest dependency chain ending at it (1 for a task without deps). Throws
  // ConfigError "dependency cycle through task ids a -> b -> ... -> a" when there is none.
  struct Order {
    std::vector<std::uint32_t> order, depth;
  };
  [[nodiscard]] Order topological_order() const;
};

}  // namespace tnpu
