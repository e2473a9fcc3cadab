#pragma once
// Declarations of the per-area binding functions called from module.cpp, and helpers they share.
#include <pybind11/pybind11.h>

#include <string>
#include <utility>

namespace tnpu::bindings {

namespace py = pybind11;

void bind_enums(py::module_& m);  // Phase, LayerKind: before any area whose signatures use them
void bind_sim(py::module_& m);
void bind_mem(py::module_& m);
void bind_compute(py::module_& m);
void bind_sched(py::module_& m);
void bind_workload(py::module_& m);
void bind_trace(py::module_& m);
void bind_dram(py::module_& m);
void bind_accelerator(py::module_& m);
void bind_testing(py::module_& m);
void bind_registry(py::module_& m);

// The "scheduler" (registered name) and "window" properties of a config whose SchedulerConfig is `member`.
template <class C, class S>
void def_scheduler(py::class_<C>& cls, S C::*member) {
  cls.def_property(
         "scheduler", [member](const C& c) { return (c.*member).name; },
         [member](C& c, std::string name) { (c.*member).name = std::move(name); },
         "registered scheduler name (inorder, split, reorder)")
      .def_property(
          "window", [member](const C& c) { return (c.*member).window; },
          [member](C& c, std::uint32_t w) { (c.*member).window = w; }, "most instances in flight (0: unbounded)");
}

// What the DMA engines of a run moved: dram_bytes_read, dram_bytes_written, dram_requests (a result's totals).
template <class C>
void def_dram_totals(py::class_<C>& cls) {
  cls.def_readonly("dram_bytes_read", &C::dram_bytes_read)
      .def_readonly("dram_bytes_written", &C::dram_bytes_written)
      .def_readonly("dram_requests", &C::dram_requests);
}

}  // namespace tnpu::bindings
