// The IDD-based DRAM energy model (see energy_model.hpp).
#include "tnpu/mem/dram/energy_model.hpp"

#include <algorithm>

namespace tnpu::dram {

EnergyModel::EnergyModel(const DramSpec& s) noexcept {
  // Currents above the standby background, times VDD, times the command's duration, per device, times the devices
  // of a rank. mA * V * ns = pJ.
  const double tck_ns = static_cast<double>(s.tck_ps) / 1000.0;
  const double dev = s.devices_per_rank();
  const double trc = s.tRC != 0 ? s.tRC : s.tRAS + s.tRP;
  e_act_ = std::max(0.0, (s.idd0 * trc - (s.idd3n * s.tRAS + s.idd2n * (trc - s.tRAS))) * s.vdd * tck_ns * dev);
  e_rd_ = std::max(0.0, (s.idd4r - s.idd3n) * s.vdd * s.tBL() * tck_ns * dev);
  e_wr_ = std::max(0.0, (s.idd4w - s.idd3n) * s.vdd * s.tBL() * tck_ns * dev);
  e_ref_ = std::max(0.0, (s.idd5b - s.idd3n) * s.vdd * s.tRFC * tck_ns * dev);
  idd3n_ = s.idd3n;
  idd2n_ = s.idd2n;
  vdd_ = s.vdd;
  tck_ns_ = tck_ns;
  devices_ = dev;
}

double EnergyModel::command_pj(std::uint64_t acts, std::uint64_t reads, std::uint64_t writes,
                               std::uint64_t refreshes) const noexcept {
  return e_act_ * static_cast<double>(acts) + e_rd_ * static_cast<double>(reads) +
         e_wr_ * static_cast<double>(writes) + e_ref_ * static_cast<double>(refreshes);
}

double EnergyModel::rank_background_pj(double cycles, double active) const noexcept {
  // (The factors in this order: the results are bit-identical with the formula before it moved here.)
  return (idd3n_ * active + idd2n_ * (cycles - active)) * vdd_ * tck_ns_ * devices_;
}

}  // namespace tnpu::dram
