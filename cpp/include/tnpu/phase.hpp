#pragma once
// The four phases of CNN training (paper.md section 6.1), shared by the workloads, the schedulers and the
// accelerator: FP (forward), BP (input gradient), GD (weight gradient), WU (weight update, once per batch).
#include <cstdint>

namespace tnpu {

enum class Phase : std::uint8_t { kFP = 0, kBP = 1, kGD = 2, kWU = 3 };
inline constexpr std::uint32_t kPhaseCount = 4;

// "FP", "BP", "GD", "WU" ("?" for a value outside the enum).
[[nodiscard]] const char* phase_name(Phase p) noexcept;

}  // namespace tnpu
