#pragma once
// One pass (FP, BP or GD) of one layer end to end: lower to a GEMM, choose a mapping under the buffer capacity, then
// run the tiles through the DMA engine, a memory model and an engine (PE array or vector unit) with double
// buffering, in one Simulation.
//
// Timing: a tile's compute starts when its operands are loaded, the engine is free and at most one output store is
// in flight; with double buffering the loads of tile i+2 start when tile i's compute ends (tile i+1 loads meanwhile).
// Cycles are durations in engine clock cycles: compute_cycles = sum of the tiles' engine cycles, total_cycles =
// ceil(end / period), stall_cycles = total - compute (the engine idle, waiting for memory). SCALE-Sim counts the
// index of the last cycle: scalesim_total_cycles = total_cycles - 1, equal to its "Total Cycles" for the same array,
// dataflow and layer when memory is ideal and the layer is one tile.
//
// Memory models are chosen by name from an explicit registry (memory_models()): "ideal" (no memory time; traffic is
// still counted), "fixed" (FixedLatencyMemory), "dram" (the cycle-level DramController) and "sampled" (SampledMemory:
// the DramController in detailed windows, pipes at its measured per-class rates between them) and "external" (a
// target the caller supplies per run in MemoryModelConfig::external: a Python memory model, through the bindings).
//
// Contract: simulate_pass() is deterministic and self-contained (its own Simulation); it throws ConfigError for a
// bad configuration or a layer that does not fit the buffer (the message names the layer and the buffer).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tnpu/compute/pe_array.hpp"
#include "tnpu/compute/vector_unit.hpp"
#include "tnpu/mem/dma_engine.hpp"
#include "tnpu/mem/dram_controller.hpp"
#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/mem/fixed_latency_memory.hpp"
#include "tnpu/mem/sampled_memory.hpp"
#include "tnpu/mem/sram_buffer.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/workload/tile_pipeline.hpp"
#include "tnpu/workload/tiling.hpp"

