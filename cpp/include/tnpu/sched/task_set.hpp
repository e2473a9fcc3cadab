#pragma once
// The tasks a scheduler orders: one per (instance, phase, layer), plus one WU per layer per batch, with their
// dependencies as CSR arrays. This is the form in which a training graph crosses into C++ (in one piece).
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

// Contract: task ids are 0..size()-1 and their order is the program order (what an in-order machine would run);
// deps of task i are dep_ids[dep_offsets[i] .. dep_offsets[i+1]). validate() checks every dependency names an
// existing task and the graph is acyclic, and throws ConfigError naming the task ids involved otherwise.
struct TaskSet {
  std::vector<TaskInfo> tasks;
  std::vector<std::uint64_t> dep_offsets;  // size tasks.size() + 1
  std::vector<std::uint32_t> dep_ids;

  [[nodiscard]] std::size_t size() const noexcept { return tasks.size(); }
  void validate() const;
  // Reverse edges (CSR): the tasks that wait for each task.
  void dependents(std::vector<std::uint64_t>& offsets, std::vector<std::uint32_t>& ids) const;
  [[nodiscard]] std::string describe(std::uint32_t id) const;  // "task 12 (i3 FP layer 2)"
};

}  // namespace tnpu
