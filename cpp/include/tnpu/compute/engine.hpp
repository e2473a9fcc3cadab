#pragma once
// Engines by name: "pe_array" (PU-c, an R x C systolic array with a dataflow) and "vector_unit" (PU-f, a row of MAC
// lanes). An engine entry turns the engine configs into what tiling and the tile pipeline need from it: the cost of
// a GEMM tile, the tile-size granule per GEMM dimension, its PE count and a label for its dataflow.
//
// Contract: the factory validates the config it reads (ConfigError naming the field) and returns an EngineSetup
// whose `cost` stays valid as long as `owner` lives. Adding an engine: its factory in engine.cpp and one `add` line.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tnpu/compute/dataflow.hpp"
#include "tnpu/compute/pe_array.hpp"
#include "tnpu/compute/vector_unit.hpp"
#include "tnpu/sim/registry.hpp"

namespace tnpu::compute {

// The cycles (and SRAM accesses) of one GEMM tile on an engine.
using GemmCostFn = std::function<GemmCost(const GemmShape&)>;

struct EngineSetup {
  std::shared_ptr<const void> owner;  // the engine object `cost` refers to
  GemmCostFn cost;
  std::uint64_t granule_m = 1, granule_k = 1, granule_n = 1;
  std::uint64_t pes = 0;
  std::string dataflow;
};

using EngineFactory = std::function<EngineSetup(const PeArrayConfig&, const VectorUnitConfig&)>;
using EngineRegistry = Registry<EngineFactory>;

void register_builtin_engines(EngineRegistry& registry);
// The process-wide registry with the built-in engines (built on first use; thread-safe).
[[nodiscard]] const EngineRegistry& engines();

}  // namespace tnpu::compute
