// Bindings of the datapath: dataflows and the PE array, the vector unit, data types, the SRAM buffer, the DMA engine,
// layer shapes, tiling and one layer pass end to end (a one-engine accelerator), its result a typed PassResult.
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "bindings.hpp"
#include "py_simulator.hpp"
#include "tnpu/accelerator.hpp"
#include "tnpu/compute/dataflow.hpp"
#include "tnpu/compute/dtype.hpp"
#include "tnpu/compute/pe_array.hpp"
#include "tnpu/compute/vector_unit.hpp"
#include "tnpu/error.hpp"
#include "tnpu/mem/dma_engine.hpp"
#include "tnpu/mem/sram_buffer.hpp"
#include "tnpu/workload/layer.hpp"
#include "tnpu/workload/layer_pass.hpp"
#include "tnpu/workload/tiling.hpp"

namespace tnpu::bindings {

namespace {

template <class T>
using Ref = std::unique_ptr<T, py::nodelete>;

// A GEMM's cost on an engine of `pes` processing elements (the utilisation over the whole run needs the count).
struct GemmReport {
  compute::GemmCost cost;
  std::uint64_t pes = 1;
};

void bind_cost_types(py::module_& m) {
  py::class_<GemmReport>(m, "GemmCost",
                         "What PeArray.gemm and VectorUnit.gemm return: folds, cycles, MACs, utilisation (SCALE-Sim's "
                         "definitions) and the engine's SRAM element accesses.")
      .def_property_readonly("folds", [](const GemmReport& r) { return r.cost.folds; })
      .def_property_readonly("fold_cycles", [](const GemmReport& r) { return r.cost.fold_cycles; },
                             "cycles of one fold")
      .def_property_readonly("cycles", [](const GemmReport& r) { return r.cost.cycles; },
                             "folds * fold_cycles: first operand in to last result out")
      .def_property_readonly("scalesim_total_cycles", [](const GemmReport& r) { return r.cost.scalesim_total_cycles(); },
                             "SCALE-Sim's Total Cycles (cycles - 1)")
      .def_property_readonly("macs", [](const GemmReport& r) { return r.cost.macs; })
      .def_property_readonly("mapping_efficiency", [](const GemmReport& r) { return r.cost.mapping_efficiency; },
                             "mean fraction of the array mapped per fold (0..1)")
      .def_property_readonly("compute_util", [](const GemmReport& r) { return r.cost.compute_util; },
                             "mean fraction of PEs busy per cycle of a fold (0..1)")
      .def_property_readonly(
          "overall_util",
          [](const GemmReport& r) {
            const auto total = r.cost.scalesim_total_cycles();
            return total ? static_cast<double>(r.cost.macs) / (static_cast<double>(total) * static_cast<double>(r.pes))
                         : 0.0;
          },
          "macs / (scalesim_total_cycles * PEs)")
      .def_property_readonly("sram_a_reads", [](const GemmReport& r) { return r.cost.a_reads; })
      .def_property_readonly("sram_b_reads", [](const GemmReport& r) { return r.cost.b_reads; })
      .def_property_readonly("sram_c_reads", [](const GemmReport& r) { return r.cost.c_reads; })
      .def_property_readonly("sram_c_writes", [](const GemmReport& r) { return r.cost.c_writes; })
      .def("__repr__", [](const GemmReport& r) {
        return "GemmCost(folds=" + std::to_string(r.cost.folds) + ", cycles=" + std::to_string(r.cost.cycles) +
               ", macs=" + std::to_string(r.cost.macs) + ")";
      });

  py::class_<compute::ElementwiseCost>(m, "ElementwiseCost", "What VectorUnit.elementwise returns.")
      .def_readonly("cycles", &compute::ElementwiseCost::cycles)
      .def_readonly("bytes_read", &compute::ElementwiseCost::bytes_read)
      .def_readonly("bytes_written", &compute::ElementwiseCost::bytes_written)
      .def("__repr__", [](const compute::ElementwiseCost& c) {
        return "ElementwiseCost(cycles=" + std::to_string(c.cycles) + ", bytes_read=" + std::to_string(c.bytes_read) +
               ", bytes_written=" + std::to_string(c.bytes_written) + ")";
      });

  py::class_<compute::DataTypeInfo>(m, "DataTypeInfo", "What data_type_info returns.")
      .def_property_readonly("name", [](const compute::DataTypeInfo& i) { return std::string(i.name); })
      .def_readonly("bytes", &compute::DataTypeInfo::bytes, "bytes per element")
      .def_property_readonly("mac_energy_class",
                             [](const compute::DataTypeInfo& i) { return std::string(i.mac_energy_class); },
                             "key of the MAC energy in the energy table");

  py::class_<workload::PassGemm>(m, "PassGemm", "What lower returns: one pass of a layer as a GEMM.")
      .def_property_readonly(
          "gemm", [](const workload::PassGemm& p) { return py::make_tuple(p.gemm.m, p.gemm.k, p.gemm.n); },
          "(M, K, N) per group")
      .def_readonly("groups", &workload::PassGemm::groups)
      .def_property_readonly(
          "operands",
          [](const workload::PassGemm& p) { return py::make_tuple(p.a.tensor, p.b.tensor, p.c.tensor); },
          "the tensors of A, B and C")
      .def_readonly("macs", &workload::PassGemm::macs, "multiply-accumulates of the pass, all groups");
}

mem::Operand operand_by_name(const std::string& op) {
  for (std::size_t i = 0; i < mem::kNumOperands; ++i) {
    if (mem::operand_name(static_cast<mem::Operand>(i)) == op) return static_cast<mem::Operand>(i);
  }
  throw ConfigError("operand: expected ifmap, filter or ofmap, got '" + op + "'");
}

Command command_by_name(const std::string& s) {
  if (s == "read") return Command::kRead;
  if (s == "write") return Command::kWrite;
  throw ConfigError("command: expected 'read' or 'write', got '" + s + "'");
}

// The figures of one pass as typed, read-only objects (tnpu.layer.LayerResult is built from them).
void bind_pass_result(py::module_& m) {
  using workload::Mapping;
  py::class_<Mapping>(m, "Mapping", "A pass's tiling: tile sizes, loop order, tile counts and buffer footprint, and "
                                    "the closed-form DRAM bytes of the pass before request rounding (analytic_*).")
      .def_readonly("tile_m", &Mapping::tile_m)
      .def_readonly("tile_k", &Mapping::tile_k)
      .def_readonly("tile_n", &Mapping::tile_n)
      .def_readonly("order", &Mapping::order, "loop order, outermost first")
      .def_readonly("tiles_m", &Mapping::tiles_m)
      .def_readonly("tiles_k", &Mapping::tiles_k)
      .def_readonly("tiles_n", &Mapping::tiles_n)
      .def_readonly("a_tile_bytes", &Mapping::a_tile_bytes)
      .def_readonly("b_tile_bytes", &Mapping::b_tile_bytes)
      .def_readonly("c_tile_bytes", &Mapping::c_tile_bytes)
      .def_readonly("buffer_bytes", &Mapping::buffer_bytes, "what the mapping needs in the buffer")
      .def_property_readonly("analytic_dram_bytes", &Mapping::dram_bytes)
      .def_readonly("analytic_a_read_bytes", &Mapping::a_read_bytes)
      .def_readonly("analytic_b_read_bytes", &Mapping::b_read_bytes)
      .def_readonly("analytic_c_read_bytes", &Mapping::c_read_bytes)
      .def_readonly("analytic_c_write_bytes", &Mapping::c_write_bytes);

  using workload::PassResult;
  std::vector<std::string> operands;
  for (std::size_t i = 0; i < mem::kNumOperands; ++i) {
    operands.emplace_back(mem::operand_name(static_cast<mem::Operand>(i)));
  }
  // The SRAM operands in the order of PassResult.sram_reads / sram_writes.
  m.attr("SRAM_OPERANDS") = py::tuple(py::cast(operands));
  auto per_operand = [](const std::uint64_t (&v)[mem::kNumOperands]) {
    return py::make_tuple(v[0], v[1], v[2]);
  };
  static_assert(mem::kNumOperands == 3);
  py::class_<PassResult> result(m, "PassResult",
                         "What simulate_pass and simulate_elementwise return: the pass's lowering, mapping, cycles, "
                         "DRAM traffic and SRAM accesses by name (tnpu.layer.LayerResult documents the fields).");
  result.def_readonly("layer", &PassResult::layer)
      .def_readonly("phase", &PassResult::phase)
      .def_readonly("engine", &PassResult::engine)
      .def_readonly("dataflow", &PassResult::dataflow)
      .def_readonly("memory_model", &PassResult::memory_model)
      .def_property_readonly("gemm", [](const PassResult& r) { return py::make_tuple(r.gemm.m, r.gemm.k, r.gemm.n); },
                             "(M, K, N) per group")
      .def_readonly("groups", &PassResult::groups)
      .def_property_readonly(
          "operands", [](const PassResult& r) { return py::make_tuple(r.a_tensor, r.b_tensor, r.c_tensor); },
          "the tensors of A, B and C")
      .def_readonly("mapping", &PassResult::mapping)
      .def_readonly("tiles", &PassResult::tiles)
      .def_readonly("macs", &PassResult::macs)
      .def_readonly("total_cycles", &PassResult::total_cycles)
      .def_readonly("compute_cycles", &PassResult::compute_cycles)
      .def_readonly("stall_cycles", &PassResult::stall_cycles)
      .def_property_readonly("scalesim_total_cycles", &PassResult::scalesim_total_cycles)
      .def_readonly("total_ps", &PassResult::total_ps)
      .def_readonly("pes", &PassResult::pes)
      .def_readonly("utilization", &PassResult::utilization)
      .def_readonly("mapping_efficiency", &PassResult::mapping_efficiency)
      .def_readonly("compute_util", &PassResult::compute_util)
      .def_readonly("dram_a_read_bytes", &PassResult::dram_a_read_bytes)
      .def_readonly("dram_b_read_bytes", &PassResult::dram_b_read_bytes)
      .def_readonly("dram_c_read_bytes", &PassResult::dram_c_read_bytes)
      .def_readonly("dram_c_write_bytes", &PassResult::dram_c_write_bytes)
      .def_property_readonly(
          "sram_reads", [per_operand](const PassResult& r) { return per_operand(r.sram_reads); },
          "words read per operand (SRAM_OPERANDS order)")
      .def_property_readonly(
          "sram_writes", [per_operand](const PassResult& r) { return per_operand(r.sram_writes); },
          "words written per operand (SRAM_OPERANDS order)")
      .def_readonly("events", &PassResult::events);
  def_dram_totals(result);
}

}  // namespace

void bind_compute(py::module_& m) {
  bind_cost_types(m);
  m.def(
      "data_type_info",
      [](const std::string& name) {
        return compute::data_type_info(compute::data_type_by_name(name));
      },
      py::arg("name"), "Bytes per element and MAC energy class of a data type.");

  py::class_<compute::PeArray>(m, "PeArray", "An R x C systolic PE array with a named dataflow (os, ws, is).")
      .def(py::init([](std::uint64_t rows, std::uint64_t cols, const std::string& dataflow) {
             compute::PeArrayConfig c;
             c.rows = rows;
             c.cols = cols;
             c.dataflow = dataflow;
             c.validate();
             return compute::PeArray(c);
           }),
           py::arg("rows"), py::arg("cols"), py::arg("dataflow"))
      .def_property_readonly("rows", [](const compute::PeArray& a) { return a.dims().rows; })
      .def_property_readonly("cols", [](const compute::PeArray& a) { return a.dims().cols; })
      .def_property_readonly("dataflow", [](const compute::PeArray& a) { return std::string(a.dataflow().name()); })
      .def(
          "gemm",
          [](const compute::PeArray& a, std::uint64_t mm, std::uint64_t k, std::uint64_t n) {
            return GemmReport{a.gemm({mm, k, n}), a.pes()};
          },
          py::arg("m"), py::arg("k"), py::arg("n"),
          "Cycles and utilisation of C[m x n] = A[m x k] . B[k x n] on the array (SCALE-Sim's model).")
      .def(
          "gemm_many",
          [](const compute::PeArray& a, const std::vector<std::array<std::uint64_t, 3>>& shapes) {
            std::vector<std::uint64_t> cycles;
            cycles.reserve(shapes.size());
            for (const auto& s : shapes) cycles.push_back(a.gemm({s[0], s[1], s[2]}).cycles);
            return cycles;
          },
          py::arg("shapes"), "Cycles of many (m, k, n) GEMMs at once.");

  py::class_<compute::VectorUnit>(m, "VectorUnit", "A row of N MAC lanes (TNPU's PU-f).")
      .def(py::init([](std::uint64_t lanes) {
             compute::VectorUnitConfig c;
             c.lanes = lanes;
             return compute::VectorUnit(c);
           }),
           py::arg("lanes"))
      .def_property_readonly("lanes", &compute::VectorUnit::lanes)
      .def("matvec", &compute::VectorUnit::matvec, py::arg("rows"), py::arg("cols"))
      .def("dot", &compute::VectorUnit::dot, py::arg("length"))
      .def("outer", &compute::VectorUnit::outer, py::arg("rows"), py::arg("cols"))
      .def(
          "gemm",
          [](const compute::VectorUnit& v, std::uint64_t mm, std::uint64_t k, std::uint64_t n) {
            return GemmReport{v.gemm({mm, k, n}), v.lanes()};
          },
          py::arg("m"), py::arg("k"), py::arg("n"))
      .def(
          "elementwise",
          [](const compute::VectorUnit& v, const std::string& kind, std::uint64_t elements, std::uint64_t window,
             const std::string& dtype) {
            return v.elementwise_cost(compute::elementwise_kind_by_name(kind), elements, window,
                                      compute::data_type_info(compute::data_type_by_name(dtype)).bytes);
          },
          py::arg("kind"), py::arg("elements"), py::kw_only(), py::arg("window") = 1, py::arg("dtype") = "fp32",
          "Cycles and bytes of element-wise work: relu, relu_backward, maxpool, avgpool, loss, weight_update.");

  py::class_<workload::LayerShape>(m, "LayerShape", "Shape of a conv or linear layer (same fields as layer_shape()).")
      .def(py::init<>())
      .def_property(
          "kind",
          [](const workload::LayerShape& s) { return s.kind == workload::LayerKind::kConv ? "conv" : "linear"; },
          [](workload::LayerShape& s, const std::string& k) {
            if (k == "conv") {
              s.kind = workload::LayerKind::kConv;
            } else if (k == "linear") {
              s.kind = workload::LayerKind::kLinear;
            } else {
              throw ConfigError("layer.kind: expected 'conv' or 'linear', got '" + k + "'");
            }
          })
      .def_readwrite("n", &workload::LayerShape::n)
      .def_readwrite("c", &workload::LayerShape::c)
      .def_readwrite("k", &workload::LayerShape::k)
      .def_readwrite("h", &workload::LayerShape::h)
      .def_readwrite("w", &workload::LayerShape::w)
      .def_readwrite("r", &workload::LayerShape::r)
      .def_readwrite("s", &workload::LayerShape::s)
      .def_readwrite("stride_h", &workload::LayerShape::stride_h)
      .def_readwrite("stride_w", &workload::LayerShape::stride_w)
      .def_readwrite("pad_h", &workload::LayerShape::pad_h)
      .def_readwrite("pad_w", &workload::LayerShape::pad_w)
      .def_readwrite("dilation_h", &workload::LayerShape::dilation_h)
      .def_readwrite("dilation_w", &workload::LayerShape::dilation_w)
      .def_readwrite("groups", &workload::LayerShape::groups)
      .def_property_readonly("out_h", &workload::LayerShape::out_h)
      .def_property_readonly("out_w", &workload::LayerShape::out_w)
      .def_property_readonly("macs", &workload::LayerShape::macs)
      .def("validate", &workload::LayerShape::validate, py::arg("layer_name") = "layer");

  m.def(
      "lower",
      [](const workload::LayerShape& s, const std::string& phase, const std::string& name) {
        return workload::lower(s, workload::phase_by_name(phase), name);
      },
      py::arg("shape"), py::arg("phase"), py::arg("layer_name") = "layer",
      "The GEMM (M, K, N) per group, the group count and the operand tensors of one pass of a layer.");

  py::class_<compute::PeArrayConfig>(m, "PeArrayConfig")
      .def(py::init<>())
      .def_readwrite("rows", &compute::PeArrayConfig::rows)
      .def_readwrite("cols", &compute::PeArrayConfig::cols)
      .def_readwrite("dataflow", &compute::PeArrayConfig::dataflow);
  py::class_<compute::VectorUnitConfig>(m, "VectorUnitConfig")
      .def(py::init<>())
      .def_readwrite("lanes", &compute::VectorUnitConfig::lanes);
  py::class_<mem::SramBufferConfig>(m, "SramBufferConfig")
      .def(py::init<>())
      .def_readwrite("name", &mem::SramBufferConfig::name)
      .def_readwrite("capacity_bytes", &mem::SramBufferConfig::capacity_bytes)
      .def_readwrite("banks", &mem::SramBufferConfig::banks)
      .def_readwrite("word_bytes", &mem::SramBufferConfig::word_bytes)
      .def_readwrite("ports", &mem::SramBufferConfig::ports)
      .def_readwrite("shared", &mem::SramBufferConfig::shared)
      .def_readwrite("ifmap_fraction", &mem::SramBufferConfig::ifmap_fraction)
      .def_readwrite("filter_fraction", &mem::SramBufferConfig::filter_fraction)
      .def_readwrite("ofmap_fraction", &mem::SramBufferConfig::ofmap_fraction)
      .def_readwrite("double_buffering", &mem::SramBufferConfig::double_buffering);
  py::class_<mem::DmaEngineConfig>(m, "DmaEngineConfig")
      .def(py::init<>())
      .def_readwrite("request_bytes", &mem::DmaEngineConfig::request_bytes)
      .def_readwrite("max_outstanding", &mem::DmaEngineConfig::max_outstanding)
      .def_readwrite("max_burst_bytes", &mem::DmaEngineConfig::max_burst_bytes)
      .def_readwrite("notify_lines", &mem::DmaEngineConfig::notify_lines);
  // Member types before the classes that hold them, so that signatures (and the .pyi stubs) name them.
  py::class_<SampledMemoryConfig>(m, "SampledMemoryConfig",
                                  "Memory model 'sampled': detailed DRAM windows and measured per-class pipes.")
      .def(py::init<>())
      .def_readwrite("design", &SampledMemoryConfig::design)
      .def_readwrite("warmup_ps", &SampledMemoryConfig::warmup_ps)
      .def_readwrite("window_ps", &SampledMemoryConfig::window_ps)
      .def_readwrite("min_class_ps", &SampledMemoryConfig::min_class_ps)
      .def_readwrite("detail_fraction", &SampledMemoryConfig::detail_fraction)
      .def_readwrite("burst_lines", &SampledMemoryConfig::burst_lines)
      .def_readwrite("fallback_rel_se", &SampledMemoryConfig::fallback_rel_se)
      .def_readwrite("paired_fraction", &SampledMemoryConfig::paired_fraction)
      .def_readwrite("target_rel_se", &SampledMemoryConfig::target_rel_se)
      .def_readwrite("paired_seed", &SampledMemoryConfig::paired_seed)
      .def_readwrite("paired_strata", &SampledMemoryConfig::paired_strata);
  py::class_<workload::MemoryModelConfig>(m, "MemoryModelConfig")
      .def(py::init<>())
      .def_readwrite("model", &workload::MemoryModelConfig::model)
      .def_readwrite("latency_ps", &workload::MemoryModelConfig::latency_ps)
      .def_readwrite("queue_depth", &workload::MemoryModelConfig::queue_depth)
      .def_readwrite("issue_interval_ps", &workload::MemoryModelConfig::issue_interval_ps)
      .def_readwrite("max_request_bytes", &workload::MemoryModelConfig::max_request_bytes)
      .def_readwrite("dram", &workload::MemoryModelConfig::dram)
      .def_readwrite("sampled", &workload::MemoryModelConfig::sampled);
  py::class_<workload::PassConfig>(m, "PassConfig", "Everything one layer pass needs (built by tnpu.config).")
      .def(py::init<>())
      .def_readwrite("engine", &workload::PassConfig::engine)
      .def_readwrite("pe_array", &workload::PassConfig::pe_array)
      .def_readwrite("vector_unit", &workload::PassConfig::vector_unit)
      .def_readwrite("buffer", &workload::PassConfig::buffer)
      .def_readwrite("dma", &workload::PassConfig::dma)
      .def_readwrite("memory", &workload::PassConfig::memory)
      .def_readwrite("clock_period_ps", &workload::PassConfig::clock_period_ps)
      .def_readwrite("dtype", &workload::PassConfig::dtype)
      .def_readwrite("tile_m", &workload::PassConfig::tile_m)
      .def_readwrite("tile_k", &workload::PassConfig::tile_k)
      .def_readwrite("tile_n", &workload::PassConfig::tile_n)
      .def_readwrite("order", &workload::PassConfig::order)
      .def_readwrite("objective", &workload::PassConfig::objective)
      .def_readwrite("compute_slack", &workload::PassConfig::compute_slack)
      .def_readwrite("accumulate", &workload::PassConfig::accumulate)
      .def("validate", &workload::PassConfig::validate);

  bind_pass_result(m);
  m.def(
      "simulate_pass",
      [](const workload::LayerShape& shape, const std::string& phase, const workload::PassConfig& config,
         const std::string& name) {
        const Phase ph = workload::phase_by_name(phase);
        // Safe: the arguments are C++ copies/references owned by the caller's frame; nothing touches Python.
        py::gil_scoped_release release;
        return simulate_pass(shape, ph, config, name);
      },
      py::arg("shape"), py::arg("phase"), py::arg("config"), py::arg("layer_name") = "layer",
      "Run one pass of one layer (tiling, DMA, memory, engine) as a one-engine accelerator; returns a PassResult.");

  m.def(
      "simulate_elementwise",
      [](const std::string& kind, std::uint64_t elements, std::uint64_t window, const workload::PassConfig& config,
         const std::string& name) {
        const auto k = compute::elementwise_kind_by_name(kind);
        // Safe: only C++ values are used while the GIL is released.
        py::gil_scoped_release release;
        return simulate_elementwise(k, elements, window, config, name);
      },
      py::arg("kind"), py::arg("elements"), py::arg("window"), py::arg("config"), py::arg("name") = "elementwise",
      "Element-wise work on the vector unit as a pass through DMA and memory (a PassResult, as simulate_pass).");

  py::class_<mem::SramBuffer>(m, "SramBuffer", "The global buffer: capacity check and per-operand access counts.")
      .def(py::init<const mem::SramBufferConfig&>(), py::arg("config"))
      .def("reserve", &mem::SramBuffer::reserve, py::arg("context"), py::arg("ifmap_bytes"),
           py::arg("filter_bytes"), py::arg("ofmap_bytes"))
      .def(
          "count_read",
          [](mem::SramBuffer& b, const std::string& op, std::uint64_t bytes) {
            b.count_read(operand_by_name(op), bytes);
          },
          py::arg("operand"), py::arg("bytes"))
      .def(
          "reads",
          [](const mem::SramBuffer& b, const std::string& op) { return b.reads(operand_by_name(op)); },
          py::arg("operand"))
      .def(
          "count_write",
          [](mem::SramBuffer& b, const std::string& op, std::uint64_t bytes) {
            b.count_write(operand_by_name(op), bytes);
          },
          py::arg("operand"), py::arg("bytes"))
      .def(
          "writes", [](const mem::SramBuffer& b, const std::string& op) { return b.writes(operand_by_name(op)); },
          py::arg("operand"));

  py::class_<mem::DmaEngine, Module, Ref<mem::DmaEngine>>(
      m, "DmaEngine", "Splits transfers into fixed-size requests to a target, with bounded outstanding requests.")
      .def(py::init([](PySimulator& s, const std::string& name, Target& target, std::uint32_t request_bytes,
                       std::uint32_t max_outstanding, std::uint32_t max_burst_bytes) {
             mem::DmaEngineConfig c;
             c.request_bytes = request_bytes;
             c.max_outstanding = max_outstanding;
             c.max_burst_bytes = max_burst_bytes;
             return Ref<mem::DmaEngine>(&s.sim().make<mem::DmaEngine>(name, target, c));
           }),
           py::arg("sim"), py::arg("name"), py::arg("target"), py::kw_only(), py::arg("request_bytes") = 64,
           py::arg("max_outstanding") = 64, py::arg("max_burst_bytes") = 4096, py::keep_alive<1, 2>())
      .def(
          "transfer",
          [](mem::DmaEngine& d, const std::string& command, std::uint64_t address, std::uint64_t bytes) {
            d.transfer(command_by_name(command), address, bytes, nullptr);
          },
          py::arg("command"), py::arg("address"), py::arg("bytes"), "Queue a transfer (no callback).")
      .def_property_readonly("outstanding", &mem::DmaEngine::outstanding)
      .def_property_readonly("idle", &mem::DmaEngine::idle)
      .def_property_readonly("requests", &mem::DmaEngine::requests)
      .def_property_readonly("sends", &mem::DmaEngine::sends)
      .def_property_readonly("bytes_read", &mem::DmaEngine::bytes_read)
      .def_property_readonly("bytes_written", &mem::DmaEngine::bytes_written);
}

}  // namespace tnpu::bindings
