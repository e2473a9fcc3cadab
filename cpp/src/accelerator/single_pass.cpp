// One layer pass and one element-wise pass as a one-engine accelerator running one task (accelerator.hpp).
#include <string>

#include "tnpu/accelerator.hpp"
#include "tnpu/compute/dtype.hpp"
#include "tnpu/error.hpp"

namespace tnpu {

namespace {

// The machine of a single pass: one engine owning the whole buffer, no dW accumulation of its own (the layer asks
// for it), one activation slot.
AcceleratorConfig one_engine(const workload::PassConfig& pass) {
  AcceleratorConfig c;
  AcceleratorEngine e;
  e.name = pass.engine;
  if (pass.engine == "pe_array") {
    e.array_rows = pass.pe_array.rows;
    e.array_cols = pass.pe_array.cols;
    e.dataflow = pass.pe_array.dataflow;
  } else if (pass.engine == "vector_unit") {
    e.lanes = pass.vector_unit.lanes;
  } else {
    throw ConfigError("engine: '" + pass.engine + "' has no accelerator engine (known: pe_array, vector_unit)");
  }
  c.engines = {e};
  c.engine_of_class = {0, 0};
  c.pass = pass;
  c.pass.tile_m = c.pass.tile_k = c.pass.tile_n = 0;  // the layer carries the mapping
  c.pass.accumulate = false;
  c.gd_accumulate = false;
  c.address_slots = 1;
  return c;
}

// One task of one layer: no dependencies, instance 0.
AcceleratorWorkload one_task(AcceleratorLayer layer, Phase phase, TaskClass cls, AcceleratorTaskWork work) {
  AcceleratorWorkload w;
  w.tasks.tasks = {TaskInfo{0, 0, phase, cls}};
  w.tasks.dep_offsets = {0, 0};
  w.work = {work};
  w.layers = {std::move(layer)};
  return w;
}

// The task's plan with the run's timing and traffic (the plan's own memory-free timing for the ideal model).
workload::PassResult pass_result(AcceleratorResult&& run, const workload::PassConfig& config) {
  workload::PassResult res = std::move(run.plan_results.at(run.plan_of_task.at(0)));
  if (!mem::memory_models().at(config.memory.model, "memory.model").factory.ideal) {
    const Picoseconds period = config.clock_period_ps;
    res.total_ps = run.schedule.makespan_ps;
    res.total_cycles = res.total_ps / period + (res.total_ps % period != 0 ? 1 : 0);
    res.dram_bytes_read = run.dram_bytes_read;
    res.dram_bytes_written = run.dram_bytes_written;
    res.dram_requests = run.dram_requests;
  }
  res.events = run.events;
  res.stall_cycles = res.total_cycles - res.compute_cycles;
  res.utilization = res.total_cycles ? static_cast<double>(res.macs) /
                                           (static_cast<double>(res.total_cycles) * static_cast<double>(res.pes))
                                     : 0.0;
  return res;
}

}  // namespace

workload::PassResult simulate_pass(const workload::LayerShape& shape, Phase phase, const workload::PassConfig& config,
                                   std::string_view layer_name) {
  config.validate();
  AcceleratorLayer layer{std::string(layer_name), true, shape};
  layer.tile_m = config.tile_m;
  layer.tile_k = config.tile_k;
  layer.tile_n = config.tile_n;
  layer.order = config.order;
  layer.accumulate = config.accumulate;
  const TaskClass cls = config.engine == "pe_array" ? TaskClass::kMatrix : TaskClass::kVector;
  return pass_result(simulate_training(one_task(std::move(layer), phase, cls, {}), one_engine(config)), config);
}

workload::PassResult simulate_elementwise(compute::ElementwiseKind kind, std::uint64_t elements, std::uint64_t window,
                                          const workload::PassConfig& input, std::string_view name) {
  workload::PassConfig config = input;
  config.engine = "vector_unit";
  config.validate();
  const std::uint32_t bpe = compute::data_type_info(compute::data_type_by_name(config.dtype, "dtype")).bytes;
  const compute::VectorUnit vu(config.vector_unit);
  if (elements == 0) throw ConfigError("elementwise '" + std::string(name) + "': elements must be at least 1");
  if (elements > (std::uint64_t{1} << 40)) {
    throw ConfigError("elementwise '" + std::string(name) + "': at most 2^40 elements");
  }
  // Bytes per element from the unit's own cost of one element.
  const compute::ElementwiseCost one = vu.elementwise_cost(kind, 1, window, bpe);
  const std::uint64_t per_elem = one.bytes_read + one.bytes_written;
  const std::uint64_t copies = config.buffer.double_buffering ? 2 : 1;
  if (config.buffer.capacity_bytes < copies * per_elem) {
    throw ConfigError("elementwise '" + std::string(name) + "': buffer '" + config.buffer.name + "' (capacity_bytes=" +
                      std::to_string(config.buffer.capacity_bytes) + ") cannot hold one element (" +
                      std::to_string(copies) + " x " + std::to_string(per_elem) + " B)");
  }
  const AcceleratorTaskWork work{elements * compute::elementwise_ops_per_element(kind, window),
                                 elements * one.bytes_read, elements * one.bytes_written};
  workload::PassResult res = pass_result(
      simulate_training(one_task(AcceleratorLayer{std::string(name), false, {}}, Phase::kFP, TaskClass::kVector, work),
                        one_engine(config)),
      config);
  if (res.tiles != 0) res.mapping.tile_m = elements / res.tiles + (elements % res.tiles != 0 ? 1 : 0);  // per chunk
  return res;
}

}  // namespace tnpu
