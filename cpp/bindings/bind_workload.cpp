// Bindings of the workload area: the Phase and LayerKind enums, the per-layer cost formulas (one call per network),
// and the training task graph, handed over from Python as int64 columns in one call.
#include <pybind11/native_enum.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cctype>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "tnpu/error.hpp"
#include "tnpu/workload/layer_costs.hpp"
#include "tnpu/workload/task_records.hpp"

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

Phase phase_arg(int phase) {
  if (phase < 0 || phase >= static_cast<int>(kPhaseCount)) {
    throw ConfigError("phase: must be 0..3 (FP, BP, GD, WU), got " + std::to_string(phase));
  }
  return static_cast<Phase>(phase);
}

void check_desc(const workload::LayerDesc& d) {
  if (static_cast<std::uint32_t>(d.kind) >= kNumLayerKinds) throw ConfigError("layer: unknown layer kind");
  const std::pair<const char*, std::int64_t> positive[] = {
      {"c", d.c}, {"h", d.h}, {"w", d.w}, {"inputs", d.inputs}, {"k", d.k}, {"r", d.r}, {"s", d.s},
      {"stride_h", d.stride_h}, {"stride_w", d.stride_w}, {"dilation_h", d.dilation_h},
      {"dilation_w", d.dilation_w}, {"groups", d.groups}};
  for (const auto& [field, v] : positive) {
    if (v < 1) throw ConfigError(std::string("layer: ") + field + " must be at least 1, got " + std::to_string(v));
  }
  if (d.pad_h < 0 || d.pad_w < 0) throw ConfigError("layer: padding must not be negative");
  if (d.kind == LayerKind::kActivation &&
      (d.activation < 0 || d.activation >= static_cast<std::int64_t>(workload::kActivations.size()))) {
    throw ConfigError("layer: activation index " + std::to_string(d.activation) + " is not one of 0.." +
                      std::to_string(workload::kActivations.size() - 1));
  }
}

py::list operand_list(const std::vector<workload::LayerOperand>& ops) {
  py::list out;
  for (const auto& o : ops) out.append(py::make_tuple(std::string(o.name), o.bytes, o.stashed));
  return out;
}

}  // namespace

void bind_enums(py::module_& m) {
  py::native_enum<Phase>(m, "Phase", "enum.IntEnum",
                         "Training phase of a task: forward, input gradient, weight gradient, weight update.")
      .value("FP", Phase::kFP)
      .value("BP", Phase::kBP)
      .value("GD", Phase::kGD)
      .value("WU", Phase::kWU)
      .finalize();
  py::native_enum<LayerKind> kinds(m, "LayerKind", "enum.IntEnum",
                                   "Layer type code, as stored in task arrays and compute traces.");
  for (std::uint32_t i = 0; i < kNumLayerKinds; ++i) {
    std::string name(kLayerKindLabels[i]);
    for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    kinds.value(name.c_str(), static_cast<LayerKind>(i));
  }
  kinds.finalize();
  // The text form used in traces, tables and JSON: kind.label ("conv") and LayerKind.from_label("conv").
  py::object type = m.attr("LayerKind");
  py::object builtins = py::module_::import("builtins");
  type.attr("label") = builtins.attr("property")(
      py::cpp_function([](LayerKind k) { return std::string(layer_kind_label(k)); }), py::none(), py::none(),
      "Lower-case name used in traces, tables and JSON (\"conv\", \"linear\", ...).");
  type.attr("from_label") = builtins.attr("staticmethod")(py::cpp_function(
      [](const std::string& text) {
        std::string t = text;
        const auto first = t.find_first_not_of(" \t\r\n"), last = t.find_last_not_of(" \t\r\n");
        t = first == std::string::npos ? std::string() : t.substr(first, last - first + 1);
        for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string valid;
        for (std::uint32_t i = 0; i < kNumLayerKinds; ++i) {
          if (kLayerKindLabels[i] == t) return static_cast<LayerKind>(i);
          valid += (i ? ", " : "") + std::string(kLayerKindLabels[i]);
        }
        throw py::value_error("unknown layer kind '" + text + "' (expected one of: " + valid + ")");
      },
      py::arg("text"), "Parse a label (any case); raise ValueError listing the valid labels."));
}

