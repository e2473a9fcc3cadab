// Bindings of the kernel: Clock, priorities and the Simulator (a Simulation plus the Python co-simulation hooks).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <exception>
#include <optional>
#include <unordered_map>

#include "bindings.hpp"
#include "numpy_util.hpp"
#include "py_simulator.hpp"
#include "tnpu/error.hpp"
#include "tnpu/sim/time.hpp"

namespace tnpu::bindings {

PySimulator::PySimulator(std::string root_name) : sim_(std::make_unique<Simulation>(std::move(root_name))) {}

PySimulator::~PySimulator() {
  // Pending hooks hold Python objects; drop them while the GIL is held (it is, in a destructor called by Python).
  hooks_.clear();
}

std::uint64_t PySimulator::run(std::optional<Picoseconds> until) {
  std::uint64_t n = 0;
  {
    // Safe to release: the kernel touches no Python object; hooks re-acquire the GIL themselves.
    py::gil_scoped_release release;
    n = until ? sim_->kernel().run_until(*until) : sim_->kernel().run();
  }
  rethrow_hook_error();
  return n;
}

bool PySimulator::step() {
  bool executed = false;
  {
    py::gil_scoped_release release;
    executed = sim_->kernel().step();
  }
  rethrow_hook_error();
  return executed;
}

void PySimulator::call_at(Picoseconds t, py::function fn) {
  const std::uint64_t id = next_hook_id_++;
  hooks_.emplace(id, std::move(fn));
  try {
    sim_->kernel().call_at(
        t,
        [this, id] {
          py::gil_scoped_acquire acquire;
          auto it = hooks_.find(id);
          if (it == hooks_.end()) return;
          py::object f = std::move(it->second);
          hooks_.erase(it);
          try {
            f();
          } catch (py::error_already_set&) {
            // Keep the Python exception and stop; run() re-raises it once the kernel has returned.
            hook_error_ = std::current_exception();
            sim_->kernel().stop();
          }
        },
        Priority::kObserver);
  } catch (...) {
    hooks_.erase(id);
    throw;
  }
}

void PySimulator::rethrow_hook_error() {
  if (hook_error_) {
    std::exception_ptr e = hook_error_;
    hook_error_ = nullptr;
    std::rethrow_exception(e);
  }
}

py::list PySimulator::stats_rows() const { return stats_to_list(sim_->stats().rows()); }

py::tuple PySimulator::histogram(const std::string& name) const {
  const Histogram* h = sim_->stats().find_histogram(name);
  if (!h) throw py::key_error("no histogram named '" + name + "'");
  const std::size_t n = h->bins().size();
  py::array_t<double> edges(static_cast<py::ssize_t>(n + 1));
  py::array_t<std::uint64_t> counts(static_cast<py::ssize_t>(n));
  auto e = edges.mutable_unchecked<1>();
  auto c = counts.mutable_unchecked<1>();
  const double width = (h->hi() - h->lo()) / static_cast<double>(n);
  for (std::size_t i = 0; i <= n; ++i) e(static_cast<py::ssize_t>(i)) = h->lo() + width * static_cast<double>(i);
  for (std::size_t i = 0; i < n; ++i) c(static_cast<py::ssize_t>(i)) = h->bins()[i];
  return py::make_tuple(edges, counts, h->underflow(), h->overflow());
}

void bind_sim(py::module_& m) {
  py::enum_<Priority>(m, "Priority", "Named priorities of events at the same time, lowest first.")
      .value("COMPLETION", Priority::kCompletion)
      .value("RETRY", Priority::kRetry)
      .value("DEFAULT", Priority::kDefault)
      .value("MEMORY", Priority::kMemory)
      .value("SAMPLE", Priority::kSample)
      .value("OBSERVER", Priority::kObserver);
  m.def(
      "priority_reasons",
      [] {
        py::dict d;
        for (std::uint8_t p = 0; p < kNumPriorities; ++p) {
          const auto pr = static_cast<Priority>(p);
          d[py::str(std::string(priority_name(pr)))] = std::string(priority_reason(pr));
        }
        return d;
      },
      "Each priority's name and the reason for its place in the order.");

  py::class_<Clock>(m, "Clock", "A clock domain with a whole-picosecond period.")
      .def(py::init<Picoseconds>(), py::arg("period_ps"))
      .def_static("from_frequency_hz", &Clock::from_frequency_hz, py::arg("hz"))
      .def_static("from_frequency_mhz", &Clock::from_frequency_mhz, py::arg("mhz"))
      .def_property_readonly("period_ps", &Clock::period_ps)
      .def_property_readonly("frequency_hz", &Clock::frequency_hz)
      .def("to_ps", &Clock::to_ps, py::arg("cycles"))
      .def("to_cycles", &Clock::to_cycles, py::arg("ps"))
      .def("to_cycles_ceil", &Clock::to_cycles_ceil, py::arg("ps"))
      .def("next_edge", &Clock::next_edge, py::arg("ps"))
      .def("is_edge", &Clock::is_edge, py::arg("ps"))
      .def("__repr__", [](const Clock& c) { return "Clock(period_ps=" + std::to_string(c.period_ps()) + ")"; });

  py::class_<PySimulator>(m, "Simulator", "A simulation: one event kernel, its modules and their statistics.")
      .def(py::init<std::string>(), py::arg("name") = "tnpu")
      .def_property_readonly("now", [](const PySimulator& s) { return s.sim().kernel().now(); },
                             "Current simulated time in picoseconds.")
      .def("run", &PySimulator::run, py::arg("until") = py::none(),
           "Run until no event is left, or (until=ps) execute every event with time <= until and set now to it. "
           "Returns the number of events executed. Releases the GIL.")
      .def("step", &PySimulator::step, "Execute every event of the next time point; False if none was pending.")
      .def("call_at", &PySimulator::call_at, py::arg("ps"), py::arg("fn"),
           "Call fn() at simulated time ps, after all model activity at that time (priority OBSERVER).")
      .def_property_readonly("pending_events", [](const PySimulator& s) { return s.sim().kernel().pending(); })
      .def_property_readonly("events_executed",
                             [](const PySimulator& s) { return s.sim().kernel().events_executed(); })
      .def_property_readonly("inline_advances",
                             [](const PySimulator& s) { return s.sim().kernel().inline_advances(); })
      .def_property(
          "inline_enabled", [](const PySimulator& s) { return s.sim().kernel().inline_enabled(); },
          [](PySimulator& s, bool on) { s.sim().kernel().set_inline_enabled(on); },
          "Let modules run events inline when that is provably the same simulation (Kernel::continue_at). "
          "False: every event goes through the queue (slower; for comparing both paths).")
      .def_property_readonly("next_event_time",
                             [](const PySimulator& s) -> std::optional<Picoseconds> {
                               if (s.sim().kernel().empty()) return std::nullopt;
                               return s.sim().kernel().next_time();
                             })
      .def_property_readonly("name", [](const PySimulator& s) { return s.sim().root_name(); })
      .def("module_names", [](const PySimulator& s) { return s.sim().module_names(); })
      .def("stats_rows", &PySimulator::stats_rows,
           "Every statistic as (name, unit, description, value) tuples, in registration order.")
      .def("histogram", &PySimulator::histogram, py::arg("name"),
           "(edges, counts, underflow, overflow) of a histogram statistic.");
}

}  // namespace tnpu::bindings
