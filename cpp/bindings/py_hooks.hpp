#pragma once
// Python components in the event loop: a scheduling policy (CallbackScheduler) and a memory target
// (CallbackMemory) whose decisions come from Python objects. The simulation runs with the GIL released; the
// callbacks take it for the one Python call they make and give it back.
//
// Lifetime: a PyPolicy / PyMemory is built on the binding's stack (with the GIL) and owns every Python reference;
// the C++ objects made from it hold plain pointers to it only, so nothing Python is destroyed without the GIL, even
// when a simulation unwinds after an exception. It must outlive the simulation (it does: same binding call).
//
// Errors: an exception raised by the Python code propagates unchanged (its traceback intact) with a note naming the
// decision (engine, time, ready tasks) or the request; a bad return value raises TypeError or IndexError/ValueError
// naming the object, the call and what was expected.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tnpu/mem/callback_memory.hpp"
#include "tnpu/sched/callback_scheduler.hpp"
#include "tnpu/sched/task_set.hpp"
#include "tnpu/workload/layer_pass.hpp"

namespace tnpu::bindings {

namespace py = pybind11;

// The numpy dtype of tnpu::ReadyRow (tnpu.schedule.READY_DTYPE).
py::dtype ready_dtype();

class PyPolicy {
 public:
  // `run` is tnpu.schedule's _PolicyRun: pick (the bound method), label (str), ready (writeable READY_DTYPE array,
  // >= tasks rows), ready_view (a read-only view of it, what pick sees), running (int64, >= engines) and finished
  // (1-byte, >= tasks). Throws ConfigError if a buffer has the wrong type or size.
  PyPolicy(const py::object& run, const TaskSet& tasks, const std::vector<std::string>& engine_names);
  PyPolicy(const PyPolicy&) = delete;
  PyPolicy& operator=(const PyPolicy&) = delete;
  ~PyPolicy() = default;

  // The scheduler configuration that makes the executor use this policy (window: the C++-enforced window).
  [[nodiscard]] SchedulerConfig config(std::uint32_t window);

 private:
  std::int64_t pick(std::uint32_t engine, std::span<const ReadyRow> rows, Picoseconds now);
  [[nodiscard]] std::string describe(std::uint32_t engine, std::span<const ReadyRow> rows, Picoseconds now) const;

  py::object pick_;
  py::object ready_view_;
  py::object ready_, running_, finished_;  // kept alive: C++ writes through their pointers
  std::vector<py::object> engine_names_;
  std::vector<std::string> engine_labels_;
  std::string label_;
  const TaskSet& tasks_;
  CallbackSchedulerBuffers buffers_;
};

class PyMemory {
 public:
  // `model`: an object with access(addr, bytes, is_write, now_ps) -> latency_ps and, optionally,
  // max_request_bytes (int, a multiple of line_bytes; 0 or absent: one call per line). Throws TypeError/ValueError
  // if it has no callable access or a bad max_request_bytes.
  PyMemory(const py::object& model, std::uint64_t line_bytes);
  PyMemory(const PyMemory&) = delete;
  PyMemory& operator=(const PyMemory&) = delete;
  ~PyMemory() = default;

  // Sets config.external so that the memory model "external" makes a CallbackMemory over this object.
  void install(workload::MemoryModelConfig& config);

 private:
  Picoseconds access(const Request& request, Picoseconds now);

  py::object model_;
  py::object access_;
  std::string label_;
  mem::CallbackMemoryConfig config_;
};

}  // namespace tnpu::bindings
