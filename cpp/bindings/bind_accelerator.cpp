// Bindings of the accelerator: typed structs across the boundary (AcceleratorConfig with its engines, the workload
// as TrainingWorkload, the result as TrainingResult), and a whole training graph on one preset in one call (GIL
// released). Result arrays are views of the TrainingResult's own vectors: no copy, kept alive by the result.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "numpy_util.hpp"
#include "py_hooks.hpp"
#include "task_arrays.hpp"
#include "tnpu/accelerator.hpp"
#include "tnpu/error.hpp"

namespace tnpu::bindings {

namespace {

// A property of TrainingResult: a read-only view of the per-task (or per-engine) vector `field` of the result.
template <class T, class Getter>
void add_view(py::class_<AcceleratorResult>& cls, const char* name, Getter get, const char* doc) {
  cls.def_property_readonly(
      name,
      [get](const py::object& self) {
        const auto& r = self.cast<const AcceleratorResult&>();
        return view<T>(self, get(r));
      },
      doc);
}

AcceleratorWorkload workload_from_arrays(const InArray<std::uint32_t>& instance, const InArray<std::uint32_t>& layer,
                                         const InArray<std::uint8_t>& phase, const InArray<std::uint8_t>& task_class,
                                         const InArray<std::uint64_t>& dep_offsets,
                                         const InArray<std::uint32_t>& dep_ids, const InArray<std::uint64_t>& vector_ops,
                                         const InArray<std::uint64_t>& bytes_in,
                                         const InArray<std::uint64_t>& bytes_out,
                                         std::vector<AcceleratorLayer> layers) {
  AcceleratorWorkload w;
  w.tasks = task_set_from_arrays(instance, layer, phase, task_class, dep_offsets, dep_ids);
  const std::size_t n = w.tasks.size();
  const auto ops = to_vector(vector_ops, "vector_ops", n);
  const auto bin = to_vector(bytes_in, "bytes_in", n);
  const auto bout = to_vector(bytes_out, "bytes_out", n);
  w.work.resize(n);
  for (std::size_t i = 0; i < n; ++i) w.work[i] = AcceleratorTaskWork{ops[i], bin[i], bout[i]};
  w.layers = std::move(layers);
  return w;
}

AcceleratorResult run(const AcceleratorWorkload& workload, const AcceleratorConfig& config,
                      const py::object& progress, const py::object& policy, const py::object& memory) {
  // Everything is converted already (typed structs); the simulation itself touches no Python object.
  AcceleratorConfig c = config;
  // Python components (py_hooks.hpp): they own their Python references and outlive the simulation.
  std::optional<PyPolicy> py_policy;
  if (!policy.is_none()) {
    std::vector<std::string> names;
    for (const auto& e : c.engines) names.push_back(e.name);
    py_policy.emplace(policy, workload.tasks, names);
    c.scheduler = py_policy->config(config.scheduler.window);
  }
  std::optional<PyMemory> py_memory;
  if (!memory.is_none()) {
    py_memory.emplace(memory, c.pass.dma.request_bytes);
    py_memory->install(c.pass.memory);
  }
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
  py::gil_scoped_release release;  // safe: the arguments are C++ values; callbacks take the GIL themselves
  return simulate_training(workload, c, report);
}

void bind_config(py::module_& m) {
  py::class_<AcceleratorEngine>(m, "AcceleratorEngine",
                                "One compute engine of an accelerator (tnpu.accelerator.EngineConfig.to_cpp()).")
      .def(py::init([](std::string name, std::uint64_t array_rows, std::uint64_t array_cols, std::string dataflow,
                       std::uint64_t lanes, double buffer_share) {
             return AcceleratorEngine{std::move(name), array_rows, array_cols, std::move(dataflow), lanes,
                                      buffer_share};
           }),
           py::arg("name"), py::kw_only(), py::arg("array_rows") = 0, py::arg("array_cols") = 0,
           py::arg("dataflow") = "os", py::arg("lanes") = 0, py::arg("buffer_share") = 1.0)
      .def_readwrite("name", &AcceleratorEngine::name)
      .def_readwrite("array_rows", &AcceleratorEngine::array_rows, "PE array rows (0: no array)")
      .def_readwrite("array_cols", &AcceleratorEngine::array_cols, "PE array columns (0: no array)")
      .def_readwrite("dataflow", &AcceleratorEngine::dataflow, "the array's dataflow (os, ws, is)")
      .def_readwrite("lanes", &AcceleratorEngine::lanes, "vector lanes (0: none)")
      .def_readwrite("buffer_share", &AcceleratorEngine::buffer_share,
                     "fraction of the global buffer its tiles may use");

  py::class_<AcceleratorConfig> config(m, "AcceleratorConfig",
                                "The machine a training graph runs on (tnpu.accelerator.AcceleratorConfig.to_cpp()): "
                                "engines, which engine runs each task class, scheduler, pass configuration (buffer, "
                                "DMA, memory, clock, data type), dW accumulation and DRAM activation slots.");
  config.def(py::init<>())
      .def_readwrite("engines", &AcceleratorConfig::engines, "list of AcceleratorEngine (assign a whole list)")
      .def_readwrite("engine_of_class", &AcceleratorConfig::engine_of_class,
                     "engine index running matrix work and vector work")
      .def_readwrite("pass_config", &AcceleratorConfig::pass, "a PassConfig (tnpu.config.ArchConfig.to_cpp())")
      .def_readwrite("gd_accumulate", &AcceleratorConfig::gd_accumulate,
                     "GD tasks add their weight gradient into dW in DRAM")
      .def_readwrite("address_slots", &AcceleratorConfig::address_slots, "activation slots in DRAM")
      .def("validate", &AcceleratorConfig::validate, "Raise ConfigError naming the first bad field.");
  def_scheduler(config, &AcceleratorConfig::scheduler);

  py::class_<AcceleratorLayer>(m, "AcceleratorLayer", "A layer of a training graph: GEMM layers carry their shape.")
      .def(py::init([](std::string name, bool gemm, const workload::LayerShape& shape) {
             return AcceleratorLayer{std::move(name), gemm, shape};
           }),
           py::arg("name"), py::arg("gemm") = false, py::arg_v("shape", workload::LayerShape{}, "LayerShape()"))
      .def_readonly("name", &AcceleratorLayer::name)
      .def_readonly("gemm", &AcceleratorLayer::gemm)
      .def_readonly("shape", &AcceleratorLayer::shape);

  py::class_<AcceleratorWorkload>(m, "TrainingWorkload",
                                  "A training graph converted once for simulate_training: tasks in program order "
                                  "(dependencies in CSR form), each task's element-wise work, and the layers.")
      .def(py::init(&workload_from_arrays), py::kw_only(), py::arg("instance"), py::arg("layer"), py::arg("phase"),
           py::arg("task_class"), py::arg("dep_offsets"), py::arg("dep_ids"), py::arg("vector_ops"),
           py::arg("bytes_in"), py::arg("bytes_out"), py::arg("layers"))
      .def("__len__", [](const AcceleratorWorkload& w) { return w.tasks.size(); })
      .def_property_readonly("layers", [](const AcceleratorWorkload& w) { return w.layers; })
      .def("validate", &AcceleratorWorkload::validate, "Raise ConfigError naming the bad task or layer.");
}

void bind_result(py::module_& m) {
  py::class_<AcceleratorResult> cls(
      m, "TrainingResult",
      "What simulate_training returns: the executed schedule, per-task counts (numpy views of its own memory, no "
      "copy) and totals by name, and every statistic of the simulation.");
  using R = AcceleratorResult;
  using u64 = std::uint64_t;
  add_view<u64>(cls, "start_ps", [](const R& r) -> const auto& { return r.schedule.start_ps; }, "per task");
  add_view<u64>(cls, "end_ps", [](const R& r) -> const auto& { return r.schedule.end_ps; }, "per task");
  add_view<std::uint32_t>(cls, "engine", [](const R& r) -> const auto& { return r.schedule.engine; },
                          "per task: the engine index");
  add_view<u64>(cls, "busy_ps", [](const R& r) -> const auto& { return r.schedule.busy_ps; }, "per engine");
  add_view<u64>(cls, "macs", [](const R& r) -> const auto& { return r.macs; }, "per task");
  add_view<u64>(cls, "compute_ps", [](const R& r) -> const auto& { return r.compute_ps; }, "per task");
  add_view<u64>(cls, "dram_read_bytes", [](const R& r) -> const auto& { return r.dram_read_bytes; }, "per task");
  add_view<u64>(cls, "dram_write_bytes", [](const R& r) -> const auto& { return r.dram_write_bytes; }, "per task");
  add_view<u64>(cls, "sram_reads", [](const R& r) -> const auto& { return r.sram_reads; }, "per task (words)");
  add_view<u64>(cls, "sram_writes", [](const R& r) -> const auto& { return r.sram_writes; }, "per task (words)");
  add_view<u64>(cls, "tiles", [](const R& r) -> const auto& { return r.tiles; }, "per task");
  add_view<u64>(cls, "pes", [](const R& r) -> const auto& { return r.pes; }, "per task: PEs of its engine");
  cls.def_property_readonly("makespan_ps", [](const R& r) { return r.schedule.makespan_ps; })
      .def_property_readonly("window_limit", [](const R& r) { return r.schedule.scheduler.window_limit; })
      .def_property_readonly("window_used", [](const R& r) { return r.schedule.scheduler.window_used; })
      .def_readonly("events", &R::events)
      .def_readonly("dram_capacity_bytes", &R::dram_capacity_bytes)
      .def_readonly("address_bytes", &R::address_bytes)
      .def_readonly("plans", &R::plans)
      .def_property_readonly(
          "stats", [](const R& r) { return stats_to_list(r.stats); },
          "every statistic as (name, unit, description, value)");
  def_dram_totals(cls);
}

}  // namespace

void bind_accelerator(py::module_& m) {
  bind_config(m);
  bind_result(m);
  m.def("simulate_training", &run, py::arg("workload"), py::arg("config"), py::kw_only(),
        py::arg("progress") = py::none(), py::arg("policy") = py::none(), py::arg("memory") = py::none(),
        "Simulate a TrainingWorkload on an AcceleratorConfig (engines, shared DMA/memory, scheduler) in one call; "
        "releases the GIL. Returns a TrainingResult. progress(started, total), if given, is called about 200 times "
        "(with the GIL); an exception it raises (or Ctrl-C) stops the run. policy: a tnpu.schedule._PolicyRun used "
        "instead of the named scheduler (config.window is its window); memory: an object with access(addr, bytes, "
        "is_write, now_ps) -> latency_ps, the memory target of every DMA engine.");
}

}  // namespace tnpu::bindings
