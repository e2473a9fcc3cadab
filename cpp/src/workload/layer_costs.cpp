#include "tnpu/workload/layer_costs.hpp"

#include <string>

#include "tnpu/error.hpp"

namespace tnpu::workload {

namespace {

// Python's floor division (rounds towards minus infinity), for spans that may be negative.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Pooling output size along one axis: PyTorch's floor/ceil rule (a ceil window must start inside the input).
std::int64_t pool_out(std::int64_t size, std::int64_t kernel, std::int64_t stride, std::int64_t pad, bool ceil_mode) {
  const std::int64_t span = size + 2 * pad - kernel;
  std::int64_t n = (ceil_mode ? -floor_div(-span, stride) : floor_div(span, stride)) + 1;
  if (ceil_mode && (n - 1) * stride >= size + pad) --n;
  return n;
}

std::int64_t conv_out(std::int64_t size, std::int64_t kernel, std::int64_t stride, std::int64_t pad,
                      std::int64_t dilation) noexcept {
  return floor_div(size + 2 * pad - dilation * (kernel - 1) - 1, stride) + 1;
}

std::int64_t bitmask_bytes(std::int64_t elements) noexcept { return (elements + 7) / 8; }

bool is_gemm_kind(LayerKind k) noexcept { return k == LayerKind::kConv || k == LayerKind::kLinear; }

}  // namespace

std::array<std::int64_t, 3> LayerDesc::out_shape() const noexcept {
  switch (kind) {
    case LayerKind::kConv:
      return {k, conv_out(h, r, stride_h, pad_h, dilation_h), conv_out(w, s, stride_w, pad_w, dilation_w)};
    case LayerKind::kLinear: return {k, 1, 1};
    case LayerKind::kMaxPool:
    case LayerKind::kAvgPool:
      return {c, pool_out(h, r, stride_h, pad_h, ceil_mode), pool_out(w, s, stride_w, pad_w, ceil_mode)};
    case LayerKind::kFlatten: return {c * h * w, 1, 1};
    case LayerKind::kLoss: return {1, 1, 1};
    case LayerKind::kConcat: return {k, h, w};
    case LayerKind::kReLU:
    case LayerKind::kBatchNorm:
    case LayerKind::kAdd:
    case LayerKind::kActivation: break;
  }
  return {c, h, w};
}

std::int64_t LayerDesc::weights() const noexcept {
  if (kind == LayerKind::kConv) return k * (c / groups) * r * s;
  if (kind == LayerKind::kLinear) return c * k;
  return 0;
}

std::int64_t LayerDesc::params() const noexcept {
  if (is_gemm_kind(kind)) return weights() + (bias ? k : 0);
  if (kind == LayerKind::kBatchNorm) return 2 * c;
  return 0;
}

std::vector<LayerOperand> layer_stash(const LayerDesc& d, std::int64_t batch, std::int64_t dt) {
  const auto o = d.out_shape();
  const std::int64_t in = batch * d.c * d.h * d.w, out = batch * o[0] * o[1] * o[2];
  switch (d.kind) {
    case LayerKind::kConv:
    case LayerKind::kLinear: return {{"X", in * dt, true}};
    case LayerKind::kMaxPool: return {{"indices", out, true}};  // one argmax byte per output (windows <= 256)
    case LayerKind::kReLU: return {{"mask", d.clipped ? out : bitmask_bytes(out), true}};
    case LayerKind::kActivation: {
      const ActivationInfo& a = kActivations.at(static_cast<std::size_t>(d.activation));
      if (a.need == ActivationNeed::kMask) return {{"mask", bitmask_bytes(out), true}};
      return {{a.need == ActivationNeed::kInput ? "X" : "Y", out * dt, true}};
    }
    case LayerKind::kBatchNorm: return {{"X", in * dt, true}, {"stats", 2 * d.c * dt, true}};
    case LayerKind::kLoss: return {{"probs", in * dt, true}, {"labels", batch * 4, true}};
    case LayerKind::kAvgPool:
    case LayerKind::kAdd:
    case LayerKind::kFlatten:
    case LayerKind::kConcat: break;
  }
  return {};
}

LayerOperands layer_operands(const LayerDesc& d, Phase phase, std::int64_t batch, std::int64_t dt) {
  const auto o = d.out_shape();
  const std::int64_t in_elems = d.c * d.h * d.w, out_elems = o[0] * o[1] * o[2];
  const std::int64_t x = batch * in_elems * dt, y = batch * out_elems * dt, w = d.params() * dt;
  LayerOperands ops;
  auto append = [](std::vector<LayerOperand>& to, const std::vector<LayerOperand>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  switch (d.kind) {
    case LayerKind::kConv:
    case LayerKind::kLinear:
    case LayerKind::kBatchNorm: {
      // FP: X, W -> Y. BP: dY, W -> dX. GD: dY, stashed X -> dW. WU: W, dW -> W. Batch norm keeps its statistics
      // too, and its BP needs what FP stashed.
      const bool bn = d.kind == LayerKind::kBatchNorm;
      switch (phase) {
        case Phase::kFP:
          ops.in = {{"X", x}, {"W", w}};
          ops.out = {{"Y", y}};
          if (bn) ops.out.push_back({"stats", 2 * d.c * dt});
          break;
        case Phase::kBP:
          ops.in = {{"dY", y}, {"W", w}};
          if (bn) append(ops.in, layer_stash(d, batch, dt));
          ops.out = {{"dX", x}};
          break;
        case Phase::kGD:
          ops.in = {{"dY", y}};
          append(ops.in, layer_stash(d, batch, dt));
          ops.out = {{"dW", w}};
          break;
        case Phase::kWU:
          ops.in = {{"W", w}, {"dW", w}};
          ops.out = {{"W", w}};
          break;
      }
      return ops;
    }
    case LayerKind::kConcat:  // copies: FP the inputs (as many bytes as Y) -> Y; BP dY -> the inputs' dX
      if (phase == Phase::kFP) ops = {{{"X", y}}, {{"Y", y}}};
      if (phase == Phase::kBP) ops = {{{"dY", y}}, {{"dX", y}}};
      return ops;
    case LayerKind::kFlatten: return ops;  // a view
    case LayerKind::kLoss:  // FP: logits, labels -> loss, probs. BP: stashed probs and labels -> dX
      if (phase == Phase::kFP) ops = {{{"X", x}, {"labels", batch * 4}}, {{"loss", batch * dt}, {"probs", x}}};
      if (phase == Phase::kBP) ops = {layer_stash(d, batch, dt), {{"dX", x}}};
      return ops;
    case LayerKind::kMaxPool:
    case LayerKind::kAvgPool:
    case LayerKind::kReLU:
    case LayerKind::kAdd:
    case LayerKind::kActivation: break;
  }
  // Element-wise layers without parameters: FP reads X (each input) and writes Y, plus the mask or indices BP needs
  // when FP produces them; BP reads dY and what FP stashed and writes dX.
  const std::int64_t xs = x * d.inputs;
  if (phase == Phase::kFP) {
    ops.in = {{"X", xs}};
    ops.out = {{"Y", y}};
    const bool writes_stash =
        d.kind == LayerKind::kMaxPool || d.kind == LayerKind::kReLU ||
        (d.kind == LayerKind::kActivation &&
         kActivations.at(static_cast<std::size_t>(d.activation)).need == ActivationNeed::kMask);
    if (writes_stash) append(ops.out, layer_stash(d, batch, dt));
  } else if (phase == Phase::kBP) {
    ops.in = {{"dY", y}};
    append(ops.in, layer_stash(d, batch, dt));
    ops.out = {{"dX", xs}};
  }
  return ops;
}

LayerCost layer_cost(const LayerDesc& d, Phase phase, std::int64_t batch, std::int64_t dt) {
  LayerCost cost;
  const auto o = d.out_shape();
  const std::int64_t out = batch * o[0] * o[1] * o[2];
  const std::int64_t in = batch * d.c * d.h * d.w;
  const bool fp = phase == Phase::kFP, bp = phase == Phase::kBP;
  switch (d.kind) {
    case LayerKind::kConv: {
      const std::int64_t rs = d.r * d.s, g = d.groups;
      if (fp) cost.m = d.k, cost.n = batch * o[1] * o[2], cost.k = d.c * rs / g;
      if (bp) cost.m = d.c, cost.n = batch * d.h * d.w, cost.k = d.k * rs / g;
      if (phase == Phase::kGD) cost.m = d.k, cost.n = d.c * rs / g, cost.k = batch * o[1] * o[2];
      if (phase != Phase::kWU) cost.macs = batch * d.weights() * o[1] * o[2];  // see the derivation in the header
      cost.vector_ops = phase == Phase::kWU ? d.params() : 0;
      break;
    }
    case LayerKind::kLinear:
      if (fp) cost.m = d.k, cost.n = batch, cost.k = d.c;
      if (bp) cost.m = d.c, cost.n = batch, cost.k = d.k;
      if (phase == Phase::kGD) cost.m = d.k, cost.n = d.c, cost.k = batch;
      if (phase != Phase::kWU) cost.macs = batch * d.weights();
      cost.vector_ops = phase == Phase::kWU ? d.params() : 0;
      break;
    case LayerKind::kMaxPool:
    case LayerKind::kAvgPool:  // FP: one operation per window element per output; BP: one per output gradient
      cost.vector_ops = fp ? out * d.r * d.s : (bp ? out : 0);
      break;
    case LayerKind::kReLU: cost.vector_ops = (fp || bp) ? out : 0; break;
    case LayerKind::kActivation: {
      const ActivationInfo& a = kActivations.at(static_cast<std::size_t>(d.activation));
      cost.vector_ops = fp ? a.fp_ops * out : (bp ? a.bp_ops * out : 0);
      break;
    }
    case LayerKind::kBatchNorm:  // statistics and normalisation (2 per element); BP 3; GD 2; WU per parameter
      cost.vector_ops = fp ? 2 * out : bp ? 3 * out : phase == Phase::kGD ? 2 * out : d.params();
      break;
    case LayerKind::kAdd: cost.vector_ops = fp ? out * (d.inputs - 1) : 0; break;  // BP: gradients are copies
    case LayerKind::kLoss: cost.vector_ops = fp ? 4 * in : (bp ? in : 0); break;  // exp, sum, divide, log; subtract
    case LayerKind::kFlatten:
    case LayerKind::kConcat: break;  // a view; a copy
  }
  const LayerOperands ops = layer_operands(d, phase, batch, dt);
  for (const auto& op : ops.in) cost.bytes_in += op.bytes;
  for (const auto& op : ops.out) cost.bytes_out += op.bytes;
  return cost;
}

LayerShape linear_for_record(LayerKind kind, Phase phase, std::int64_t m, std::int64_t n, std::int64_t k) {
  if (phase == Phase::kWU) throw ConfigError("phase WU: a weight update is not a GEMM");
  if (m < 1 || n < 1 || k < 1) {
    throw ConfigError("task record: GEMM extents must be at least 1, got m=" + std::to_string(m) +
                      " n=" + std::to_string(n) + " k=" + std::to_string(k));
  }
  // (m, n, k) = (N*groups, M, K), except linear GD = (M, N, K) (LayerCost)
  const bool linear_gd = kind == LayerKind::kLinear && phase == Phase::kGD;
  const auto gm = static_cast<std::uint64_t>(linear_gd ? m : n), gk = static_cast<std::uint64_t>(k),
             gn = static_cast<std::uint64_t>(linear_gd ? n : m);
  LayerShape sh;
  sh.kind = LayerKind::kLinear;
  switch (phase) {
    case Phase::kFP: sh.n = gm, sh.c = gk, sh.k = gn; break;
    case Phase::kBP: sh.n = gm, sh.k = gk, sh.c = gn; break;
    case Phase::kGD: sh.k = gm, sh.n = gk, sh.c = gn; break;
    case Phase::kWU: break;  // rejected above
  }
  return sh;
}

}  // namespace tnpu::workload
