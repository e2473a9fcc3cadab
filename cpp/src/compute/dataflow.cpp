#include "tnpu/compute/dataflow.hpp"

#include <string>

#include "tnpu/compute/pe_array.hpp"
#include "tnpu/error.hpp"

namespace tnpu::compute {

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept { return a / b + (a % b != 0 ? 1 : 0); }

void check(const ArrayDims& array, const GemmShape& g) {
  if (array.rows == 0 || array.cols == 0) throw ConfigError("pe_array: rows and cols must be at least 1");
  if (g.m == 0 || g.k == 0 || g.n == 0) {
    throw ConfigError("gemm: M, K and N must be at least 1 (got M=" + std::to_string(g.m) +
                      " K=" + std::to_string(g.k) + " N=" + std::to_string(g.n) + ")");
  }
  // Every count below (MACs, cycles, SRAM accesses) must fit in 64 bits: bound each factor.
  constexpr std::uint64_t kMaxDim = std::uint64_t{1} << 40, kMaxMacs = std::uint64_t{1} << 60;
  if (g.m > kMaxDim || g.k > kMaxDim || g.n > kMaxDim || array.rows > kMaxDim || array.cols > kMaxDim ||
      static_cast<double>(g.m) * static_cast<double>(g.k) * static_cast<double>(g.n) > static_cast<double>(kMaxMacs)) {
    throw ConfigError("gemm: M=" + std::to_string(g.m) + " K=" + std::to_string(g.k) + " N=" + std::to_string(g.n) +
                      " is too large (at most 2^60 MACs)");
  }
}

std::uint64_t dim(const GemmShape& g, char d) noexcept { return d == 'm' ? g.m : (d == 'k' ? g.k : g.n); }

// Shared model: Sr on the rows, Sc on the columns, T streamed. `preload` adds the R cycles that ws and is spend
// loading the stationary operand, and SCALE-Sim's compute-utilisation denominator for them counts the extra C - 1
// cycles of its filter/ifmap demand matrix (2R + 2C + T - 3); os uses R + C + T - 2 for both.
GemmCost systolic_cost(const ArrayDims& a, const GemmShape& g, char rows, char cols, char stream, bool preload) {
  check(a, g);
  const std::uint64_t sr = dim(g, rows), sc = dim(g, cols), t = dim(g, stream);
  const std::uint64_t row_folds = ceil_div(sr, a.rows), col_folds = ceil_div(sc, a.cols);
  GemmCost c;
  c.folds = row_folds * col_folds;
  c.fold_cycles = preload ? 2 * a.rows + a.cols + t - 2 : a.rows + a.cols + t - 2;
  c.cycles = c.folds * c.fold_cycles;
  c.macs = g.macs();
  const double pes = static_cast<double>(a.rows * a.cols);
  // Mean over folds of (rows used x cols used) / PEs: the used rows sum to Sr over the row folds and the used
  // columns to Sc over the column folds.
  c.mapping_efficiency = static_cast<double>(sr) * static_cast<double>(sc) / (static_cast<double>(c.folds) * pes);
  const std::uint64_t util_cycles = preload ? 2 * a.rows + 2 * a.cols + t - 3 : c.fold_cycles;
  c.compute_util = c.mapping_efficiency * static_cast<double>(t) / static_cast<double>(util_cycles);
  return c;
}

class OutputStationary final : public Dataflow {
 public:
  std::string_view name() const noexcept override { return "os"; }
  char row_dim() const noexcept override { return 'm'; }
  char col_dim() const noexcept override { return 'n'; }
  char stream_dim() const noexcept override { return 'k'; }
  GemmCost cost(const ArrayDims& a, const GemmShape& g) const override {
    GemmCost c = systolic_cost(a, g, 'm', 'n', 'k', false);
    c.a_reads = g.m * g.k * ceil_div(g.n, a.cols);
    c.b_reads = g.k * g.n * ceil_div(g.m, a.rows);
    c.c_writes = g.m * g.n;
    return c;
  }
};

class WeightStationary final : public Dataflow {
 public:
  std::string_view name() const noexcept override { return "ws"; }
  char row_dim() const noexcept override { return 'k'; }
  char col_dim() const noexcept override { return 'n'; }
  char stream_dim() const noexcept override { return 'm'; }
  GemmCost cost(const ArrayDims& a, const GemmShape& g) const override {
    GemmCost c = systolic_cost(a, g, 'k', 'n', 'm', true);
    const std::uint64_t kf = ceil_div(g.k, a.rows);
    c.a_reads = g.m * g.k * ceil_div(g.n, a.cols);
    c.b_reads = g.k * g.n;
    c.c_writes = g.m * g.n * kf;
    c.c_reads = g.m * g.n * (kf - 1);
    return c;
  }
};

class InputStationary final : public Dataflow {
 public:
  std::string_view name() const noexcept override { return "is"; }
  char row_dim() const noexcept override { return 'k'; }
  char col_dim() const noexcept override { return 'm'; }
  char stream_dim() const noexcept override { return 'n'; }
  GemmCost cost(const ArrayDims& a, const GemmShape& g) const override {
    GemmCost c = systolic_cost(a, g, 'k', 'm', 'n', true);
    const std::uint64_t kf = ceil_div(g.k, a.rows);
    c.a_reads = g.m * g.k;
    c.b_reads = g.k * g.n * ceil_div(g.m, a.cols);
    c.c_writes = g.m * g.n * kf;
    c.c_reads = g.m * g.n * (kf - 1);
    return c;
  }
};

}  // namespace

void register_builtin_dataflows(DataflowRegistry& registry) {
  // What a dataflow reads: the array it maps onto (the GEMM comes from the workload).
  const PeArrayConfig d;
  const std::vector<ParamInfo> array = {
      {"pe_array.rows", "PEs", default_text(d.rows), "rows of the PE array (R)"},
      {"pe_array.cols", "PEs", default_text(d.cols), "columns of the PE array (C)"},
  };
  registry.add("os", "output stationary: C stays in the PEs, A and B stream (Sr=M, Sc=N, T=K)", array,
               std::make_unique<OutputStationary>());
  registry.add("ws",
               "weight stationary: B is preloaded into the PEs, A streams, partial sums flow out (Sr=K, Sc=N, T=M)",
               array, std::make_unique<WeightStationary>());
  registry.add("is",
               "input stationary: A is preloaded into the PEs, B streams, partial sums flow out (Sr=K, Sc=M, T=N)",
               array, std::make_unique<InputStationary>());
}

const DataflowRegistry& dataflows() {
  static const auto registry = make_registry("dataflow", register_builtin_dataflows);
  return registry;
}

}  // namespace tnpu::compute
