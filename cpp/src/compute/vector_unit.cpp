#include "tnpu/compute/vector_unit.hpp"

#include <bit>
#include <string>

#include "tnpu/error.hpp"

namespace tnpu::compute {

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept { return a / b + (a % b != 0 ? 1 : 0); }
}  // namespace

void VectorUnitConfig::validate(std::string_view field) const {
  if (lanes == 0) throw ConfigError(std::string(field) + ".lanes: must be at least 1 (got 0)");
}

VectorUnit::VectorUnit(const VectorUnitConfig& config) : lanes_(config.lanes) { config.validate(); }

std::uint64_t VectorUnit::matvec(std::uint64_t rows, std::uint64_t cols) const noexcept {
  return ceil_div(rows, lanes_) * cols;
}

std::uint64_t VectorUnit::dot(std::uint64_t len) const noexcept {
  if (len == 0) return 0;
  const auto tree = static_cast<std::uint64_t>(std::bit_width(lanes_ - 1));  // ceil(log2 lanes)
  return ceil_div(len, lanes_) + tree;
}

std::uint64_t VectorUnit::outer(std::uint64_t rows, std::uint64_t cols) const noexcept {
  return rows * ceil_div(cols, lanes_);
}

GemmCost VectorUnit::gemm(const GemmShape& g) const {
  GemmCost c;
  if (g.m == 0 || g.k == 0 || g.n == 0) return c;
  if (static_cast<double>(g.m) * static_cast<double>(g.k) * static_cast<double>(g.n) > 1.15e18) {
    throw ConfigError("gemm: M=" + std::to_string(g.m) + " K=" + std::to_string(g.k) + " N=" + std::to_string(g.n) +
                      " is too large (at most 2^60 MACs)");
  }
  const std::uint64_t passes = ceil_div(g.n, lanes_);
  c.folds = g.m * passes;
  c.fold_cycles = g.k;
  c.cycles = c.folds * c.fold_cycles;
  c.macs = g.macs();
  c.mapping_efficiency = static_cast<double>(g.n) / static_cast<double>(passes * lanes_);
  c.compute_util = c.mapping_efficiency;
  c.a_reads = g.m * g.k * passes;  // the input vector is broadcast once per pass
  c.b_reads = g.k * g.n * g.m;     // each weight once per matrix-vector product
  c.c_writes = g.m * g.n;
  return c;
}

std::uint64_t VectorUnit::elementwise(std::uint64_t elements, std::uint64_t ops_per_element) const noexcept {
  return ceil_div(elements * ops_per_element, lanes_);
}

ElementwiseKind elementwise_kind_by_name(std::string_view name) {
  if (name == "relu") return ElementwiseKind::kRelu;
  if (name == "relu_backward") return ElementwiseKind::kReluBackward;
  if (name == "maxpool") return ElementwiseKind::kMaxPool;
  if (name == "avgpool") return ElementwiseKind::kAvgPool;
  if (name == "loss") return ElementwiseKind::kLoss;
  if (name == "weight_update") return ElementwiseKind::kWeightUpdate;
  throw ConfigError("elementwise kind: unknown '" + std::string(name) +
                    "' (known: relu, relu_backward, maxpool, avgpool, loss, weight_update)");
}

std::uint64_t elementwise_ops_per_element(ElementwiseKind kind, std::uint64_t window) noexcept {
  switch (kind) {
    case ElementwiseKind::kRelu: return 1;           // compare-select
    case ElementwiseKind::kReluBackward: return 1;   // mask multiply
    case ElementwiseKind::kMaxPool: return window;   // window compares per output
    case ElementwiseKind::kAvgPool: return window;   // window adds (+ one scale folded in)
    case ElementwiseKind::kLoss: return 3;           // softmax-cross-entropy: exp, sum, subtract
    case ElementwiseKind::kWeightUpdate: return 2;   // w -= lr * dw (momentum-free SGD): multiply + add
  }
  return 1;
}

ElementwiseCost VectorUnit::elementwise_cost(ElementwiseKind kind, std::uint64_t elements, std::uint64_t window,
                                             std::uint32_t bytes_per_element) const {
  if ((kind == ElementwiseKind::kMaxPool || kind == ElementwiseKind::kAvgPool) && window == 0) {
    throw ConfigError("elementwise: pooling window must be at least 1");
  }
  ElementwiseCost c;
  c.cycles = elementwise(elements, elementwise_ops_per_element(kind, window));
  const std::uint64_t b = bytes_per_element;
  switch (kind) {
    case ElementwiseKind::kRelu: c.bytes_read = elements * b; break;
    case ElementwiseKind::kReluBackward: c.bytes_read = 2 * elements * b; break;  // gradient + mask source
    case ElementwiseKind::kMaxPool:
    case ElementwiseKind::kAvgPool: c.bytes_read = elements * window * b; break;
    case ElementwiseKind::kLoss: c.bytes_read = 2 * elements * b; break;          // logits + labels
    case ElementwiseKind::kWeightUpdate: c.bytes_read = 2 * elements * b; break;  // w + dw
  }
  c.bytes_written = elements * b;
  return c;
}

}  // namespace tnpu::compute