void bind_workload(py::module_& m) {
  using workload::LayerDesc;
  py::class_<LayerDesc>(m, "LayerDesc", "One layer of a network, per sample (the input of layer_costs).")
      .def(py::init([](LayerKind kind, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t inputs,
                       std::int64_t k, std::int64_t r, std::int64_t s, std::int64_t stride_h, std::int64_t stride_w,
                       std::int64_t pad_h, std::int64_t pad_w, std::int64_t dilation_h, std::int64_t dilation_w,
                       std::int64_t groups, bool ceil_mode, bool bias, bool clipped, std::int64_t activation) {
             const LayerDesc d{kind, c, h, w, inputs, k, r, s, stride_h, stride_w, pad_h, pad_w,
                               dilation_h, dilation_w, groups, ceil_mode, bias, clipped, activation};
             check_desc(d);
             return d;
           }),
           py::arg("kind"), py::arg("c"), py::arg("h"), py::arg("w"), py::arg("inputs") = 1,
           py::arg("k") = 1, py::arg("r") = 1, py::arg("s") = 1, py::arg("stride_h") = 1, py::arg("stride_w") = 1,
           py::arg("pad_h") = 0, py::arg("pad_w") = 0, py::arg("dilation_h") = 1, py::arg("dilation_w") = 1,
           py::arg("groups") = 1, py::arg("ceil_mode") = false, py::arg("bias") = true, py::arg("clipped") = false,
           py::arg("activation") = -1)
      .def_readonly("kind", &LayerDesc::kind)
      .def_property_readonly("out_shape", [](const LayerDesc& d) {
        const auto o = d.out_shape();
        return py::make_tuple(o[0], o[1], o[2]);
      }, "Output shape per sample (C, H, W); a height or width below 1 means the window does not fit.")
      .def_property_readonly("params", &LayerDesc::params, "Weights and biases (batch norm: scale and shift).")
      .def_property_readonly("weights", &LayerDesc::weights, "Conv or linear weights without bias (0 otherwise).");

  m.def(
      "activations",
      [] {
        py::list out;
        static const char* const kNeed[] = {"X", "Y", "mask"};
        for (const auto& a : workload::kActivations) {
          out.append(py::make_tuple(std::string(a.name), a.fp_ops, a.bp_ops, kNeed[static_cast<int>(a.need)]));
        }
        return out;
      },
      "Element-wise activations other than ReLU: (name, FP ops per element, BP ops per element, what BP needs).");

  m.def(
      "layer_operands",
      [](const LayerDesc& d, int phase, std::int64_t batch, std::int64_t dtype_bytes) {
        const auto ops = workload::layer_operands(d, phase_arg(phase), batch, dtype_bytes);
        return py::make_tuple(operand_list(ops.in), operand_list(ops.out));
      },
      py::arg("desc"), py::arg("phase"), py::arg("batch") = 1, py::arg("dtype_bytes") = 4,
      "Operands read and written by one phase: ([(name, bytes, stashed)], [(name, bytes, stashed)]).");
  m.def(
      "layer_cost",
      [](const LayerDesc& d, int phase, std::int64_t batch, std::int64_t dtype_bytes) {
        const auto c = workload::layer_cost(d, phase_arg(phase), batch, dtype_bytes);
        return py::make_tuple(c.m, c.n, c.k, c.macs, c.vector_ops, c.bytes_in, c.bytes_out);
      },
      py::arg("desc"), py::arg("phase"), py::arg("batch") = 1, py::arg("dtype_bytes") = 4,
      "One phase's costs: (m, n, k, macs, vector_ops, bytes_in, bytes_out); (m, n, k) in the task records' "
      "orientation.");
  m.def(
      "linear_for_record",
      [](LayerKind kind, int phase, std::int64_t gm, std::int64_t gn, std::int64_t gk) {
        return workload::linear_for_record(kind, phase_arg(phase), gm, gn, gk);
      },
      py::arg("kind"), py::arg("phase"), py::arg("m"), py::arg("n"), py::arg("k"),
      "The linear LayerShape whose pass lowers to the same GEMM as a task record (kind, phase, m, n, k) of a "
      "compute trace (which holds no layer shapes).");
  m.def(
      "layer_stash",
      [](const LayerDesc& d, std::int64_t batch, std::int64_t dtype_bytes) {
        return operand_list(workload::layer_stash(d, batch, dtype_bytes));
      },
      py::arg("desc"), py::arg("batch") = 1, py::arg("dtype_bytes") = 4,
      "What the forward pass keeps for the backward phases: [(name, bytes, stashed)].");
  m.def(
      "layer_costs",
      [](const std::vector<LayerDesc>& descs, std::int64_t batch, std::int64_t dtype_bytes) {
        if (batch < 1) throw ConfigError("batch: must be at least 1, got " + std::to_string(batch));
        if (dtype_bytes < 1) throw ConfigError("dtype_bytes: must be at least 1, got " + std::to_string(dtype_bytes));
        const auto n = static_cast<py::ssize_t>(descs.size());
        constexpr py::ssize_t kPhases = kPhaseCount;
        const char* const names[] = {"m", "n", "k", "macs", "vector_ops", "bytes_in", "bytes_out"};
        std::vector<py::array_t<std::int64_t>> cols;
        for (std::size_t i = 0; i < std::size(names); ++i) cols.emplace_back(std::vector<py::ssize_t>{n, kPhases});
        py::array_t<std::int64_t> stash(n), params(n), out_shape(std::vector<py::ssize_t>{n, 3});
        std::vector<std::int64_t*> ptr;
        for (auto& c : cols) ptr.push_back(c.mutable_data());
        auto* st = stash.mutable_data();
        auto* pa = params.mutable_data();
        auto* os = out_shape.mutable_data();
        for (py::ssize_t i = 0; i < n; ++i) {
          const LayerDesc& d = descs[static_cast<std::size_t>(i)];
          for (py::ssize_t p = 0; p < kPhases; ++p) {
            const auto c = workload::layer_cost(d, static_cast<Phase>(p), batch, dtype_bytes);
            const std::int64_t v[] = {c.m, c.n, c.k, c.macs, c.vector_ops, c.bytes_in, c.bytes_out};
            for (std::size_t j = 0; j < std::size(v); ++j) ptr[j][i * kPhases + p] = v[j];
          }
          st[i] = 0;
          for (const auto& o : workload::layer_stash(d, batch, dtype_bytes)) st[i] += o.bytes;
          pa[i] = d.params();
          const auto o = d.out_shape();
          for (int j = 0; j < 3; ++j) os[i * 3 + j] = o[static_cast<std::size_t>(j)];
        }
        py::dict out;
        for (std::size_t j = 0; j < std::size(names); ++j) out[names[j]] = cols[j];
        out["stash_bytes"] = stash;
        out["params"] = params;
        out["out_shape"] = out_shape;
        return out;
      },
      py::arg("descs"), py::arg("batch") = 1, py::arg("dtype_bytes") = 4,
      "Costs of every layer of a network in one call: a dict of int64 arrays, (layers, 4 phases) for m, n, k "
      "(the task records' GEMM), macs, vector_ops, bytes_in, bytes_out; (layers,) for stash_bytes and params; "
      "(layers, 3) for out_shape.");

  py::class_<TaskSet>(m, "TaskGraph",
                      "A validated training task graph (tasks plus dependencies), built from int64 record columns: "
                      "the TaskSet the schedulers run, positions in the records' order.")
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
             // Safe to release: the columns are C++ copies, and the checks touch no Python object.
             py::gil_scoped_release release;
             return workload::task_set_from_records(c, offsets, ids);
           }),
           py::arg("id"), py::arg("instance"), py::arg("phase"), py::arg("layer"), py::arg("layer_kind"),
           py::arg("m"), py::arg("n"), py::arg("k"), py::arg("macs"), py::arg("bytes_in"), py::arg("bytes_out"),
           py::arg("start_cycle"), py::arg("end_cycle"), py::arg("dep_offsets"), py::arg("dep_ids"))
      .def("__len__", &TaskSet::size)
      .def_property_readonly("num_dependencies", [](const TaskSet& g) { return g.dep_ids.size(); })
      .def(
          "deps",
          [](const TaskSet& g, std::size_t position) {
            if (position >= g.size()) throw py::index_error("task position out of range");
            return std::vector<std::uint32_t>(g.dep_ids.begin() + static_cast<std::ptrdiff_t>(g.dep_offsets[position]),
                                              g.dep_ids.begin() +
                                                  static_cast<std::ptrdiff_t>(g.dep_offsets[position + 1]));
          },
          py::arg("position"), "Positions of the tasks that the task at `position` depends on.")
      .def(
          "dependents",
          [](const TaskSet& g, std::size_t position) {
            if (position >= g.size()) throw py::index_error("task position out of range");
            std::vector<std::uint64_t> offsets;
            std::vector<std::uint32_t> out;
            g.dependents(offsets, out);
            return std::vector<std::uint32_t>(out.begin() + static_cast<std::ptrdiff_t>(offsets[position]),
                                              out.begin() + static_cast<std::ptrdiff_t>(offsets[position + 1]));
          },
          py::arg("position"), "Positions of the tasks that depend on the task at `position`.")
      .def(
          "position_of",
          [](const TaskSet& g, std::int64_t id) -> std::optional<std::size_t> {
            for (std::size_t i = 0; i < g.size(); ++i) {
              if (g.id(static_cast<std::uint32_t>(i)) == id) return i;
            }
            return std::nullopt;
          },
          py::arg("id"), "Position of the task with this id, or None.")
      .def(
          "topological_order", [](const TaskSet& g) { return to_numpy(g.topological_order().order); },
          "Positions in a deterministic topological order (smallest ready position first).")
      .def(
          "depth", [](const TaskSet& g) { return to_numpy(g.topological_order().depth); },
          "Per task, the number of tasks on the longest dependency chain ending at it.");
}

}  // namespace tnpu::bindings
