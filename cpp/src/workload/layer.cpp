#include "tnpu/workload/layer.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "tnpu/error.hpp"

namespace tnpu::workload {

Phase phase_by_name(std::string_view name) {
  std::string up(name);
  for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (up == "FP") return Phase::kFP;
  if (up == "BP") return Phase::kBP;
  if (up == "GD") return Phase::kGD;
  throw ConfigError("phase: unknown phase '" + std::string(name) +
                    "' (known: FP, BP, GD; WU is element-wise work: simulate_elementwise)");
}

void LayerShape::validate(std::string_view layer_name) const {
  const std::string l = "layer '" + std::string(layer_name) + "': ";
  auto positive = [&](std::uint64_t v, const char* field) {
    if (v == 0) throw ConfigError(l + field + " must be at least 1 (got 0)");
  };
  positive(n, "n");
  positive(c, "c");
  positive(k, "k");
  positive(h, "h");
  positive(w, "w");
  positive(r, "r");
  positive(s, "s");
  positive(stride_h, "stride_h");
  positive(stride_w, "stride_w");
  positive(dilation_h, "dilation_h");
  positive(dilation_w, "dilation_w");
  positive(groups, "groups");
  constexpr std::uint64_t kMaxField = std::uint64_t{1} << 31;
  const std::pair<const char*, std::uint64_t> fields[] = {
      {"n", n}, {"c", c}, {"k", k}, {"h", h}, {"w", w}, {"r", r}, {"s", s}, {"stride_h", stride_h},
      {"stride_w", stride_w}, {"pad_h", pad_h}, {"pad_w", pad_w}, {"dilation_h", dilation_h},
      {"dilation_w", dilation_w}, {"groups", groups}};
  for (const auto& [field, value] : fields) {
    if (value >= kMaxField) {
      throw ConfigError(l + field + "=" + std::to_string(value) + " is too large (at most 2^31 - 1)");
    }
  }
  if (c % groups != 0 || k % groups != 0) {
    throw ConfigError(l + "groups=" + std::to_string(groups) + " must divide c=" + std::to_string(c) +
                      " and k=" + std::to_string(k));
  }
  if (kind != LayerKind::kConv && kind != LayerKind::kLinear) {
    throw ConfigError(l + "kind must be conv or linear (got " + std::string(layer_kind_label(kind)) + ")");
  }
  if (kind == LayerKind::kLinear && (h != 1 || w != 1 || r != 1 || s != 1 || pad_h != 0 || pad_w != 0)) {
    throw ConfigError(l + "a linear layer has h = w = r = s = 1 and no padding");
  }
  const std::uint64_t reach_h = (r - 1) * dilation_h + 1, reach_w = (s - 1) * dilation_w + 1;
  if (h + 2 * pad_h < reach_h) {
    throw ConfigError(l + "filter height r=" + std::to_string(r) + " (dilated " + std::to_string(reach_h) +
                      ") exceeds h + 2*pad_h = " + std::to_string(h + 2 * pad_h));
  }
  if (w + 2 * pad_w < reach_w) {
    throw ConfigError(l + "filter width s=" + std::to_string(s) + " (dilated " + std::to_string(reach_w) +
                      ") exceeds w + 2*pad_w = " + std::to_string(w + 2 * pad_w));
  }
  // Tensor sizes and GEMM MACs must fit in 64 bits with room for byte counts.
  const double big = static_cast<double>(n) * static_cast<double>(c) * static_cast<double>(k) *
                     static_cast<double>(h + 2 * pad_h) * static_cast<double>(w + 2 * pad_w) *
                     static_cast<double>(r) * static_cast<double>(s);
  if (big > 1e17 || static_cast<double>(n) * static_cast<double>(c + k) * static_cast<double>(h + 2 * pad_h) *
                            static_cast<double>(w + 2 * pad_w) > 1e15) {
    throw ConfigError(l + "too large to simulate (tensor or MAC counts beyond 1e15 / 1e17)");
  }
}

std::uint64_t LayerShape::out_h() const noexcept {
  return (h + 2 * pad_h - ((r - 1) * dilation_h + 1)) / stride_h + 1;
}
std::uint64_t LayerShape::out_w() const noexcept {
  return (w + 2 * pad_w - ((s - 1) * dilation_w + 1)) / stride_w + 1;
}
std::uint64_t LayerShape::macs() const noexcept { return n * k * (c / groups) * r * s * out_h() * out_w(); }

std::uint64_t OperandDesc::f_win(std::uint64_t w0, std::uint64_t w1) const noexcept {
  if (w1 <= w0) return 0;
  if (!im2col) return w1 - w0;
  return (w1 - 1) / window - w0 / window + 1;
}

std::uint64_t OperandDesc::f_pix(std::uint64_t p0, std::uint64_t p1) const noexcept {
  if (p1 <= p0) return 0;
  if (!im2col) return p1 - p0;
  const std::uint64_t g0 = p0 / out_cols, g1 = (p1 - 1) / out_cols;  // global output rows spanned
  std::uint64_t rows = 0;
  for (std::uint64_t img = g0 / out_rows; img <= g1 / out_rows; ++img) {
    const std::uint64_t base = img * out_rows;
    const auto lo = static_cast<std::int64_t>(std::max(g0, base) - base);
    const auto hi = static_cast<std::int64_t>(std::min(g1, base + out_rows - 1) - base);
    const auto st = static_cast<std::int64_t>(stride), pd = static_cast<std::int64_t>(pad);
    const auto re = static_cast<std::int64_t>(reach);
    std::int64_t s_lo = 0, s_hi = 0;
    if (!transposed_conv) {
      s_lo = lo * st - pd;
      s_hi = hi * st - pd + re - 1;
    } else {
      // output rows [lo, hi] of the transposed convolution read source rows p with p*st - pd <= hi and
      // p*st - pd + re - 1 >= lo
      const std::int64_t num = lo + pd - re + 1;
      s_lo = num <= 0 ? 0 : (num + st - 1) / st;
      s_hi = (hi + pd) / st;
    }
    s_lo = std::max<std::int64_t>(s_lo, 0);
    s_hi = std::min<std::int64_t>(s_hi, static_cast<std::int64_t>(src_rows) - 1);
    if (s_hi >= s_lo) rows += static_cast<std::uint64_t>(s_hi - s_lo + 1);
  }
  return rows * src_cols;
}

namespace {

OperandDesc dense(std::string tensor, char pix, char win, std::uint64_t elements) {
  OperandDesc d;
  d.tensor = std::move(tensor);
  d.pix_axis = pix;
  d.win_axis = win;
  d.tensor_elements = elements;
  return d;
}

}  // namespace

PassGemm lower(const LayerShape& sh, Phase phase, std::string_view layer_name) {
  sh.validate(layer_name);
  if (phase != Phase::kFP && phase != Phase::kBP && phase != Phase::kGD) {
    throw ConfigError("layer '" + std::string(layer_name) + "': phase " + phase_name(phase) +
                      " is not a GEMM pass (FP, BP or GD)");
  }
  PassGemm p;
  p.groups = sh.groups;
  p.macs = sh.macs();
  const std::uint64_t cg = sh.c / sh.groups, kg = sh.k / sh.groups;
  if (sh.kind == LayerKind::kLinear) {
    const std::uint64_t x = sh.n * cg, w = kg * cg, y = sh.n * kg;
    switch (phase) {
      case Phase::kFP:
        p.gemm = {sh.n, cg, kg};
        p.a = dense("X", 'm', 'k', x);
        p.b = dense("W", 'k', 'n', w);
        p.c = dense("Y", 'm', 'n', y);
        break;
      case Phase::kBP:
        p.gemm = {sh.n, kg, cg};
        p.a = dense("dY", 'm', 'k', y);
        p.b = dense("W", 'k', 'n', w);
        p.c = dense("dX", 'm', 'n', x);
        break;
      case Phase::kGD:
        p.gemm = {kg, sh.n, cg};
        p.a = dense("dY", 'm', 'k', y);
        p.b = dense("X", 'k', 'n', x);
        p.c = dense("dW", 'm', 'n', w);
        break;
      case Phase::kWU:  // rejected above
        break;
    }
    return p;
  }
  const std::uint64_t P = sh.out_h(), Q = sh.out_w(), rs = sh.r * sh.s;
  const std::uint64_t x = sh.n * cg * sh.h * sh.w, w = kg * cg * rs, y = sh.n * kg * P * Q;
  OperandDesc im;
  im.im2col = true;
  im.window = rs;
  im.stride = sh.stride_h;
  im.pad = sh.pad_h;
  im.reach = (sh.r - 1) * sh.dilation_h + 1;
  switch (phase) {
    case Phase::kFP:
      p.gemm = {sh.n * P * Q, cg * rs, kg};
      im.tensor = "X";
      im.pix_axis = 'm';
      im.win_axis = 'k';
      im.tensor_elements = x;
      im.out_rows = P;
      im.out_cols = Q;
      im.src_rows = sh.h;
      im.src_cols = sh.w;
      p.a = im;
      p.b = dense("W", 'k', 'n', w);
      p.c = dense("Y", 'm', 'n', y);
      break;
    case Phase::kBP:
      p.gemm = {sh.n * sh.h * sh.w, kg * rs, cg};
      im.tensor = "dY";
      im.pix_axis = 'm';
      im.win_axis = 'k';
      im.tensor_elements = y;
      im.out_rows = sh.h;
      im.out_cols = sh.w;
      im.src_rows = P;
      im.src_cols = Q;
      im.transposed_conv = true;
      p.a = im;
      p.b = dense("W", 'k', 'n', w);
      p.c = dense("dX", 'm', 'n', x);
      break;
    case Phase::kGD:
      p.gemm = {cg * rs, sh.n * P * Q, kg};
      im.tensor = "X";
      im.pix_axis = 'k';
      im.win_axis = 'm';
      im.tensor_elements = x;
      im.out_rows = P;
      im.out_cols = Q;
      im.src_rows = sh.h;
      im.src_cols = sh.w;
      p.a = im;
      p.b = dense("dY", 'k', 'n', y);
      p.c = dense("dW", 'm', 'n', w);
      break;
    case Phase::kWU:  // rejected above
      break;
  }
  return p;
}

}  // namespace tnpu::workload
