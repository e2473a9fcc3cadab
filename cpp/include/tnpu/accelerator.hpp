#pragma once
// Accelerator: one preset (tnpu | dadiannao | dnpu | a user's) wired together and run on a whole training graph in
// one call. Engines (a PE array, a vector unit, or both in one time-multiplexed unit) each have a tile pipeline and
// a DMA engine; all DMA engines share ONE memory target (the cycle-level DRAM controller, or the fixed-latency
// bandwidth model), so the contention of concurrent engines is simulated, not split by a formula. A TaskExecutor
// issues the tasks under the chosen scheduler (inorder | split | reorder) and validates the executed schedule.
//
// Task -> tiles: a conv/FC task (FP, BP, GD) is lowered to its GEMM and tiled to the engine's share of the global
// buffer (plan_pass: the same planning and tile loop as a single layer pass); element-wise tasks (ReLU, pooling,
// loss, WU, ...) stream their bytes in chunks that fit the share, costed by operations on the vector lanes. Plans are
// made once per (layer, phase, engine) and reused for every instance, relocated to the instance's tensors in DRAM.
//
// DRAM layout: weights W and gradients dW of a layer live once; activations (X, Y, dY, dX, element-wise in/out) live
// per instance slot (instance % address_slots), each tensor 4 KiB aligned, bump-allocated at first use; with the DRAM
// model, addresses beyond its capacity wrap (only the bank/row pattern depends on addresses).
//
// Contract: simulate_training() is deterministic and self-contained (its own Simulation); it throws ConfigError for
// a bad configuration or workload (naming the field, task or layer) and SimulationError if the run gets stuck or
// the schedule validator finds a violation. It touches no Python object (the binding releases the GIL).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tnpu/sched/executor.hpp"
#include "tnpu/sched/scheduler.hpp"
#include "tnpu/sched/task_set.hpp"
#include "tnpu/sim/stats.hpp"
#include "tnpu/workload/layer.hpp"
#include "tnpu/workload/layer_pass.hpp"

namespace tnpu {

struct AcceleratorEngine {
  std::string name;                  // "pu_c", "pu_f", "array"
  std::uint64_t array_rows = 0;      // PE array (0: none)
  std::uint64_t array_cols = 0;
  std::string dataflow = "os";
  std::uint64_t lanes = 0;           // vector lanes (0: none)
  double buffer_share = 1.0;         // fraction of the global buffer this engine's tiles may use
  [[nodiscard]] bool has_array() const noexcept { return array_rows > 0 && array_cols > 0; }
};

struct AcceleratorConfig {
  std::vector<AcceleratorEngine> engines;
  std::vector<std::uint32_t> engine_of_class = {0, 0};  // engine index for matrix and for vector tasks
  SchedulerConfig scheduler;
  // Buffer (the whole global buffer), DMA, memory model, clock, data type and mapping search; its engine,
  // pe_array, vector_unit, tile and accumulate fields are set per engine and task.
  workload::PassConfig pass;
  // GD tasks add their weight gradient into dW in DRAM (read-modify-write of every output tile): right when a batch
  // is split into several instances, each contributing its part of dW.
  bool gd_accumulate = true;
  std::uint32_t address_slots = 8;  // activation slots in DRAM (instances in flight sharing addresses beyond this)
  void validate() const;            // throws ConfigError naming the field
};

struct AcceleratorLayer {
  std::string name;
  bool gemm = false;            // conv or linear: lowered to GEMMs; otherwise element-wise
  workload::LayerShape shape;   // for GEMM layers (n = samples per instance)
};

// Per task (parallel to TaskSet::tasks): the element-wise work of non-GEMM tasks (and WU).
struct AcceleratorTaskWork {
  std::uint64_t vector_ops = 0, bytes_in = 0, bytes_out = 0;
};

struct AcceleratorWorkload {
  TaskSet tasks;  // program order; class decides the engine (engine_of_class)
  std::vector<AcceleratorTaskWork> work;
  std::vector<AcceleratorLayer> layers;
  void validate() const;  // throws ConfigError naming the task or layer
};

struct AcceleratorResult {
  ScheduleResult schedule;
  // per task
  std::vector<std::uint64_t> macs, compute_ps, dram_read_bytes, dram_write_bytes, sram_reads, sram_writes, tiles, pes;
  // totals
  std::uint64_t events = 0;
  std::uint64_t dram_bytes_read = 0, dram_bytes_written = 0, dram_requests = 0;  // what the DMA engines moved
  std::uint64_t dram_capacity_bytes = 0;   // 0 unless the DRAM model is used
  std::uint64_t address_bytes = 0;         // DRAM footprint of the layout (before wrapping)
  std::uint64_t plans = 0;                 // distinct (layer, phase, engine) plans made
  std::vector<StatRow> stats;              // every statistic of the simulation (DRAM controller, DMA, executor)
};

// Called as tasks start, about every 1/200 of the tasks, with (tasks started, total): progress bars, and a way to
// stop a long run (an exception it throws leaves simulate_training unchanged, with the simulation discarded).
using ProgressFn = std::function<void(std::uint64_t started, std::uint64_t total)>;

[[nodiscard]] AcceleratorResult simulate_training(const AcceleratorWorkload& workload, const AcceleratorConfig& config,
                                                  const ProgressFn& progress = {});

}  // namespace tnpu
