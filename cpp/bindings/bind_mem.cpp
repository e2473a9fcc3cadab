// Bindings of the memory-side modules built so far: the fixed-latency memory and the traffic generator.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "py_simulator.hpp"
#include "tnpu/mem/fixed_latency_memory.hpp"
#include "tnpu/mem/traffic_generator.hpp"

namespace tnpu::bindings {

template <class T>
using Ref = std::unique_ptr<T, py::nodelete>;  // modules are owned by their Simulation, never by Python

void bind_mem(py::module_& m) {
  py::class_<Module, Ref<Module>>(m, "Module", "A named part of a simulation (owned by its Simulator).")
      .def_property_readonly("name", &Module::name)
      .def_property_readonly("parent_name",
                             [](const Module& mod) -> std::optional<std::string> {
                               if (mod.parent() == nullptr) return std::nullopt;
                               return mod.parent()->name();
                             })
      .def_property_readonly("children", [](const Module& mod) {
        std::vector<std::string> names;
        for (const Module* c : mod.children()) names.push_back(c->name());
        return names;
      });
  py::class_<Target, Ref<Target>>(m, "Target", "Something that accepts requests (a memory, a controller).");

  py::class_<FixedLatencyMemory, Module, Target, Ref<FixedLatencyMemory>>(
      m, "FixedLatencyMemory",
      "Memory with a fixed latency, a bounded queue (back-pressure) and an optional minimum start interval.")
      .def(py::init([](PySimulator& s, const std::string& name, Picoseconds latency_ps, std::uint32_t queue_depth,
                       Picoseconds issue_interval_ps, Module* parent) {
             FixedLatencyMemoryConfig c;
             c.latency_ps = latency_ps;
             c.queue_depth = queue_depth;
             c.issue_interval_ps = issue_interval_ps;
             return Ref<FixedLatencyMemory>(&s.sim().make<FixedLatencyMemory>(name, c, parent));
           }),
           py::arg("sim"), py::arg("name"), py::kw_only(), py::arg("latency_ps") = 100'000,
           py::arg("queue_depth") = 16, py::arg("issue_interval_ps") = 0, py::arg("parent") = nullptr,
           py::keep_alive<1, 2>())
      .def_property_readonly("occupancy", &FixedLatencyMemory::occupancy)
      .def_property_readonly("latency_ps", [](const FixedLatencyMemory& f) { return f.config().latency_ps; })
      .def_property_readonly("queue_depth", [](const FixedLatencyMemory& f) { return f.config().queue_depth; })
      .def_property_readonly("issue_interval_ps",
                             [](const FixedLatencyMemory& f) { return f.config().issue_interval_ps; });

  py::class_<TrafficGenerator, Module, Ref<TrafficGenerator>>(
      m, "TrafficGenerator", "Issues requests to a target, honours back-pressure and measures latency.")
      .def(py::init([](PySimulator& s, const std::string& name, Target& target, std::uint64_t count,
                       std::uint64_t start_address, std::uint64_t stride_bytes, std::uint32_t size_bytes,
                       std::uint32_t write_every, Picoseconds interval_ps, Picoseconds start_ps,
                       std::uint32_t max_outstanding, std::uint32_t source, Module* parent) {
             TrafficGeneratorConfig c;
             c.count = count;
             c.start_address = start_address;
             c.stride_bytes = stride_bytes;
             c.size_bytes = size_bytes;
             c.write_every = write_every;
             c.interval_ps = interval_ps;
             c.start_ps = start_ps;
             c.max_outstanding = max_outstanding;
             c.source = source;
             return Ref<TrafficGenerator>(&s.sim().make<TrafficGenerator>(name, target, c, parent));
           }),
           py::arg("sim"), py::arg("name"), py::arg("target"), py::kw_only(), py::arg("count") = 1000,
           py::arg("start_address") = 0, py::arg("stride_bytes") = 64, py::arg("size_bytes") = 64,
           py::arg("write_every") = 0, py::arg("interval_ps") = 0, py::arg("start_ps") = 0,
           py::arg("max_outstanding") = 0, py::arg("source") = 0, py::arg("parent") = nullptr,
           py::keep_alive<1, 2>())
      .def_property_readonly("done", &TrafficGenerator::done)
      .def_property_readonly("issued", &TrafficGenerator::issued)
      .def_property_readonly("completed", &TrafficGenerator::completed)
      .def_property_readonly("first_issue_ps", &TrafficGenerator::first_issue_ps)
      .def_property_readonly("last_complete_ps", &TrafficGenerator::last_complete_ps);
}

}  // namespace tnpu::bindings
