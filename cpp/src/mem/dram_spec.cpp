#include "tnpu/mem/dram_spec.hpp"

#include <string>
#include <utility>

#include "tnpu/error.hpp"
#include "tnpu/mem/address_map.hpp"
#include "tnpu/mem/dram/policies.hpp"
#include "tnpu/mem/dram_timing.hpp"

namespace tnpu {

namespace {

void require_positive(std::uint64_t v, const char* field) {
  if (v == 0) throw ConfigError(std::string("dram.") + field + ": must be at least 1 (got 0)");
}
void require_non_negative(double v, const char* field) {
  if (!(v >= 0.0)) throw ConfigError(std::string("dram.") + field + ": must be >= 0 (got " + std::to_string(v) + ")");
}
void require_at_most(std::uint64_t v, std::uint64_t limit, const char* field) {
  if (v > limit) {
    throw ConfigError(std::string("dram.") + field + ": at most " + std::to_string(limit) + " supported (got " +
                      std::to_string(v) + ")");
  }
}

}  // namespace

std::uint64_t DramSpec::channel_capacity_bytes() const noexcept {
  return std::uint64_t{ranks} * bankgroups * banks_per_group * rows * columns * (bus_width / 8);
}

double DramSpec::peak_bandwidth_gbps() const noexcept {
  // bus_width bits data_rate times per tCK (twice: double data rate). bytes/ps * 1000 = GB/s.
  return static_cast<double>(channels) * (bus_width / 8.0) * data_rate * 1000.0 / static_cast<double>(tck_ps);
}

void DramSpec::validate() const {
  (void)dram_timing_rules(*this);  // rejects an unknown standard with the list of valid ones
  // The registered choices (scheduler, page_policy, refresh_policy, refresh_precharge, write_drain): an unknown name
  // names the field, the known names and the nearest one.
  (void)dram::resolve_policies(*this);
  require_positive(tck_ps, "tck_ps");
  require_positive(channels, "channels");
  require_positive(ranks, "ranks");
  require_positive(bankgroups, "bankgroups");
  require_positive(banks_per_group, "banks_per_group");
  require_positive(rows, "rows");
  require_positive(columns, "columns");
  require_positive(device_width, "device_width");
  require_positive(bus_width, "bus_width");
  require_positive(burst_length, "burst_length");
  require_positive(data_rate, "data_rate");
  if (burst_length % data_rate != 0) {
    throw ConfigError("dram.burst_length: must be a multiple of data_rate (" + std::to_string(data_rate) +
                      " beats per clock), got " + std::to_string(burst_length));
  }
  if (faw_window < 2 || faw_window > 32) {
    throw ConfigError("dram.faw_window: ACTs in the tFAW window must be 2..32, got " + std::to_string(faw_window));
  }
  if (bus_width % device_width != 0) {
    throw ConfigError("dram.bus_width: must be a multiple of device_width (got " + std::to_string(bus_width) +
                      " and " + std::to_string(device_width) + ")");
  }
  if (bus_width % 8 != 0) throw ConfigError("dram.bus_width: must be a multiple of 8 bits");
  require_positive(tCL, "tCL");
  require_positive(tCWL, "tCWL");
  require_positive(tRCD, "tRCD");
  require_positive(tRP, "tRP");
  require_positive(tRAS, "tRAS");
  require_positive(tCCD_S, "tCCD_S");
  if (tCCD_L < tCCD_S) throw ConfigError("dram.tCCD_L: must be >= tCCD_S");
  if (tRRD_L < tRRD_S) throw ConfigError("dram.tRRD_L: must be >= tRRD_S");
  if (tRC != 0 && tRC < tRAS) throw ConfigError("dram.tRC: must be >= tRAS (or 0 for tRAS + tRP)");
  if (refresh_policy != "none") {
    require_positive(tREFI, "tREFI");
    require_positive(tRFC, "tRFC");
    if (tRFC >= tREFI) throw ConfigError("dram.tRFC: must be smaller than tREFI");
    if (refresh_policy == "rank_staggered" && tREFI < ranks) {
      throw ConfigError("dram.tREFI: must be at least the number of ranks for rank_staggered refresh (got " +
                        std::to_string(tREFI) + " for " + std::to_string(ranks) + " ranks)");
    }
  }
  require_non_negative(vdd, "vdd");
  require_non_negative(idd0, "idd0");
  require_non_negative(idd2n, "idd2n");
  require_non_negative(idd3n, "idd3n");
  require_non_negative(idd4r, "idd4r");
  require_non_negative(idd4w, "idd4w");
  require_non_negative(idd5b, "idd5b");
  // Bounds that keep memory and per-step work sane (far above any real device or controller).
  require_at_most(channels, 1024, "channels");
  require_at_most(ranks, 64, "ranks");
  require_at_most(std::uint64_t{bankgroups} * banks_per_group, 1024, "bankgroups * banks_per_group");
  require_at_most(burst_length, 256, "burst_length");
  require_at_most(data_rate, 64, "data_rate");
  if (dual_command && bank_queue_size == 0) {
    throw ConfigError("dram.dual_command: needs per-bank command queues (bank_queue_size > 0)");
  }
  require_at_most(read_queue_size, 1 << 16, "read_queue_size");
  require_at_most(write_queue_size, 1 << 16, "write_queue_size");
  require_at_most(bank_queue_size, 1 << 12, "bank_queue_size");
  for (const auto& [v, name] : {std::pair{tCL, "tCL"}, {tCWL, "tCWL"}, {tRCD, "tRCD"}, {tRP, "tRP"}, {tRAS, "tRAS"},
                                {tRC, "tRC"}, {tCCD_S, "tCCD_S"}, {tCCD_L, "tCCD_L"}, {tRRD_S, "tRRD_S"},
                                {tRRD_L, "tRRD_L"}, {tFAW, "tFAW"}, {tWTR_S, "tWTR_S"}, {tWTR_L, "tWTR_L"},
                                {tRTP, "tRTP"}, {tWR, "tWR"}, {tRTRS, "tRTRS"}, {tRTW, "tRTW"}, {tRFC, "tRFC"},
                                {tRCDWR, "tRCDWR"}, {t32AW, "t32AW"}, {tPPD, "tPPD"}}) {
    require_at_most(v, 1 << 20, name);
  }
  require_at_most(tREFI, 1 << 26, "tREFI");
  require_at_most(tck_ps, 1'000'000, "tck_ps");
  require_positive(read_queue_size, "read_queue_size");
  require_positive(write_queue_size, "write_queue_size");
  if (!(write_low_watermark >= 0.0 && write_low_watermark <= write_high_watermark && write_high_watermark <= 1.0)) {
    throw ConfigError("dram.write_high_watermark/write_low_watermark: need 0 <= low <= high <= 1 (got " +
                      std::to_string(write_low_watermark) + ", " + std::to_string(write_high_watermark) + ")");
  }
  (void)AddressMap(*this);  // checks the mapping and that every count is a power of two
}

}  // namespace tnpu
