#pragma once
// The DRAM energy model (Micron TN-41-01 / DRAMPower style, IDD-based; see docs/dram.md): the energy of each
// command kind above the standby background, and the background (standby) energy of a rank from its active and
// precharged cycles. Pure arithmetic on the spec; the controller supplies the command counts and cycles.
#include <cstdint>

#include "tnpu/mem/dram_spec.hpp"

namespace tnpu::dram {

class EnergyModel {
 public:
  explicit EnergyModel(const DramSpec& spec) noexcept;

  // Energy (pJ) of the commands issued: ACTs (with their PRE), column reads (RD + RDA), column writes (WR + WRA)
  // and refreshes.
  [[nodiscard]] double command_pj(std::uint64_t acts, std::uint64_t reads, std::uint64_t writes,
                                  std::uint64_t refreshes) const noexcept;
  // Energy (pJ) of one REF command.
  [[nodiscard]] double refresh_command_pj() const noexcept { return e_ref_; }
  // Background energy (pJ) of one rank over `cycles` memory cycles, `active` of them with a bank open.
  [[nodiscard]] double rank_background_pj(double cycles, double active) const noexcept;

 private:
  double e_act_, e_rd_, e_wr_, e_ref_;   // per command, clamped at 0
  double idd3n_, idd2n_, vdd_, tck_ns_, devices_;
};

}  // namespace tnpu::dram
