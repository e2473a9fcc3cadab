// Bindings of the schedulers: the registry, and running a task graph with given task durations on named engines,
// under a registered scheduler or a Python policy (py_hooks.hpp).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>

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

  m.def(
      "run_schedule",
      [](const py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>& instance,
         const py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>& layer,
         const py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>& phase,
         const py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>& task_class,
         const py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>& dep_offsets,
         const py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>& dep_ids,
         const py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>& duration_ps,
         const std::vector<std::string>& engines, const std::vector<std::uint32_t>& engine_of_class,
         const std::string& scheduler, std::uint32_t window, const py::object& policy) {
        // Convert everything while holding the GIL; the simulation itself touches no Python object.
        const std::size_t n = static_cast<std::size_t>(instance.size());
        TaskSet ts = task_set_from_arrays(instance, layer, phase, task_class, dep_offsets, dep_ids);
        auto durations = to_vector(duration_ps, "duration_ps", n);
        ExecutorConfig cfg;
        for (const std::string& e : engines) cfg.engines.push_back(EngineSpec{e});
        cfg.engine_of_class = engine_of_class;
        std::optional<PyPolicy> py_policy;  // owns the Python references; outlives the simulation
        if (policy.is_none()) {
          cfg.scheduler = SchedulerConfig{scheduler, window, {}};
        } else {
          py_policy.emplace(policy, ts, engines);
          cfg.scheduler = py_policy->config(window);
        }
        ScheduleResult r;
        {
          py::gil_scoped_release release;
          Simulation sim("tnpu");
          DurationRunner runner(sim.kernel(), std::move(durations));
          auto& ex = sim.make<TaskExecutor>("executor", ts, cfg, runner);
          ex.begin();
          sim.kernel().run();
          r = ex.result();
        }
        py::dict out;
        out["start_ps"] = to_numpy(std::move(r.start_ps));
        out["end_ps"] = to_numpy(std::move(r.end_ps));
        out["engine"] = to_numpy(std::move(r.engine));
        out["busy_ps"] = to_numpy(std::move(r.busy_ps));
        out["makespan_ps"] = r.makespan_ps;
        out["window_limit"] = r.scheduler.window_limit;
        out["window_used"] = r.scheduler.window_used;
        return out;
      },
      py::arg("instance"), py::arg("layer"), py::arg("phase"), py::arg("task_class"), py::arg("dep_offsets"),
      py::arg("dep_ids"), py::arg("duration_ps"), py::arg("engines"), py::arg("engine_of_class"),
      py::arg("scheduler"), py::arg("window") = 0, py::arg("policy") = py::none(),
      "Run a task graph with fixed task durations under a scheduler; returns the executed schedule. Releases the "
      "GIL. policy: a tnpu.schedule._PolicyRun (a Python policy, called at each decision with the GIL) instead of "
      "the named scheduler.");
}

}  // namespace tnpu::bindings
