#pragma once
// The layer kinds of a CNN training workload, shared by the workloads, the task graph and the traces. Python's
// tnpu.workloads.LayerKind is this enum (exported by the bindings), so the codes in task arrays and compute traces
// have one definition.
#include <array>
#include <cstdint>
#include <string_view>

namespace tnpu {

enum class LayerKind : std::uint8_t {
  kConv = 0,
  kLinear = 1,
  kMaxPool = 2,
  kAvgPool = 3,
  kReLU = 4,
  kBatchNorm = 5,
  kAdd = 6,
  kFlatten = 7,
  kLoss = 8,
  kActivation = 9,
  kConcat = 10,
};

// Lower-case labels used in traces, tables and JSON, indexed by the enum value. kNumLayerKinds is the length of
// this list; the static_assert ties it to the enum's last kind (a new kind goes last, here and in the assert).
inline constexpr auto kLayerKindLabels = std::to_array<std::string_view>(
    {"conv", "linear", "maxpool", "avgpool", "relu", "batchnorm", "add", "flatten", "loss", "activation", "concat"});
inline constexpr std::uint32_t kNumLayerKinds = static_cast<std::uint32_t>(kLayerKindLabels.size());
static_assert(static_cast<std::uint32_t>(LayerKind::kConcat) + 1 == kNumLayerKinds,
              "kLayerKindLabels must list every LayerKind, in enum order");

[[nodiscard]] constexpr std::string_view layer_kind_label(LayerKind kind) noexcept {
  const auto i = static_cast<std::uint32_t>(kind);
  return i < kNumLayerKinds ? kLayerKindLabels[i] : std::string_view("?");
}

}  // namespace tnpu
