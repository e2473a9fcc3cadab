// tnpu._core._testing: probe-level modules for kernel tests and benchmarks. Not public API.
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "py_simulator.hpp"

namespace tnpu::bindings {

namespace {

// Records the order in which its events run: (time, label) pairs.
class EventRecorder final : public Module, private EventHandler {
 public:
  EventRecorder(Simulation& sim, std::string_view name) : Module(sim, name) {}
  void schedule(Picoseconds t, Priority p, std::string label) {
    labels_.push_back(std::move(label));
    kernel().schedule_at(t, *this, labels_.size() - 1, p);
  }
  [[nodiscard]] const std::vector<std::pair<Picoseconds, std::string>>& log() const { return log_; }

 private:
  void handle_event(std::uint64_t arg) override { log_.emplace_back(now(), labels_[arg]); }
  std::vector<std::string> labels_;
  std::vector<std::pair<Picoseconds, std::string>> log_;
};

// A module that reschedules itself every period_ps until it has fired `fires` times (the kernel benchmark).
class Ticker final : public Module, private EventHandler {
 public:
  Ticker(Simulation& sim, std::string_view name, Picoseconds period_ps, std::uint64_t fires)
      : Module(sim, name), period_ps_(period_ps), remaining_(fires), ticks_(add_counter("ticks", "count", "events")) {
    if (remaining_ > 0) kernel().schedule_in(period_ps_, *this);
  }

 private:
  void handle_event(std::uint64_t /*arg*/) override {
    ticks_.inc();
    if (--remaining_ > 0) kernel().schedule_in(period_ps_, *this);
  }
  Picoseconds period_ps_;
  std::uint64_t remaining_;
  Counter& ticks_;
};

template <class T>
using Ref = std::unique_ptr<T, py::nodelete>;

// Where leak_for_leakcheck puts its block before dropping the pointer (volatile: the allocation cannot be elided).
char* volatile g_leak_sink = nullptr;

}  // namespace

void bind_testing(py::module_& m) {
  py::class_<EventRecorder, Module, Ref<EventRecorder>>(m, "EventRecorder")
      .def(py::init([](PySimulator& s, const std::string& name) {
             return Ref<EventRecorder>(&s.sim().make<EventRecorder>(name));
           }),
           py::arg("sim"), py::arg("name"), py::keep_alive<1, 2>())
      .def("schedule", &EventRecorder::schedule, py::arg("ps"), py::arg("priority"), py::arg("label"))
      .def_property_readonly("log", &EventRecorder::log);

  m.def(
      "add_tickers",
      [](PySimulator& s, std::uint32_t modules, std::uint64_t total_events, Picoseconds base_period_ps) {
        if (modules == 0) throw py::value_error("add_tickers: modules must be at least 1");
        const std::uint64_t per = total_events / modules;
        for (std::uint32_t i = 0; i < modules; ++i) {
          const std::uint64_t fires = per + (i < total_events % modules ? 1 : 0);
          // Periods from base to 8x base spread the events over distinct times and keep the heap busy.
          s.sim().make<Ticker>("tick" + std::to_string(i), base_period_ps * (1 + i % 8), fires);
        }
      },
      py::arg("sim"), py::arg("modules"), py::arg("total_events"), py::arg("base_period_ps") = 1000,
      "Create `modules` tickers that reschedule themselves, `total_events` events in all.");

  m.def(
      "leak_for_leakcheck",
      [](std::uint32_t bytes) {
        g_leak_sink = new char[bytes];
        g_leak_sink = nullptr;  // the block is now unreachable: definitely lost
      },
      py::arg("bytes"),
      "Leak `bytes` bytes on purpose: scripts/leakcheck.sh --self-test checks that the leak check catches it.");
}

}  // namespace tnpu::bindings
