#pragma once
// VectorUnit: a row of N MAC lanes (TNPU's PU-f) for matrix-vector, dot and outer products, and element-wise work
// (ReLU, pooling, loss, weight update) costed by elements and bytes.
// Contract: every method is pure and returns cycles on this unit; a zero-sized operation costs 0 cycles.
// The caller keeps sizes sane (gemm() checks that its MACs fit 2^60).
//   matvec(rows, cols):  y[rows] = W[rows x cols] . x[cols]; each lane owns one output row and accumulates over
//                        cols, so cycles = ceil(rows / N) * cols.
//   dot(len):            ceil(len / N) multiply cycles + ceil(log2 N) adder-tree cycles.
//   outer(rows, cols):   W[rows x cols] += a[rows] x b[cols]: one MAC per element, cycles = rows * ceil(cols / N).
//   gemm(m, k, n):       m matrix-vector products of an n x k matrix: m * ceil(n / N) * k.
//   elementwise(e, ops): ceil(e * ops / N).
#include <cstdint>

#include "tnpu/compute/dataflow.hpp"

namespace tnpu::compute {

struct VectorUnitConfig {
  std::uint64_t lanes = 16;
  void validate(std::string_view field = "vector_unit") const;
};

// Element-wise kinds and their operations per element (compare/select for ReLU, etc.).
enum class ElementwiseKind : std::uint8_t { kRelu, kReluBackward, kMaxPool, kAvgPool, kLoss, kWeightUpdate };
[[nodiscard]] ElementwiseKind elementwise_kind_by_name(std::string_view name);
[[nodiscard]] std::uint64_t elementwise_ops_per_element(ElementwiseKind kind, std::uint64_t window) noexcept;

struct ElementwiseCost {
  std::uint64_t cycles = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
};

class VectorUnit {
 public:
  explicit VectorUnit(const VectorUnitConfig& config);
  [[nodiscard]] std::uint64_t lanes() const noexcept { return lanes_; }
  [[nodiscard]] std::uint64_t matvec(std::uint64_t rows, std::uint64_t cols) const noexcept;
  [[nodiscard]] std::uint64_t dot(std::uint64_t len) const noexcept;
  [[nodiscard]] std::uint64_t outer(std::uint64_t rows, std::uint64_t cols) const noexcept;
  // A GEMM tile as m matrix-vector products; utilisation figures as for the PE array (one row of `lanes` PEs).
  [[nodiscard]] GemmCost gemm(const GemmShape& shape) const;  // throws ConfigError past 2^60 MACs
  [[nodiscard]] std::uint64_t elementwise(std::uint64_t elements, std::uint64_t ops_per_element) const noexcept;
  // Element-wise work of `kind` over `elements` outputs (window: pooling window size), with the bytes it moves.
  [[nodiscard]] ElementwiseCost elementwise_cost(ElementwiseKind kind, std::uint64_t elements,
                                                 std::uint64_t window, std::uint32_t bytes_per_element) const;

 private:
  std::uint64_t lanes_;
};

}  // namespace tnpu::compute
