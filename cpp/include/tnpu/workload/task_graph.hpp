#pragma once
// The training task graph on the C++ side: the tasks of a training run (FP/BP/GD per layer and instance, WU per
// layer and batch) and their dependencies, handed over from Python in one call as columns of int64 values.
//
// Contract: a TaskGraph is immutable after construction and always valid. The constructor checks that task ids are
// unique and non-negative, that every dependency names an existing task other than itself, that the dependency graph
// is acyclic, and that the records are consistent (phase and layer kind codes in range, sizes non-negative, a
// recorded end cycle not before its start). Any violation throws tnpu::ConfigError whose message names the task ids
// involved (for a cycle, the ids along it). Tasks are addressed by position 0..size()-1; ids are only labels.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "tnpu/layer_kind.hpp"
#include "tnpu/phase.hpp"

namespace tnpu::workload {

using tnpu::Phase;  // one Phase enum for workloads, schedulers and the accelerator (tnpu/phase.hpp)
using tnpu::phase_name;
inline constexpr std::int64_t kNumPhases = kPhaseCount;
using tnpu::kNumLayerKinds;  // tnpu/layer_kind.hpp


struct TaskRecord {
  std::int64_t id = 0;
  std::int64_t instance = 0;  // the batch index for WU tasks
  Phase phase = Phase::kFP;
  std::int64_t layer = 0;
  std::uint8_t layer_kind = 0;
  std::int64_t m = 0;  // implicit-GEMM shape (0 for element-wise tasks)
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t macs = 0;
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  std::int64_t start_cycle = -1;  // recorded timing, -1 when none
  std::int64_t end_cycle = -1;
};

// The columns of a task graph as they arrive from Python; every span has the same length (the task count).
struct TaskColumns {
  std::span<const std::int64_t> id, instance, phase, layer, layer_kind, m, n, k, macs, bytes_in, bytes_out,
      start_cycle, end_cycle;
};

class TaskGraph {
 public:
  // dep_offsets has size()+1 entries (CSR); dep_ids holds task ids. Throws ConfigError on any inconsistency.
  TaskGraph(const TaskColumns& columns, std::span<const std::int64_t> dep_offsets,
            std::span<const std::int64_t> dep_ids);

  [[nodiscard]] std::size_t size() const noexcept { return tasks_.size(); }
  [[nodiscard]] const TaskRecord& task(std::size_t position) const { return tasks_.at(position); }
  // Positions of the tasks that `position` depends on.
  [[nodiscard]] std::span<const std::uint32_t> deps(std::size_t position) const;
  // Positions of the tasks that depend on `position`.
  [[nodiscard]] std::span<const std::uint32_t> dependents(std::size_t position) const;
  [[nodiscard]] std::size_t num_dependencies() const noexcept { return dep_pos_.size(); }
  [[nodiscard]] std::optional<std::size_t> position_of(std::int64_t id) const;
  // A topological order (Kahn's algorithm, smallest position first among ready tasks: deterministic).
  [[nodiscard]] const std::vector<std::uint32_t>& topological_order() const noexcept { return order_; }
  // Per task, the number of tasks on the longest dependency chain ending at it (1 for a task without deps).
  [[nodiscard]] const std::vector<std::uint32_t>& depth() const noexcept { return depth_; }
  [[nodiscard]] std::int64_t macs(Phase phase) const noexcept { return macs_by_phase_[static_cast<std::size_t>(phase)]; }

 private:
  void check_records() const;
  void build_dependencies(std::span<const std::int64_t> dep_offsets, std::span<const std::int64_t> dep_ids);
  void order_and_check_acyclic();

  std::vector<TaskRecord> tasks_;
  std::unordered_map<std::int64_t, std::uint32_t> position_of_id_;
  std::vector<std::uint32_t> dep_begin_;  // size()+1, CSR over dep_pos_
  std::vector<std::uint32_t> dep_pos_;
  std::vector<std::uint32_t> out_begin_;  // size()+1, CSR over out_pos_ (dependents)
  std::vector<std::uint32_t> out_pos_;
  std::vector<std::uint32_t> order_;
  std::vector<std::uint32_t> depth_;
  std::array<std::int64_t, kNumPhases> macs_by_phase_{};
};

}  // namespace tnpu::workload
