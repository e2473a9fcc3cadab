#pragma once
// Accelerator: one preset (tnpu | dadiannao | dnpu | a user's) wired together and run on a whole training graph in
// one call. Engines (a PE array, a vector unit, or both in one time-multiplexed unit) each have a tile pipeline and
// a DMA engine; all DMA engines share ONE memory target (the cycle-level DRAM controller, or the fixed-latency
// bandwidth model), so the contention of concurrent engines is simulated, not split by a formula. A TaskExecutor
// issues the tasks under the chosen scheduler (inorder | split | reorder) and validates the executed schedule.
//
// Task -> tiles: a conv/FC task (FP, BP, GD) is lowered to its GEMM and tiled to the engine's share of the global
// buffer (workload::plan_pass); element-wise tasks (ReLU, pooling, loss, WU, ...) stream their bytes in chunks that
// fit the share, costed by operations on the vector lanes. Plans are made once per (layer, phase, engine) and reused
// for every instance: the tile pipeline moves each transfer to the instance's tensors in DRAM as it issues it
// (workload::Relocation). A single layer pass is this machine with one engine running one task (simulate_pass).
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
#include <string_view>
#include <vector>

#include "tnpu/compute/vector_unit.hpp"

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
  // What one layer pass may fix (simulate_pass): a given mapping of its GEMM passes instead of the search
  // (tile_m == 0: search), and every GEMM pass adding into its output in DRAM (besides GD under gd_accumulate).
  std::uint64_t tile_m = 0, tile_k = 0, tile_n = 0;
  std::string order = "mnk";
  bool accumulate = false;
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
  // Each plan's figures without memory time (mapping, tiles, MACs, bytes, SRAM accesses; element-wise plans have
  // phase "elementwise"), in the order made, and per task the index of its plan.
  std::vector<workload::PassResult> plan_results;
  std::vector<std::uint32_t> plan_of_task;
  std::vector<StatRow> stats;              // every statistic of the simulation (DRAM controller, DMA, executor)
};

// Called as tasks start, about every 1/200 of the tasks, with (tasks started, total): progress bars, and a way to
// stop a long run (an exception it throws leaves simulate_training unchanged, with the simulation discarded).
using ProgressFn = std::function<void(std::uint64_t started, std::uint64_t total)>;

[[nodiscard]] AcceleratorResult simulate_training(const AcceleratorWorkload& workload, const AcceleratorConfig& config,
                                                  const ProgressFn& progress = {});

// One pass (FP, BP or GD) of one layer end to end, as a one-engine accelerator running one task: the engine named by
// config.engine (pe_array: config.pe_array; vector_unit: config.vector_unit) owns the whole buffer, and the machine
// (memory model, DMA engine, tile pipeline, executor) is the one simulate_training assembles. The result is the
// pass's plan (plan_pass: mapping, tiles, bytes, SRAM accesses) with the simulated timing and DRAM traffic.
//
// Timing (accelerator/tile_pipeline.hpp): cycles are durations in engine clock cycles: compute_cycles = sum of the
// tiles' engine cycles, total_cycles = ceil(end / period), stall_cycles = total - compute (the engine idle, waiting
// for memory). SCALE-Sim counts the index of the last cycle: scalesim_total_cycles = total_cycles - 1, equal to its
// "Total Cycles" for the same array, dataflow and layer when memory is ideal and the layer is one tile.
//
// Contract: deterministic and self-contained (its own Simulation); throws ConfigError for a bad configuration or a
// layer that does not fit the buffer (the message names the layer and the buffer).
[[nodiscard]] workload::PassResult simulate_pass(const workload::LayerShape& shape, Phase phase,
                                                 const workload::PassConfig& config,
                                                 std::string_view layer_name = "layer");

// Element-wise work on the vector unit (ReLU, pooling, loss, weight update) as a pass: one element-wise task of the
// same one-engine accelerator, its bytes (the unit's bytes per element times the elements) streaming through the
// buffer in chunks (workload/stream_plan.hpp). Throws ConfigError when the buffer cannot hold one element (double-
// buffered). Fields of PassResult that concern GEMMs stay 0.
[[nodiscard]] workload::PassResult simulate_elementwise(compute::ElementwiseKind kind, std::uint64_t elements,
                                                        std::uint64_t window, const workload::PassConfig& config,
                                                        std::string_view name = "elementwise");

}  // namespace tnpu