namespace tnpu::workload {

struct MemoryModelConfig {
  std::string model = "ideal";
  // "fixed"
  Picoseconds latency_ps = 100'000;
  std::uint32_t queue_depth = 64;
  Picoseconds issue_interval_ps = 3'743;  // 64 B at 17.1 GB/s
  std::uint64_t max_request_bytes = 0;    // multi-line requests (bursts) accepted up to this size (0: none)
  // "dram": the cycle-level DRAM controller (DramController) with this organisation and timing
  DramSpec dram;
  // "sampled": the DRAM controller above in detailed windows, measured per-class pipes between them
  SampledMemoryConfig sampled;
  // "external": makes the target in the run's simulation (e.g. a CallbackMemory over a Python object); not bound
  // as a field, set by the bindings for one call.
  std::function<Target&(Simulation&)> external;
};

struct MemoryModel {
  std::string name;
  std::string description;
  bool ideal = false;  // no memory time: the pass is not simulated event by event
  std::function<Target&(Simulation&, const MemoryModelConfig&)> make;
};

class MemoryModelRegistry {
 public:
  void add(MemoryModel model);
  // Throws ConfigError "memory.model: unknown memory model 'x' (known: ideal, fixed)".
  [[nodiscard]] const MemoryModel& get(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::vector<MemoryModel> models_;
};

void register_builtin_memory_models(MemoryModelRegistry& registry);
[[nodiscard]] const MemoryModelRegistry& memory_models();

struct PassConfig;

// What the tiling and the pass need from an engine: the cost of a GEMM tile, the tile-size granule per GEMM dim,
// its PE count and a label for its dataflow. The engine object lives in `owner` so that `cost` stays valid.
struct EngineSetup {
  std::shared_ptr<const void> owner;
  TileCostFn cost;
  std::uint64_t granule_m = 1, granule_k = 1, granule_n = 1;
  std::uint64_t pes = 0;
  std::string dataflow;
};

// Engines by name ("pe_array": PU-c, "vector_unit": PU-f): an explicit registry like the memory models.
struct EngineModel {
  std::string name;
  std::string description;
  std::function<EngineSetup(const PassConfig&)> make;
};

class EngineRegistry {
 public:
  void add(EngineModel engine);
  // Throws ConfigError "engine: unknown engine 'x' (known: pe_array, vector_unit)".
  [[nodiscard]] const EngineModel& get(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::vector<EngineModel> engines_;
};

void register_builtin_engines(EngineRegistry& registry);
[[nodiscard]] const EngineRegistry& engines();

struct PassConfig {
  std::string engine = "pe_array";  // "pe_array" (PU-c) or "vector_unit" (PU-f)
  compute::PeArrayConfig pe_array;
  compute::VectorUnitConfig vector_unit;
  mem::SramBufferConfig buffer;
  mem::DmaEngineConfig dma;
  MemoryModelConfig memory;
  Picoseconds clock_period_ps = 2'500;  // 400 MHz
  std::string dtype = "fp32";
  // A given mapping instead of the search (tile_m == 0: search).
  std::uint64_t tile_m = 0, tile_k = 0, tile_n = 0;
  std::string order = "mnk";
  // Mapping search objective: "traffic" (fewest DRAM bytes) or "time" (shortest estimated pass, using the memory
  // model's bandwidth: request_bytes per issue_interval_ps for "fixed", unlimited for "ideal").
  std::string objective = "traffic";
  double compute_slack = 0.05;  // "traffic": only mappings within this fraction of the fastest compute
  // The result accumulates into the tensor in DRAM (read-modify-write), e.g. FC dW per sample of a batch.
  bool accumulate = false;
  void validate() const;
};

struct PassResult {
  std::string layer, phase, engine, memory_model, dataflow;
  compute::GemmShape gemm;
  std::uint64_t groups = 1;
  std::string a_tensor, b_tensor, c_tensor;
  Mapping mapping;
  std::uint64_t tiles = 0;
  std::uint64_t macs = 0;
  std::uint64_t total_cycles = 0, compute_cycles = 0, stall_cycles = 0;
  Picoseconds total_ps = 0;
  std::uint64_t pes = 0;
  double utilization = 0.0;         // macs / (total_cycles * pes)
  double mapping_efficiency = 0.0;  // fold-weighted mean over tiles
  double compute_util = 0.0;        // fold-weighted mean over tiles (SCALE-Sim's definition)
  std::uint64_t dram_bytes_read = 0, dram_bytes_written = 0, dram_requests = 0;
  std::uint64_t dram_a_read_bytes = 0, dram_b_read_bytes = 0, dram_c_read_bytes = 0, dram_c_write_bytes = 0;
  std::uint64_t sram_reads[mem::kNumOperands] = {0, 0, 0};   // words, per operand (ifmap, filter, ofmap)
  std::uint64_t sram_writes[mem::kNumOperands] = {0, 0, 0};
  std::uint64_t events = 0;
  [[nodiscard]] std::uint64_t scalesim_total_cycles() const noexcept { return total_cycles ? total_cycles - 1 : 0; }
};

// A pass planned but not run: every field of PassResult but the timing (which is the memory-free one: total =
// compute cycles) and, if asked for, its tiles with DRAM addresses under the pass's own layout: the operand regions
// A, B, C one after the other from address 0 (operand_base / operand_bytes, 4 KiB aligned). The accelerator moves
// the regions to where its tensors live; simulate_pass() runs the tiles as they are.
struct PassPlan {
  PassResult result;
  std::vector<TileWork> tiles;
  std::array<std::uint64_t, 3> operand_base{}, operand_bytes{};
};
[[nodiscard]] PassPlan plan_pass(const LayerShape& shape, Phase phase, const PassConfig& config,
                                 std::string_view layer_name, bool with_tiles);

[[nodiscard]] PassResult simulate_pass(const LayerShape& shape, Phase phase, const PassConfig& config,
                                       std::string_view layer_name = "layer");

// Element-wise work on the vector unit (ReLU, pooling, loss, weight update) as a pass: its bytes (the unit's bytes
// per element times the elements) stream through the buffer by the accelerator's chunking rule (stream_plan.hpp);
// each chunk loads its inputs, computes its share of the operations on the lanes and stores its outputs, through
// the same DMA, memory and double buffering as simulate_pass. Throws ConfigError when the buffer cannot hold one
// element (double-buffered). Fields of PassResult that concern GEMMs stay 0.
[[nodiscard]] PassResult simulate_elementwise(compute::ElementwiseKind kind, std::uint64_t elements,
                                              std::uint64_t window, const PassConfig& config,
                                              std::string_view name = "elementwise");

}  // namespace tnpu::workload
