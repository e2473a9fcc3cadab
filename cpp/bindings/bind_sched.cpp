// Bindings of the schedulers: the registry, and running a task graph with given task durations on named engines.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "numpy_util.hpp"
#include "tnpu/error.hpp"
#include "tnpu/sched/executor.hpp"

namespace tnpu::bindings {

namespace {

template <class T>
std::vector<T> to_vector(const py::array_t<T, py::array::c_style | py::array::forcecast>& a, const char* field,
                         std::size_t expected) {
  if (a.ndim() != 1) throw ConfigError(std::string(field) + ": expected a 1-D array");
  if (expected != SIZE_MAX && static_cast<std::size_t>(a.size()) != expected) {
    throw ConfigError(std::string(field) + ": expected " + std::to_string(expected) + " entries, got " +
                      std::to_string(a.size()));
  }
  return std::vector<T>(a.data(), a.data() + a.size());
}

}  // namespace

void bind_sched(py::module_& m) {
  m.def(
      "scheduler_registry",
      [] {
        std::vector<std::pair<std::string, std::string>> out;
        for (const SchedulerEntry& e : scheduler_registry()) out.emplace_back(e.name, e.description);
        return out;
      },
      "(name, description) of every registered scheduler.");

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
         const std::string& scheduler, std::uint32_t window) {
        // Convert everything while holding the GIL; the simulation itself touches no Python object.
        const std::size_t n = static_cast<std::size_t>(instance.size());
        TaskSet ts;
        const auto inst = to_vector(instance, "instance", n);
        const auto lay = to_vector(layer, "layer", n);
        const auto ph = to_vector(phase, "phase", n);
        const auto cls = to_vector(task_class, "task_class", n);
        ts.dep_offsets = to_vector(dep_offsets, "dep_offsets", n + 1);
        ts.dep_ids = to_vector(dep_ids, "dep_ids", SIZE_MAX);
        auto durations = to_vector(duration_ps, "duration_ps", n);
        ts.tasks.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
          if (ph[i] > static_cast<std::uint8_t>(Phase::kWU)) {
            throw ConfigError("phase[" + std::to_string(i) + "]: expected 0..3 (FP, BP, GD, WU), got " +
                              std::to_string(ph[i]));
          }
          if (cls[i] >= kNumTaskClasses) {
            throw ConfigError("task_class[" + std::to_string(i) + "]: expected 0 (matrix) or 1 (vector), got " +
                              std::to_string(cls[i]));
          }
          ts.tasks[i] = TaskInfo{inst[i], lay[i], static_cast<Phase>(ph[i]), static_cast<TaskClass>(cls[i])};
        }
        ExecutorConfig cfg;
        for (const std::string& e : engines) cfg.engines.push_back(EngineSpec{e});
        cfg.engine_of_class = engine_of_class;
        cfg.scheduler = SchedulerConfig{scheduler, window};
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
      py::arg("scheduler"), py::arg("window") = 0,
      "Run a task graph with fixed task durations under a scheduler; returns the executed schedule. Releases the "
      "GIL.");
}

}  // namespace tnpu::bindings
