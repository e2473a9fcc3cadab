// Bindings of the workload area: the training task graph, handed over from Python as int64 columns in one call.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "tnpu/error.hpp"
#include "tnpu/workload/task_graph.hpp"

namespace tnpu::bindings {

namespace {

using I64Array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

// Copies a column out of its numpy buffer. A copy (not a view) because numpy may hand over a contiguous but
// misaligned buffer (a one-element field of a packed structured array), which must not be read as int64_t in place.
std::vector<std::int64_t> column(const I64Array& a, const char* name) {
  if (a.ndim() != 1) throw ConfigError(std::string("task graph: column '") + name + "' must be one-dimensional");
  std::vector<std::int64_t> out(static_cast<std::size_t>(a.shape(0)));
  if (!out.empty()) std::memcpy(out.data(), a.data(), out.size() * sizeof(std::int64_t));
  return out;
}

py::array_t<std::uint32_t> to_numpy(const std::vector<std::uint32_t>& v) {
  py::array_t<std::uint32_t> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

}  // namespace

void bind_workload(py::module_& m) {
  using workload::TaskGraph;
  py::class_<TaskGraph>(m, "TaskGraph",
                        "A validated training task graph (tasks plus dependencies); built from int64 columns.")
      .def(py::init([](const I64Array& id, const I64Array& instance, const I64Array& phase, const I64Array& layer,
                       const I64Array& layer_kind, const I64Array& gm, const I64Array& gn, const I64Array& gk,
                       const I64Array& macs, const I64Array& bytes_in, const I64Array& bytes_out,
                       const I64Array& start_cycle, const I64Array& end_cycle, const I64Array& dep_offsets,
                       const I64Array& dep_ids) {
             const std::vector<std::int64_t> cols[] = {
                 column(id, "id"),           column(instance, "instance"), column(phase, "phase"),
                 column(layer, "layer"),     column(layer_kind, "layer_kind"), column(gm, "m"),
                 column(gn, "n"),            column(gk, "k"),             column(macs, "macs"),
                 column(bytes_in, "bytes_in"), column(bytes_out, "bytes_out"), column(start_cycle, "start_cycle"),
                 column(end_cycle, "end_cycle")};
             const workload::TaskColumns c{cols[0], cols[1], cols[2], cols[3],  cols[4],  cols[5], cols[6],
                                           cols[7], cols[8], cols[9], cols[10], cols[11], cols[12]};
             const auto offsets = column(dep_offsets, "dep_offsets");
             const auto ids = column(dep_ids, "dep_ids");
             // Safe to release: the columns are C++ copies, and the constructor touches no Python object.
             py::gil_scoped_release release;
             return TaskGraph(c, offsets, ids);
           }),
           py::arg("id"), py::arg("instance"), py::arg("phase"), py::arg("layer"), py::arg("layer_kind"),
           py::arg("m"), py::arg("n"), py::arg("k"), py::arg("macs"), py::arg("bytes_in"), py::arg("bytes_out"),
           py::arg("start_cycle"), py::arg("end_cycle"), py::arg("dep_offsets"), py::arg("dep_ids"))
      .def("__len__", &TaskGraph::size)
      .def_property_readonly("num_dependencies", &TaskGraph::num_dependencies)
      .def(
          "deps",
          [](const TaskGraph& g, std::size_t position) {
            const auto d = g.deps(position);
            return std::vector<std::uint32_t>(d.begin(), d.end());
          },
          py::arg("position"), "Positions of the tasks that the task at `position` depends on.")
      .def(
          "dependents",
          [](const TaskGraph& g, std::size_t position) {
            const auto d = g.dependents(position);
            return std::vector<std::uint32_t>(d.begin(), d.end());
          },
          py::arg("position"), "Positions of the tasks that depend on the task at `position`.")
      .def("position_of", &TaskGraph::position_of, py::arg("id"), "Position of the task with this id, or None.")
      .def(
          "topological_order", [](const TaskGraph& g) { return to_numpy(g.topological_order()); },
          "Positions in a deterministic topological order (smallest ready position first).")
      .def(
          "depth", [](const TaskGraph& g) { return to_numpy(g.depth()); },
          "Per task, the number of tasks on the longest dependency chain ending at it.")
      .def(
          "macs",
          [](const TaskGraph& g, int phase) {
            if (phase < 0 || phase >= workload::kNumPhases) throw ConfigError("phase must be 0..3 (FP, BP, GD, WU)");
            return g.macs(static_cast<workload::Phase>(phase));
          },
          py::arg("phase"), "Total MACs of one phase (0 FP, 1 BP, 2 GD, 3 WU).");
}

}  // namespace tnpu::bindings
