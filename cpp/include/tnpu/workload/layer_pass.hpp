#pragma once
// One pass (FP, BP or GD) of one layer planned: lowered to a GEMM, a mapping chosen under the buffer capacity (or
// checked), and its tiles with their DMA transfers and engine cycles. Running it is the accelerator's (a one-engine
// accelerator running one task: tnpu::simulate_pass in accelerator.hpp), so that one code assembles every machine.
//
// The memory model is chosen by name from mem::memory_models() (mem/memory_model.hpp) and the engine from
// compute::engines() (compute/engine.hpp).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tnpu/compute/engine.hpp"
#include "tnpu/compute/pe_array.hpp"
#include "tnpu/compute/vector_unit.hpp"
#include "tnpu/mem/dma_engine.hpp"
#include "tnpu/mem/memory_model.hpp"
#include "tnpu/mem/sram_buffer.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/workload/tile_plan.hpp"
#include "tnpu/workload/tiling.hpp"

namespace tnpu::workload {

using MemoryModelConfig = mem::MemoryModelConfig;
using EngineSetup = compute::EngineSetup;

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
  std::uint64_t events = 0;  // kernel events of the run (tnpu::simulate_pass)
  [[nodiscard]] std::uint64_t scalesim_total_cycles() const noexcept { return total_cycles ? total_cycles - 1 : 0; }
};

// A pass planned but not run: every field of PassResult but the timing (which is the memory-free one: total =
// compute cycles) and, if asked for, its tiles with DRAM addresses under the pass's own layout: the operand regions
// A, B, C one after the other from address 0 (operand_base / operand_bytes, 4 KiB aligned). The accelerator moves
// the regions to where its tensors live.
struct PassPlan {
  PassResult result;
  std::vector<TileWork> tiles;
  std::array<std::uint64_t, 3> operand_base{}, operand_bytes{};
};
[[nodiscard]] PassPlan plan_pass(const LayerShape& shape, Phase phase, const PassConfig& config,
                                 std::string_view layer_name, bool with_tiles);

}  // namespace tnpu::workload
