#pragma once
// The timing constraints of a DRAM standard as a table of rules (Ramulator 2 style): "after command A at level L,
// command B at the same node of level L (or, for a sibling rule, at every other node of that level) may issue no
// earlier than `latency` cycles later; a window rule counts the last `window` A commands instead".
//
// Contract: dram_timing_rules(spec) returns the rules of spec.standard with every latency computed from the spec
// (negative latencies clamped to 0); it throws ConfigError listing the valid names for an unknown standard. The
// standards are a registry (sim/registry.hpp) whose factory builds a standard's table: adding a standard is its
// table builder in dram_standards.cpp and one `add` line in register_builtin_dram_standards() there. The
// controller enforces exactly these rules plus one command per cycle on the command bus; bank state (which row is
// open) is the controller's, not a rule.
#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/sim/registry.hpp"

namespace tnpu {

enum class DramCommand : std::uint8_t { kACT = 0, kPRE, kPREA, kRD, kWR, kRDA, kWRA, kREF };
inline constexpr std::size_t kNumDramCommands = 8;
[[nodiscard]] std::string_view dram_command_name(DramCommand c) noexcept;

enum class DramLevel : std::uint8_t { kChannel = 0, kRank, kBankGroup, kBank };
[[nodiscard]] std::string_view dram_level_name(DramLevel l) noexcept;

struct TimingRule {
  DramLevel level;
  DramCommand preceding;
  DramCommand following;
  std::uint32_t latency;   // cycles
  std::uint32_t window;    // 1: from the last `preceding`; n > 1: from the n-th last (tFAW: 4)
  bool sibling;            // applies to the other nodes of `level` (rank-to-rank switching), not the same one
  const char* name;        // the JEDEC parameter(s) it encodes, for tests and docs
};

// Standard name -> its timing-rule table builder.
using DramStandardRegistry = Registry<std::function<std::vector<TimingRule>(const DramSpec&)>>;
void register_builtin_dram_standards(DramStandardRegistry& registry);
// The process-wide registry of standards (built on first use; thread-safe).
[[nodiscard]] const DramStandardRegistry& dram_standards();

[[nodiscard]] std::vector<TimingRule> dram_timing_rules(const DramSpec& spec);

}  // namespace tnpu
