#pragma once
// LayerShape (a conv or FC layer, POD) and its lowering to one GEMM per training phase (paper.md section 6).
//
// GEMM orientation: C[M x N] = A[M x K] . B[K x N]; A plays SCALE-Sim's IFMAP operand, B the FILTER operand.
//   conv FP: M = n*P*Q (output pixels), K = C*R*S, N = K_filters;  A = im2col(X), B = W,         C = Y
//   conv BP: M = n*H*W (input pixels),  K = K*R*S, N = C;          A = im2col'(dY), B = rot(W), C = dX
//            (a transposed convolution over the zero-padded, zero-inserted dY: M*K*N counts array slots, which
//            are H*W/(P*Q) times the MACs n*K*C*R*S*P*Q; PassGemm::macs is the MAC count, see
//            layer_costs.hpp for the derivation)
//   conv GD: M = C*R*S, K = n*P*Q (output pixels), N = K_filters;  A = im2col(X)^T, B = dY, C = dW
//   FC FP:   M = n, K = in, N = out;  A = X,  B = W^T, C = Y
//   FC BP:   M = n, K = out, N = in;  A = dY, B = W,   C = dX
//   FC GD:   M = out, K = n, N = in;  A = dY^T, B = X, C = dW
// A grouped convolution is `groups` independent GEMMs of C/groups and K/groups.
//
// Contract: lower() validates the shape (throws ConfigError naming layer.<field>) and is pure.
#include <cstdint>
#include <string>
#include <string_view>

#include "tnpu/compute/dataflow.hpp"
#include "tnpu/layer_kind.hpp"
#include "tnpu/phase.hpp"

namespace tnpu::workload {

using tnpu::LayerKind;  // a LayerShape is a conv or a linear layer (tnpu/layer_kind.hpp)
// Phase (FP, BP, GD, WU) and phase_name() come from tnpu/phase.hpp; a GEMM pass is FP, BP or GD (WU is element-wise).

// "FP", "BP", "GD" (case-insensitive); anything else (WU included) throws ConfigError.
[[nodiscard]] Phase phase_by_name(std::string_view name);

// Same fields as the workloads' layer_shape() dict. For a linear layer: c = in_features, k = out_features and the
// spatial fields are 1 (pads 0).
struct LayerShape {
  LayerKind kind = LayerKind::kConv;
  std::uint64_t n = 1, c = 1, k = 1, h = 1, w = 1, r = 1, s = 1;
  std::uint64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;

  void validate(std::string_view layer_name) const;
  [[nodiscard]] std::uint64_t out_h() const noexcept;  // P
  [[nodiscard]] std::uint64_t out_w() const noexcept;  // Q
  [[nodiscard]] std::uint64_t macs() const noexcept;   // forward MACs (= BP = GD MACs)
};

// How a tile of a GEMM operand maps to bytes of a tensor in DRAM. The footprint of a tile covering the index range
// [p0, p1) of the operand's "pixel" axis and [w0, w1) of its "window" axis is f_pix(p0, p1) * f_win(w0, w1)
// elements, separable so that sums over a tiling factorise:
//   dense:  f_pix = p1 - p0, f_win = w1 - w0
//   im2col: pixel index = (image * out_rows + row) * out_cols + col of the GEMM's output grid; window index =
//           channel * (R*S) + r*S + s. f_win = channels touched; f_pix = source rows touched (summed over the
//           images the range spans) * source width. The halo between adjacent tiles is fetched by both.
struct OperandDesc {
  std::string tensor;      // "X", "W", "Y", "dY", "dX", "dW"
  bool im2col = false;
  char pix_axis = 'm';     // the GEMM dim ('m', 'k' or 'n') that is this operand's pixel axis
  char win_axis = 'k';     // the other GEMM dim of this operand
  std::uint64_t tensor_elements = 0;  // size of the DRAM tensor (per group)
  // im2col geometry
  std::uint64_t out_rows = 1, out_cols = 1;  // GEMM output grid per image (rows x cols)
  std::uint64_t src_rows = 1, src_cols = 1;  // source tensor rows x cols per channel
  std::uint64_t window = 1;                  // R * S
  std::uint64_t stride = 1, pad = 0, reach = 1;  // reach = (R - 1) * dilation + 1
  bool transposed_conv = false;                  // BP: source rows from the transposed-convolution relation

  [[nodiscard]] std::uint64_t f_pix(std::uint64_t p0, std::uint64_t p1) const noexcept;
  [[nodiscard]] std::uint64_t f_win(std::uint64_t w0, std::uint64_t w1) const noexcept;
};

struct PassGemm {
  compute::GemmShape gemm;  // per group
  std::uint64_t groups = 1;
  OperandDesc a, b, c;      // c is dense over (m, n)
  std::uint64_t macs = 0;   // multiply-accumulates of the pass, all groups (= LayerShape::macs() for every phase)
};

[[nodiscard]] PassGemm lower(const LayerShape& shape, Phase phase, std::string_view layer_name = "layer");

}  // namespace tnpu::workload
