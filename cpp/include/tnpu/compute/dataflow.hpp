#pragma once
// Dataflows of a systolic PE array and their cycle model for one GEMM.
//
// A GEMM is C[M x N] = A[M x K] . B[K x N] (SCALE-Sim's orientation: A = IFMAP operand matrix, M = output pixels,
// K = window R*S*C, B = FILTER operand matrix, N = filters). Each dataflow maps two of M, K, N onto the array's
// rows (Sr) and columns (Sc) and streams the third (T) through it, one fold per array-sized block:
//   os: Sr = M, Sc = N, T = K   fold length = R + C + T - 2
//   ws: Sr = K, Sc = N, T = M   fold length = 2R + C + T - 2   (weight preload, fill, stream, drain)
//   is: Sr = K, Sc = M, T = N   fold length = 2R + C + T - 2
// with R x C the array and folds = ceil(Sr / R) * ceil(Sc / C). These are SCALE-Sim v3's equations (its
// systolic_compute_{os,ws,is}.py), so the cycle counts equal SCALE-Sim's for ideal memory.
//
// Contract: cost() is a pure function of (array, gemm); it throws ConfigError for a zero dimension. Dataflows are
// chosen by name through dataflow_by_name(), from the registry dataflows() (sim/registry.hpp) that
// register_builtin_dataflows() fills once. Adding a dataflow: its class in dataflow.cpp and one `add` line there.
#include <cstdint>
#include <memory>
#include <string_view>

#include "tnpu/sim/interface.hpp"
#include "tnpu/sim/registry.hpp"

namespace tnpu::compute {

struct ArrayDims {
  std::uint64_t rows = 16;
  std::uint64_t cols = 16;
};

struct GemmShape {
  std::uint64_t m = 1;  // rows of A and C
  std::uint64_t k = 1;  // reduction
  std::uint64_t n = 1;  // columns of B and C
  [[nodiscard]] std::uint64_t macs() const noexcept { return m * k * n; }
};

// Cycle and utilisation figures of one GEMM on one array, as SCALE-Sim's COMPUTE_REPORT defines them.
struct GemmCost {
  std::uint64_t folds = 0;
  std::uint64_t fold_cycles = 0;      // length of one fold
  std::uint64_t cycles = 0;           // folds * fold_cycles: duration from first operand in to last result out
  std::uint64_t macs = 0;
  double mapping_efficiency = 0.0;    // mean fraction of the array mapped per fold (0..1)
  double compute_util = 0.0;          // mean fraction of PEs busy per cycle of a fold, SCALE-Sim's definition (0..1)
  // SRAM element accesses the array makes (operand reads, partial-sum traffic), for energy.
  std::uint64_t a_reads = 0, b_reads = 0, c_reads = 0, c_writes = 0;
  // SCALE-Sim's "Total Cycles": the index of the last cycle, cycles - 1 (0 for an empty GEMM).
  [[nodiscard]] std::uint64_t scalesim_total_cycles() const noexcept { return cycles == 0 ? 0 : cycles - 1; }
};

class Dataflow : public NonCopyableInterface<Dataflow> {
 public:
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  [[nodiscard]] virtual GemmCost cost(const ArrayDims& array, const GemmShape& gemm) const = 0;
  // The GEMM dimensions mapped on the array rows and columns (Sr, Sc) and streamed (T), as "m", "k" or "n".
  [[nodiscard]] virtual char row_dim() const noexcept = 0;
  [[nodiscard]] virtual char col_dim() const noexcept = 0;
  [[nodiscard]] virtual char stream_dim() const noexcept = 0;
};

// Name -> the dataflow (stateless, so the registry holds one instance of each). Filled once, then read-only.
using DataflowRegistry = Registry<std::unique_ptr<const Dataflow>>;

void register_builtin_dataflows(DataflowRegistry& registry);
// The process-wide registry with the built-in dataflows (built on first use; thread-safe).
[[nodiscard]] const DataflowRegistry& dataflows();
// Throws ConfigError "<field>: unknown dataflow 'x' (known: os, ws, is); did you mean ...".
[[nodiscard]] inline const Dataflow& dataflow_by_name(std::string_view name, std::string_view field = "dataflow") {
  return *dataflows().at(name, field).factory;
}

}  // namespace tnpu::compute
