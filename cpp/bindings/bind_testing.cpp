// tnpu._core._testing: probe-level modules for kernel tests and benchmarks. Not public API.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "tnpu/mem/dram/testing_modes.hpp"
#include "tnpu/mem/sampled_memory.hpp"
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

// Chains of events: when element i of a chain runs it logs its label and the chain's next element follows `delay`
// ps later at its own priority. mode "schedule": the next element is an ordinary schedule_at event; "continue":
// Kernel::continue_at, the element running inline when it can; "reserved": its place in the order is reserved when
// element i runs (Kernel::reserve) and the event is scheduled later, by a helper event at the end of that time point
// (only for a positive delay: the helper must run before the element is due); "run_now": a next element due now runs
// in the same handler when Kernel::run_now says nothing would come before its event (else it is scheduled), a later
// one as in "continue"; "after": a next element due now takes its place in the order (Kernel::reserve) and goes
// with a no-op event 50 ps later through Kernel::continue_at_after (a later one as in "continue"). All must log the
// same order.
class ChainProbe final : public Module, private EventHandler {
 public:
  ChainProbe(Simulation& sim, std::string_view name, std::string mode) : Module(sim, name), mode_(std::move(mode)) {
    if (mode_ != "schedule" && mode_ != "continue" && mode_ != "reserved" && mode_ != "run_now" && mode_ != "after") {
      throw py::value_error("ChainProbe: mode must be 'schedule', 'continue', 'reserved', 'run_now' or 'after'");
    }
  }
  // Adds a chain; its first element runs at `start_ps`. Each element: (delay from the previous one, priority, label)
  // (the first element's delay is ignored).
  void add_chain(Picoseconds start_ps, const std::vector<std::tuple<Picoseconds, Priority, std::string>>& elems) {
    if (elems.empty()) return;
    const std::size_t first = elems_.size();
    for (std::size_t i = 0; i < elems.size(); ++i) {
      const auto& [delay, prio, label] = elems[i];
      elems_.push_back(Elem{delay, prio, label, i + 1 < elems.size() ? first + i + 1 : kNone});
    }
    kernel().schedule_at(start_ps, *this, first, elems_[first].priority);
  }
  [[nodiscard]] const std::vector<std::pair<Picoseconds, std::string>>& log() const { return log_; }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};
  struct Elem {
    Picoseconds delay;
    Priority priority;
    std::string label;
    std::size_t next;
  };
  // Schedules the reserved elements at the end of a time point.
  class Pusher final : public EventHandler {
   public:
    explicit Pusher(ChainProbe& p) : p_(p) {}
    void handle_event(std::uint64_t arg) override {
      const auto& [t, ticket] = p_.reserved_[arg];
      p_.kernel().schedule_reserved(t, p_, arg, ticket);
    }

   private:
    ChainProbe& p_;
  };

  void handle_event(std::uint64_t arg) override {
    for (;;) {
      const Elem& e = elems_[arg];
      log_.emplace_back(now(), e.label);
      if (e.next == kNone) return;
      const Elem& n = elems_[e.next];
      const Picoseconds t = now() + n.delay;
      if (mode_ == "run_now" && n.delay == 0) {
        if (!kernel().run_now(n.priority)) {
          kernel().schedule_at(t, *this, e.next, n.priority);
          return;
        }
        arg = e.next;
        continue;
      }
      if (mode_ == "after" && n.delay == 0) {
        const EventTicket ticket = kernel().reserve(n.priority);
        // true: the no-op event's work (nothing) is this handler's; it ends here either way.
        kernel().continue_at_after(*this, e.next, ticket, now() + 50, noop_, 0, Priority::kDefault);
        return;
      }
      if (mode_ == "schedule" || (mode_ == "reserved" && n.delay == 0)) {
        kernel().schedule_at(t, *this, e.next, n.priority);
        return;
      }
      if (mode_ == "reserved") {
        reserved_[e.next] = {t, kernel().reserve(n.priority)};
        kernel().schedule_at(now(), pusher_, e.next, Priority::kObserver);
        return;
      }
      if (!kernel().continue_at(t, *this, e.next, n.priority)) return;
      arg = e.next;
    }
  }
  std::string mode_;
  std::vector<Elem> elems_;
  std::unordered_map<std::size_t, std::pair<Picoseconds, EventTicket>> reserved_;
  Pusher pusher_{*this};
  class Noop final : public EventHandler {
   public:
    void handle_event(std::uint64_t /*arg*/) override {}
  };
  Noop noop_;
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
  m.def(
      "set_dram_modes",
      [](std::optional<bool> every_cycle, std::optional<bool> run_ahead, std::optional<bool> refuse_ahead,
         std::optional<bool> paced) {
        auto& modes = dram::testing_modes();
        if (every_cycle) modes.every_cycle = *every_cycle;
        if (run_ahead) modes.run_ahead = *run_ahead;
        if (refuse_ahead) modes.refuse_ahead = *refuse_ahead;
        if (paced) modes.paced = *paced;
      },
      py::arg("every_cycle") = py::none(), py::arg("run_ahead") = py::none(), py::arg("refuse_ahead") = py::none(),
      py::arg("paced") = py::none(), "Set the DRAM channel's verification/benchmark modes for channels built from now on (None: unchanged).");
  m.def(
      "dram_modes",
      [] {
        const auto& modes = dram::testing_modes();
        return py::dict(py::arg("every_cycle") = modes.every_cycle.load(), py::arg("run_ahead") = modes.run_ahead.load(),
                        py::arg("refuse_ahead") = modes.refuse_ahead.load(), py::arg("paced") = modes.paced.load());
      },
      "The DRAM channel's verification/benchmark modes: every_cycle (step in every cycle), run_ahead, refuse_ahead, paced.");
  py::class_<EventRecorder, Module, Ref<EventRecorder>>(m, "EventRecorder")
      .def(py::init([](PySimulator& s, const std::string& name) {
             return Ref<EventRecorder>(&s.sim().make<EventRecorder>(name));
           }),
           py::arg("sim"), py::arg("name"), py::keep_alive<1, 2>())
      .def("schedule", &EventRecorder::schedule, py::arg("ps"), py::arg("priority"), py::arg("label"))
      .def_property_readonly("log", &EventRecorder::log);

  py::class_<ChainProbe, Module, Ref<ChainProbe>>(m, "ChainProbe")
      .def(py::init([](PySimulator& s, const std::string& name, const std::string& mode) {
             return Ref<ChainProbe>(&s.sim().make<ChainProbe>(name, mode));
           }),
           py::arg("sim"), py::arg("name"), py::arg("mode"), py::keep_alive<1, 2>())
      .def("add_chain", &ChainProbe::add_chain, py::arg("start_ps"), py::arg("elements"))
      .def_property_readonly("log", &ChainProbe::log);

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

  // The sampled memory's paired-occurrence estimator (docs/sampling.md), on a given schedule.
  m.def(
      "paired_estimate",
      [](const std::vector<std::uint64_t>& key, const std::vector<bool>& detailed,
         const std::vector<Picoseconds>& start, const std::vector<Picoseconds>& end,
         const std::vector<std::uint32_t>& engine, const std::vector<std::uint64_t>& dep_offsets,
         const std::vector<std::uint32_t>& dep_ids, bool work_conserving, const std::vector<std::uint64_t>& stratum,
         const std::vector<std::uint32_t>& instance) {
        const std::vector<char> d(detailed.begin(), detailed.end());
        const PairedEstimate e =
            paired_estimate(key, d, start, end, engine, dep_offsets, dep_ids, work_conserving, stratum, instance);
        return py::dict(py::arg("correction_ps") = e.correction_ps, py::arg("variance_ps2") = e.variance_ps2,
                        py::arg("keys") = e.keys, py::arg("matched_strata") = e.matched_strata,
                        py::arg("critical_tasks") = e.critical_tasks,
                        py::arg("critical_policy_tasks") = e.critical_policy_tasks);
      },
      py::arg("key"), py::arg("detailed"), py::arg("start_ps"), py::arg("end_ps"), py::arg("engine"),
      py::arg("dep_offsets"), py::arg("dep_ids"), py::arg("work_conserving") = false,
      py::arg("stratum") = std::vector<std::uint64_t>{}, py::arg("instance") = std::vector<std::uint32_t>{},
      "The paired-occurrence bias estimate of a schedule: correction_ps, variance_ps2, keys, matched_strata, "
      "critical tasks; work_conserving: replay it as the reorder scheduler runs (a free engine takes the earliest "
      "released task); stratum (per task; default: its key) and instance (per task; default: none) compare the "
      "occurrences of a stratum within instances where both groups occur.");
  m.def(
      "draw_detailed_occurrences",
      [](const std::vector<std::uint64_t>& key, const std::vector<std::uint32_t>& instance, double fraction,
         std::uint64_t seed, const std::vector<std::uint64_t>& stratum) {
        const std::vector<char> d = draw_detailed_occurrences(key, instance, fraction, seed, stratum);
        return std::vector<bool>(d.begin(), d.end());
      },
      py::arg("key"), py::arg("instance"), py::arg("fraction"), py::arg("seed"),
      py::arg("stratum") = std::vector<std::uint64_t>{},
      "Which task occurrences the sampled memory runs wholly in detail (per task: drawn or not); stratum (per "
      "task; default: its key) spreads the held occurrences of a stratum's keys over different instances.");
}

}  // namespace tnpu::bindings
