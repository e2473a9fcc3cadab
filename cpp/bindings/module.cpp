// tnpu._core: the compiled core of tnpu-sim. Users import `tnpu`, never this module directly.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "tnpu/error.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "tnpu-sim compiled core (private; use the tnpu package)";
  m.attr("__version__") = TNPU_VERSION;
  m.attr("build_type") = TNPU_BUILD_TYPE;
  m.attr("sanitizers") = TNPU_SANITIZE_FLAGS;
#ifdef TNPU_PROFILE
  m.attr("profile_build") = true;  // CMake option TNPU_PROFILE: symbols and profile boundaries (benchmarks/)
#else
  m.attr("profile_build") = false;
#endif

  // C++ errors reach Python with their message intact. ConfigError and TraceFormatError are ValueErrors.
  py::register_exception<tnpu::ConfigError>(m, "ConfigError", PyExc_ValueError);
  py::register_exception<tnpu::TraceFormatError>(m, "TraceFormatError", PyExc_ValueError);
  py::register_exception<tnpu::SimulationError>(m, "SimulationError", PyExc_RuntimeError);

  tnpu::bindings::bind_enums(m);
  tnpu::bindings::bind_sim(m);
  tnpu::bindings::bind_mem(m);
  // Each area after the ones whose types its signatures use (DramSpec is a member of MemoryModelConfig): pybind11
  // names a type not yet bound by its C++ name, and the build's stub generator refuses those.
  tnpu::bindings::bind_dram(m);
  tnpu::bindings::bind_compute(m);
  tnpu::bindings::bind_sched(m);
  tnpu::bindings::bind_workload(m);
  tnpu::bindings::bind_trace(m);
  tnpu::bindings::bind_accelerator(m);
  tnpu::bindings::bind_registry(m);
  auto testing = m.def_submodule("_testing", "probe-level harnesses for tests and benchmarks (not public API)");
  tnpu::bindings::bind_testing(testing);
}
