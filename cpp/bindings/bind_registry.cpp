// tnpu._core.registry(): every registry of the core (sim/registry.hpp) in one shape, so that Python's validation,
// the CLI's choices and `tnpu list` read the names, descriptions and parameters from C++ instead of a second list.
#include <pybind11/stl.h>

#include <string>
#include <tuple>
#include <vector>

#include "bindings.hpp"
#include "tnpu/compute/dataflow.hpp"
#include "tnpu/compute/dtype.hpp"
#include "tnpu/compute/engine.hpp"
#include "tnpu/mem/address_map.hpp"
#include "tnpu/mem/dram/policies.hpp"
#include "tnpu/mem/dram_timing.hpp"
#include "tnpu/mem/memory_model.hpp"
#include "tnpu/sched/scheduler.hpp"
#include "tnpu/trace/trace_format.hpp"

namespace tnpu::bindings {

namespace {

using ParamRow = std::tuple<std::string, std::string, std::string, std::string>;
using EntryRow = std::tuple<std::string, std::string, std::vector<ParamRow>>;

template <class R>
std::vector<EntryRow> rows(const R& registry) {
  std::vector<EntryRow> out;
  for (const EntryInfo& e : registry.describe()) {
    std::vector<ParamRow> params;
    for (const ParamInfo& p : e.params) params.emplace_back(p.name, p.unit, p.default_value, p.description);
    out.emplace_back(e.name, e.description, std::move(params));
  }
  return out;
}

}  // namespace

void bind_registry(py::module_& m) {
  m.def(
      "registry",
      [] {
        py::dict out;
        out["dataflow"] = rows(compute::dataflows());
        out["engine"] = rows(compute::engines());
        out["data_type"] = rows(compute::data_types());
        out["scheduler"] = rows(schedulers());
        out["memory_model"] = rows(mem::memory_models());
        out["dram_standard"] = rows(dram_standards());
        out["address_mapping"] = rows(address_mappings());
        out["trace_format"] = rows(trace_formats());
        // The DRAM channel's policies (tnpu/mem/dram/policies.hpp; DramSpec fields scheduler, page_policy,
        // refresh_policy, refresh_precharge, write_drain).
        out["dram_scheduler"] = rows(dram::scheduler_registry());
        out["dram_row_policy"] = rows(dram::row_policy_registry());
        out["dram_refresh_policy"] = rows(dram::refresh_policy_registry());
        out["dram_refresh_precharge"] = rows(dram::refresh_precharge_registry());
        out["dram_write_drain"] = rows(dram::write_drain_registry());
        return out;
      },
      "Every registered choice by area: {area: [(name, description, [(param, unit, default, description), ...])]}, "
      "in registration order.");
  m.def(
      "nearest_name",
      [](const std::string& name, const std::vector<std::string>& known) { return nearest_name(name, known); },
      py::arg("name"), py::arg("known"),
      "The name of `known` nearest to `name` if close enough to be a typo (the registries' 'did you mean'), else ''.");
}

}  // namespace tnpu::bindings
