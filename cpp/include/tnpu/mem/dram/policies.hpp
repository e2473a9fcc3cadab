#pragma once
// The DRAM channel's policy choices as registered entries (tnpu::Registry, sim/registry.hpp): one registry per area,
// each entry with a description and the DramSpec fields that parametrise it. A DramSpec names its choices by text
// (scheduler, page_policy, refresh_policy, refresh_precharge, write_drain); validate() resolves them here, so an
// unknown name is a ConfigError naming the field, the known names and the nearest one.
//
// Dispatch: each registry's factory is the policy's kind (an enum). A channel resolves its kinds once, when it is
// built; the hot path then branches on a kind held in a member (no string compare, no virtual call per cycle).
// - "DRAM scheduler": fr_fcfs (dram::FrFcfs over the shared read/write queues) or per_bank_round_robin
//   (dram::BankQueueScheduler, DRAMsim3's per-bank queues arbitrated round robin); "auto" picks by bank_queue_size.
// - "DRAM row policy": open or closed page (decides the column command: RD/WR or RDA/WRA).
// - "DRAM refresh policy": rank_staggered, all_ranks, none (dram::RefreshPolicy); "DRAM refresh precharge": all,
//   per_bank (how a refreshing rank closes its open banks).
// - "DRAM write drain": watermark or dramsim3 (dram::WriteDrain).
#include <cstdint>
#include <string_view>

#include "tnpu/sim/registry.hpp"

namespace tnpu {
struct DramSpec;
}

namespace tnpu::dram {

enum class SchedulerKind : std::uint8_t { kFrFcfs, kPerBankRoundRobin };
enum class RowPolicy : std::uint8_t { kOpen, kClosed };
enum class RefreshKind : std::uint8_t { kRankStaggered, kAllRanks, kNone };
enum class RefreshPrecharge : std::uint8_t { kAll, kPerBank };
enum class DrainKind : std::uint8_t { kWatermark, kDramsim3 };

// The registries (built once, on first use; read-only afterwards).
[[nodiscard]] const Registry<SchedulerKind>& scheduler_registry();
[[nodiscard]] const Registry<RowPolicy>& row_policy_registry();
[[nodiscard]] const Registry<RefreshKind>& refresh_policy_registry();
[[nodiscard]] const Registry<RefreshPrecharge>& refresh_precharge_registry();
[[nodiscard]] const Registry<DrainKind>& write_drain_registry();

// The scheduler value that means "per_bank_round_robin if bank_queue_size > 0, else fr_fcfs" (the default).
inline constexpr std::string_view kSchedulerAuto = "auto";

// A spec's choices, resolved (throws ConfigError as DramSpec::validate() does for an unknown name or a scheduler
// that contradicts bank_queue_size).
struct Policies {
  SchedulerKind scheduler;
  RowPolicy row;
  RefreshKind refresh;
  RefreshPrecharge refresh_precharge;
  DrainKind drain;
};
[[nodiscard]] Policies resolve_policies(const DramSpec& spec);

}  // namespace tnpu::dram

// The memory area's name for the same namespace (tnpu::mem::dram::scheduler_registry(), ...).
namespace tnpu::mem {
namespace dram = ::tnpu::dram;
}
