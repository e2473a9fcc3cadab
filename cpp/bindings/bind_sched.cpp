// Bindings of the schedulers: the registry, and running a task graph with given task durations on named engines,
// under a registered scheduler or a Python policy (py_hooks.hpp).
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
#include "tnpu/error.hpp"
#include "tnpu/sched/executor.hpp"

namespace tnpu::bindings {

void bind_sched(py::module_& m) {
  // A function, not a module attribute: making the dtype imports numpy, which `import tnpu._core` should not.
  m.def("ready_dtype", &ready_dtype, "The numpy dtype of a ready-table row (tnpu.schedule.READY_DTYPE).");

  py::class_<ExecutorConfig> config_cls(m, "ScheduleConfig",
                             "The engines a task graph with given durations runs on (run_schedule): engine names, "
                             "the engine index of each task class (matrix, vector), the scheduler and its window.");
  config_cls.def(py::init([](const std::vector<std::string>& engines, std::vector<std::uint32_t> engine_of_class,
                       std::string scheduler, std::uint32_t window) {
             ExecutorConfig c;
             for (const std::string& e : engines) c.engines.push_back(EngineSpec{e});
             c.engine_of_class = std::move(engine_of_class);
             c.scheduler.name = std::move(scheduler);
             c.scheduler.window = window;
             return c;
           }),
           py::kw_only(), py::arg("engines"), py::arg("engine_of_class"), py::arg("scheduler") = "reorder",
           py::arg("window") = 0)
      .def_property(
          "engines",
          [](const ExecutorConfig& c) {
            std::vector<std::string> names;
            for (const auto& e : c.engines) names.push_back(e.name);
            return names;
          },
          [](ExecutorConfig& c, const std::vector<std::string>& names) {
            c.engines.clear();
            for (const std::string& e : names) c.engines.push_back(EngineSpec{e});
          },
          "engine names")
      .def_readwrite("engine_of_class", &ExecutorConfig::engine_of_class, "engine index of matrix and vector tasks")
      .def("validate", &ExecutorConfig::validate, "Raise ConfigError naming the first bad field.");
  def_scheduler(config_cls, &ExecutorConfig::scheduler);

  py::class_<ScheduleResult> result(m, "ScheduleResult",
                                    "What run_schedule returns: per task start, end and engine, per engine busy "
                                    "time (numpy views of its own memory, no copy), makespan and window used.");
  auto add_view = [&result](const char* name, auto get, const char* doc) {
    result.def_property_readonly(
        name, [get](const py::object& self) { return view(self, get(self.cast<const ScheduleResult&>())); }, doc);
  };
  add_view("start_ps", [](const ScheduleResult& r) -> const auto& { return r.start_ps; }, "per task");
  add_view("end_ps", [](const ScheduleResult& r) -> const auto& { return r.end_ps; }, "per task");
  add_view("engine", [](const ScheduleResult& r) -> const auto& { return r.engine; }, "per task: the engine index");
  add_view("busy_ps", [](const ScheduleResult& r) -> const auto& { return r.busy_ps; }, "per engine");
  result.def_readonly("makespan_ps", &ScheduleResult::makespan_ps)
      .def_property_readonly("window_limit", [](const ScheduleResult& r) { return r.scheduler.window_limit; })
      .def_property_readonly("window_used", [](const ScheduleResult& r) { return r.scheduler.window_used; });

  m.def(
      "run_schedule",
      [](const InArray<std::uint32_t>& instance, const InArray<std::uint32_t>& layer,
         const InArray<std::uint8_t>& phase, const InArray<std::uint8_t>& task_class,
         const InArray<std::uint64_t>& dep_offsets, const InArray<std::uint32_t>& dep_ids,
         const InArray<std::uint64_t>& duration_ps, const ExecutorConfig& config, const py::object& policy) {
        // Convert everything while holding the GIL; the simulation itself touches no Python object.
        const std::size_t n = static_cast<std::size_t>(instance.size());
        TaskSet ts = task_set_from_arrays(instance, layer, phase, task_class, dep_offsets, dep_ids);
        auto durations = to_vector(duration_ps, "duration_ps", n);
        ExecutorConfig cfg = config;
        std::optional<PyPolicy> py_policy;  // owns the Python references; outlives the simulation
        if (!policy.is_none()) {
          std::vector<std::string> names;
          for (const auto& e : cfg.engines) names.push_back(e.name);
          py_policy.emplace(policy, ts, names);
          cfg.scheduler = py_policy->config(config.scheduler.window);
        }
        py::gil_scoped_release release;
        Simulation sim("tnpu");
        DurationRunner runner(sim.kernel(), std::move(durations));
        auto& ex = sim.make<TaskExecutor>("executor", ts, cfg, runner);
        ex.begin();
        sim.kernel().run();
        return ex.result();
      },
      py::kw_only(), py::arg("instance"), py::arg("layer"), py::arg("phase"), py::arg("task_class"),
      py::arg("dep_offsets"), py::arg("dep_ids"), py::arg("duration_ps"), py::arg("config"),
      py::arg("policy") = py::none(),
      "Run a task graph (one entry per task in program order, dependencies in CSR form) with fixed task durations "
      "on a ScheduleConfig; returns a ScheduleResult. Releases the GIL. policy: a tnpu.schedule._PolicyRun (a "
      "Python policy, called at each decision with the GIL) instead of the named scheduler.");
}

}  // namespace tnpu::bindings
