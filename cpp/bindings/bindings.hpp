#pragma once
// Declarations of the per-area binding functions called from module.cpp, and helpers they share.
#include <pybind11/pybind11.h>

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

}  // namespace tnpu::bindings
