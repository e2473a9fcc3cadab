// Bindings of the accelerator: a whole training graph on one preset in one call (GIL released), results back as
// numpy arrays without a copy.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <tuple>

#include "bindings.hpp"
#include "numpy_util.hpp"
#include "py_hooks.hpp"
#include "task_arrays.hpp"
#include "tnpu/accelerator.hpp"
#include "tnpu/error.hpp"

namespace tnpu::bindings {

namespace {

using LayerTuple = std::tuple<std::string, bool, workload::LayerShape>;
// name, array_rows, array_cols, dataflow, lanes, buffer_share
using EngineTuple = std::tuple<std::string, std::uint64_t, std::uint64_t, std::string, std::uint64_t, double>;

py::dict run(const InArray<std::uint32_t>& instance, const InArray<std::uint32_t>& layer,
             const InArray<std::uint8_t>& phase, const InArray<std::uint8_t>& task_class,
             const InArray<std::uint64_t>& dep_offsets, const InArray<std::uint32_t>& dep_ids,
             const InArray<std::uint64_t>& vector_ops, const InArray<std::uint64_t>& bytes_in,
             const InArray<std::uint64_t>& bytes_out, const std::vector<LayerTuple>& layers,
             const std::vector<EngineTuple>& engines, const std::vector<std::uint32_t>& engine_of_class,
             const std::string& scheduler, std::uint32_t window, const workload::PassConfig& pass,
             bool gd_accumulate, std::uint32_t address_slots, const py::object& progress, const py::object& policy,
             const py::object& memory) {
  // Convert everything while holding the GIL; the simulation itself touches no Python object.
  AcceleratorWorkload w;
  w.tasks = task_set_from_arrays(instance, layer, phase, task_class, dep_offsets, dep_ids);
  const std::size_t n = w.tasks.size();
  const auto ops = to_vector(vector_ops, "vector_ops", n);
  const auto bin = to_vector(bytes_in, "bytes_in", n);
  const auto bout = to_vector(bytes_out, "bytes_out", n);
  w.work.resize(n);
  for (std::size_t i = 0; i < n; ++i) w.work[i] = AcceleratorTaskWork{ops[i], bin[i], bout[i]};
  for (const auto& [name, gemm, shape] : layers) w.layers.push_back(AcceleratorLayer{name, gemm, shape});
  AcceleratorConfig c;
  c.engines.clear();
  for (const auto& [name, rows, cols, dataflow, lanes, share] : engines) {
    c.engines.push_back(AcceleratorEngine{name, rows, cols, dataflow, lanes, share});
  }
  c.engine_of_class = engine_of_class;
  c.pass = pass;
  // Python components (py_hooks.hpp): they own their Python references and outlive the simulation.
  std::optional<PyPolicy> py_policy;
  if (policy.is_none()) {
    c.scheduler = SchedulerConfig{scheduler, window, {}};
  } else {
    std::vector<std::string> names;
    for (const auto& e : c.engines) names.push_back(e.name);
    py_policy.emplace(policy, w.tasks, names);
    c.scheduler = py_policy->config(window);
  }
  std::optional<PyMemory> py_memory;
  if (!memory.is_none()) {
    py_memory.emplace(memory, pass.dma.request_bytes);
    py_memory->install(c.pass.memory);
  }
  c.gd_accumulate = gd_accumulate;
  c.address_slots = address_slots;
  ProgressFn report;
  if (!progress.is_none()) {
    // Called with the GIL released: take it, let Ctrl-C through (PyErr_CheckSignals), call the Python callable.
    // A Python exception becomes error_already_set, which unwinds the simulation and reaches the caller.
    report = [&progress](std::uint64_t started, std::uint64_t total) {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      progress(started, total);
    };
  }
  AcceleratorResult r;
  {
    py::gil_scoped_release release;
    r = simulate_training(w, c, report);
  }
  py::dict out;
  out["start_ps"] = to_numpy(std::move(r.schedule.start_ps));
  out["end_ps"] = to_numpy(std::move(r.schedule.end_ps));
  out["engine"] = to_numpy(std::move(r.schedule.engine));
  out["busy_ps"] = to_numpy(std::move(r.schedule.busy_ps));
  out["makespan_ps"] = r.schedule.makespan_ps;
  out["window_limit"] = r.schedule.scheduler.window_limit;
  out["window_used"] = r.schedule.scheduler.window_used;
  out["macs"] = to_numpy(std::move(r.macs));
  out["compute_ps"] = to_numpy(std::move(r.compute_ps));
  out["dram_read_bytes"] = to_numpy(std::move(r.dram_read_bytes));
  out["dram_write_bytes"] = to_numpy(std::move(r.dram_write_bytes));
  out["sram_reads"] = to_numpy(std::move(r.sram_reads));
  out["sram_writes"] = to_numpy(std::move(r.sram_writes));
  out["tiles"] = to_numpy(std::move(r.tiles));
  out["pes"] = to_numpy(std::move(r.pes));
  out["events"] = r.events;
  out["dram_bytes_read"] = r.dram_bytes_read;
  out["dram_bytes_written"] = r.dram_bytes_written;
  out["dram_requests"] = r.dram_requests;
  out["dram_capacity_bytes"] = r.dram_capacity_bytes;
  out["address_bytes"] = r.address_bytes;
  out["plans"] = r.plans;
  out["stats"] = stats_to_list(r.stats);
  return out;
}

}  // namespace

void bind_accelerator(py::module_& m) {
  m.def("simulate_training", &run, py::arg("instance"), py::arg("layer"), py::arg("phase"), py::arg("task_class"),
        py::arg("dep_offsets"), py::arg("dep_ids"), py::arg("vector_ops"), py::arg("bytes_in"), py::arg("bytes_out"),
        py::arg("layers"), py::arg("engines"), py::arg("engine_of_class"), py::arg("scheduler"), py::arg("window"),
        py::arg("pass_config"), py::arg("gd_accumulate"), py::arg("address_slots"), py::arg("progress") = py::none(),
        py::arg("policy") = py::none(), py::arg("memory") = py::none(),
        "Simulate a training graph on an accelerator (engines, shared DMA/memory, scheduler) in one call; releases "
        "the GIL. Returns the executed schedule, per-task counts and every statistic. progress(started, total), if "
        "given, is called about 200 times (with the GIL); an exception it raises (or Ctrl-C) stops the run. "
        "policy: a tnpu.schedule._PolicyRun used instead of the named scheduler; memory: an object with "
        "access(addr, bytes, is_write, now_ps) -> latency_ps, the memory target of every DMA engine.");
}

}  // namespace tnpu::bindings
