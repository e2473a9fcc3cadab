#pragma once
// What one layer of a training workload costs per phase: its output shape, parameters, MACs, element-wise work, the
// operands each phase reads and writes (with what the forward pass stashes for the backward phases) and the
// implicit-GEMM shape of its task record. This is the only place these formulas live; Python's layer classes and
// training graph read them through the bindings (tnpu._core.layer_costs / layer_operands).
//
// MACs of the three GEMM phases are equal (a derivation, not a convention). With X (n, C, H, W), W (K, C/g, R, S),
// Y (n, K, P, Q), FP is Y[n,k,p,q] = sum_{c,r,s} W[k,c,r,s] * X[n, c, p*sh + r*dh - ph, q*sw + s*dw - pw]: one MAC
// per tuple (n, k, c, r, s, p, q), i.e. n*K*(C/g)*R*S*P*Q. BP computes dX = W^T * dY: each dY[n,k,p,q] is multiplied
// by each W[k,c,r,s] and accumulated into the dX element that X element fed in FP, so the tuples, and hence the
// MACs, are the same (as a GEMM: dCol[(C/g)RS x nPQ] = W^T[(C/g)RS x K/g] . dY[K/g x nPQ] per group, then col2im).
// GD computes dW[k,c,r,s] = sum_{n,p,q} dY[n,k,p,q] * X[n,c,...]: the same tuples again. The datapath runs BP as a
// transposed convolution over the zero-padded (and, when strided, zero-inserted) dY (layer.hpp): M*K*N of that GEMM
// counts the slots the array spends, n*H*W*K*R*S*(C/g), H*W/(P*Q) times the MACs (about s_h*s_w for a padded strided
// convolution; LeNet-5's c5, 5x5 input and kernel: 1,200,000 slots for 48,000 MACs); it is never reported as MACs.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tnpu/layer_kind.hpp"
#include "tnpu/phase.hpp"
#include "tnpu/workload/layer.hpp"

namespace tnpu::workload {

// Element-wise activations other than ReLU: operations per element in FP and BP and what BP needs from FP.
enum class ActivationNeed : std::uint8_t { kInput, kOutput, kMask };
struct ActivationInfo {
  std::string_view name;
  std::int64_t fp_ops, bp_ops;
  ActivationNeed need;
};
inline constexpr std::array<ActivationInfo, 6> kActivations{{
    {"sigmoid", 3, 3, ActivationNeed::kOutput},      // FP exp, add, reciprocal; BP dY * y * (1 - y)
    {"tanh", 4, 3, ActivationNeed::kOutput},         // FP exp, subtract, add, divide; BP dY * (1 - y * y)
    {"hardsigmoid", 2, 2, ActivationNeed::kMask},    // FP multiply-add, clamp; BP dY * slope inside the range
    {"hardswish", 3, 3, ActivationNeed::kInput},     // FP x * hardsigmoid(x); BP dY * (piecewise slope of x)
    {"silu", 4, 8, ActivationNeed::kInput},          // FP x * sigmoid(x); BP recomputes s: dY * s * (1 + x(1 - s))
    {"clip", 1, 1, ActivationNeed::kMask},           // clamp to [low, high]; BP passes dY inside the range
}};

// One layer, per sample. Fields a kind does not use stay at their defaults.
struct LayerDesc {
  LayerKind kind = LayerKind::kConv;
  std::int64_t c = 1, h = 1, w = 1;  // input shape per sample (a concat's first input)
  std::int64_t inputs = 1;           // number of inputs
  std::int64_t k = 1;                // conv out_channels, linear out_features, concat: total output channels
  std::int64_t r = 1, s = 1;         // conv or pooling window
  std::int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
  bool ceil_mode = false;            // pooling
  bool bias = true;                  // conv, linear
  bool clipped = false;              // ReLU with a max value (ReLU6): a byte of mask per element, not a bit
  std::int64_t activation = -1;      // index into kActivations (LayerKind::kActivation)

  // Output shape per sample (C, H, W). A height or width below 1 means the window does not fit (callers check).
  [[nodiscard]] std::array<std::int64_t, 3> out_shape() const noexcept;
  [[nodiscard]] std::int64_t params() const noexcept;   // weights and biases, batch-norm scale and shift
  [[nodiscard]] std::int64_t weights() const noexcept;  // conv / linear weights without bias (0 otherwise)
};

// One piece of data a phase reads or writes. `stashed`: produced by FP of the same instance, kept for a backward
// phase.
struct LayerOperand {
  std::string_view name;  // "X", "Y", "W", "dX", "dY", "dW", "mask", "indices", "stats", "probs", "labels", "loss"
  std::int64_t bytes = 0;
  bool stashed = false;
};
struct LayerOperands {
  std::vector<LayerOperand> in, out;
};

// The cost record of one (layer, phase) task. (m, n, k) is the implicit GEMM in the task records' orientation
// (compute traces keep it): m = the output's channel extent summed over groups (K_out for FP and GD, C for BP;
// linear GD: out_features), n = the other output extent, k = the reduction; all 0 for element-wise work and WU.
// Relation to lower()'s executed GEMM (M, K, N) per group: (m, n, k) = (N*groups, M, K), except linear GD = (M, N, K).
struct LayerCost {
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t macs = 0, vector_ops = 0, bytes_in = 0, bytes_out = 0;
};

[[nodiscard]] LayerOperands layer_operands(const LayerDesc& d, Phase phase, std::int64_t batch, std::int64_t dtype_bytes);
[[nodiscard]] std::vector<LayerOperand> layer_stash(const LayerDesc& d, std::int64_t batch, std::int64_t dtype_bytes);
[[nodiscard]] LayerCost layer_cost(const LayerDesc& d, Phase phase, std::int64_t batch, std::int64_t dtype_bytes);

// The inverse of LayerCost's (m, n, k) for a task record that has no layer shape (a compute trace): the linear
// layer whose `phase` pass lowers to the same executed GEMM (M, K, N). A linear layer of batch b, c inputs and o
// outputs lowers to FP (b, c, o), BP (b, o, c), GD (o, b, c). Throws ConfigError for WU or a non-positive extent.
// A grouped convolution's record sums m over the groups, so it comes back as one GEMM of that size.
[[nodiscard]] LayerShape linear_for_record(LayerKind kind, Phase phase, std::int64_t m, std::int64_t n,
                                           std::int64_t k);

}  // namespace tnpu::workload
