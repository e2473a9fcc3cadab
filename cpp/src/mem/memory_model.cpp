#include "tnpu/mem/memory_model.hpp"

#include <vector>

#include "tnpu/error.hpp"
#include "tnpu/mem/dram_controller.hpp"
#include "tnpu/mem/fixed_latency_memory.hpp"

namespace tnpu::mem {

namespace {

Target& make_fixed(Simulation& sim, const MemoryModelConfig& c) {
  FixedLatencyMemoryConfig f;
  f.latency_ps = c.latency_ps;
  f.queue_depth = c.queue_depth;
  f.issue_interval_ps = c.issue_interval_ps;
  f.max_request_bytes = c.max_request_bytes;
  return sim.make<FixedLatencyMemory>("dram", f);
}

Target& make_dram(Simulation& sim, const MemoryModelConfig& c) { return sim.make<DramController>("dram", c.dram); }

Target& make_sampled(Simulation& sim, const MemoryModelConfig& c) {
  auto& dram = sim.make<DramController>("dram", c.dram);
  return sim.make<SampledMemory>("sampled", dram, c.sampled);
}

Target& make_external(Simulation& sim, const MemoryModelConfig& c) {
  if (!c.external) {
    throw ConfigError("memory.model: 'external' needs a memory object, given as tnpu.simulate(..., memory=obj)");
  }
  return c.external(sim);
}

}  // namespace

void register_builtin_memory_models(MemoryModelRegistry& registry) {
  const MemoryModelConfig d;
  const SampledMemoryConfig& s = d.sampled;
  const ParamInfo dram{"memory.dram", "", d.dram.standard,
                       "the DRAM system (DramSpec: standard, organisation, timing, policies; see the "
                       "'dram_standard' and 'address_mapping' areas)"};
  registry.add("ideal", "no memory time (traffic is still counted)", MemoryModel{true, nullptr});
  registry.add("fixed", "fixed latency, bounded queue, one request start per issue_interval_ps",
               {{"memory.latency_ps", "ps", default_text(d.latency_ps), "latency of every request"},
                {"memory.queue_depth", "requests", default_text(d.queue_depth), "requests in flight at most"},
                {"memory.issue_interval_ps", "ps", default_text(d.issue_interval_ps),
                 "time between request starts (the bandwidth: request bytes per interval)"},
                {"memory.max_request_bytes", "B", default_text(d.max_request_bytes),
                 "multi-line requests accepted up to this size (0: one line each)"}},
               MemoryModel{false, make_fixed});
  registry.add("dram", "cycle-level DRAM controller (JEDEC timing, FR-FCFS, refresh)", {dram},
               MemoryModel{false, make_dram});
  registry.add("sampled", "the cycle-level DRAM controller in detailed windows, measured per-class pipes between",
               {dram,
                {"memory.sampled.design", "", s.design, "mix (per-class detail share) or periodic"},
                {"memory.sampled.warmup_ps", "ps", default_text(s.warmup_ps),
                 "detailed, unmeasured time after each switch from fast mode"},
                {"memory.sampled.window_ps", "ps", default_text(s.window_ps), "measured part of a detailed window"},
                {"memory.sampled.min_class_ps", "ps", default_text(s.min_class_ps),
                 "measured time before a traffic class may run fast"},
                {"memory.sampled.detail_fraction", "", default_text(s.detail_fraction),
                 "measured share of each class's time (mix) or of the run (periodic)"},
                {"memory.sampled.target_rel_se", "", default_text(s.target_rel_se),
                 "mix: windows thin to a tenth once the run's sampling SE is within this share (0: never)"},
                {"memory.sampled.burst_lines", "lines", default_text(s.burst_lines),
                 "largest request in fast mode"},
                {"memory.sampled.fallback_rel_se", "", default_text(s.fallback_rel_se),
                 "relative standard error of a line time measured in fewer than 2 episodes"}},
               MemoryModel{false, make_sampled});
  registry.add("external", "a memory target the caller supplies (a Python object: tnpu.simulate(..., memory=obj))",
               MemoryModel{false, make_external});
}

const MemoryModelRegistry& memory_models() {
  static const auto registry = make_registry("memory model", register_builtin_memory_models);
  return registry;
}

}  // namespace tnpu::mem
