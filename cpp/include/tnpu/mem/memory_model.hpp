#pragma once
// Memory models by name, for a layer pass and for the accelerator: "ideal" (no memory time; traffic is still
// counted), "fixed" (FixedLatencyMemory), "dram" (the cycle-level DramController), "sampled" (SampledMemory: the
// DramController in detailed windows, pipes at its measured per-class rates between them) and "external" (a target
// the caller supplies per run in MemoryModelConfig::external: a Python memory model, through the bindings).
//
// Contract: a model's `make` builds its target inside the given Simulation (which owns it) from the fields of
// MemoryModelConfig it lists as parameters; an ideal model has no `make` (the caller skips event simulation).
// Adding a memory model: its factory in memory_model.cpp and one `add` line there.
#include <cstdint>
#include <functional>
#include <string>

#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/mem/sampled_memory.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/sim/registry.hpp"

namespace tnpu::mem {

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
  bool ideal = false;  // no memory time: the pass is not simulated event by event
  std::function<Target&(Simulation&, const MemoryModelConfig&)> make;
};

using MemoryModelRegistry = Registry<MemoryModel>;

void register_builtin_memory_models(MemoryModelRegistry& registry);
// The process-wide registry with the built-in memory models (built on first use; thread-safe). Unknown names throw
// ConfigError "memory.model: unknown memory model 'x' (known: ideal, fixed, ...)" through at(name, "memory.model").
[[nodiscard]] const MemoryModelRegistry& memory_models();

}  // namespace tnpu::mem
