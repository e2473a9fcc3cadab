#pragma once
// DramSpec: everything that defines one DRAM memory system: the standard, its organisation, its JEDEC timing (in
// memory clock cycles), the IDD currents for energy, and the controller's policies. One flat, typed struct so that
// the Python DramConfig maps onto it field by field.
//
// Contract: validate() throws ConfigError naming the first bad field and what was expected; a DramController only
// accepts a validated spec. Timing values are whole memory clock cycles (tck_ps each); currents are mA, vdd is V.
#include <cstdint>
#include <string>
#include <vector>

namespace tnpu {

struct DramSpec {
  // ---- standard and clock
  std::string standard = "ddr4";  // a name of dram_standards() (dram_timing.hpp)
  std::uint64_t tck_ps = 833;     // memory clock period (command clock; data moves at twice this rate)

  // ---- organisation (per channel)
  std::uint32_t channels = 1;
  std::uint32_t ranks = 1;
  std::uint32_t bankgroups = 4;       // 1 for standards without bank groups
  std::uint32_t banks_per_group = 4;
  std::uint32_t rows = 65536;
  std::uint32_t columns = 1024;       // columns per row of one device
  std::uint32_t device_width = 8;     // DQ bits per device
  std::uint32_t bus_width = 64;       // DQ bits per channel (pseudo-channel for HBM2)
  std::uint32_t burst_length = 8;     // BL (beats per column access)
  std::uint32_t data_rate = 2;        // data beats per memory clock (DDR: 2; GDDR5: 4, GDDR5X: 8, GDDR6: 16 as
                                      // DRAMsim3 counts them; WideIO: 1): a burst occupies BL / data_rate cycles

  // ---- timing, memory clock cycles
  std::uint32_t tCL = 17;
  std::uint32_t tCWL = 12;
  std::uint32_t tRCD = 17;   // ACT to RD (and to WR unless tRCDWR is set)
  std::uint32_t tRCDWR = 0;  // ACT to WR; 0: tRCD (GDDR and HBM have separate tRCDRD / tRCDWR)
  std::uint32_t tRP = 17;
  std::uint32_t tRAS = 39;
  std::uint32_t tRC = 56;  // 0: tRAS + tRP
  std::uint32_t tCCD_S = 4;
  std::uint32_t tCCD_L = 6;
  std::uint32_t tRRD_S = 4;
  std::uint32_t tRRD_L = 6;
  std::uint32_t tFAW = 26;
  std::uint32_t faw_window = 4;  // ACTs in the tFAW window (JEDEC: 4; WideIO's tTAW: 2)
  std::uint32_t t32AW = 0;   // window of 32 ACTs per rank (GDDR5/5X/6); 0: none
  std::uint32_t tPPD = 0;    // PRE to PRE of another bank of the rank (LPDDR4, GDDR); 0: none
  std::uint32_t tWTR_S = 3;
  std::uint32_t tWTR_L = 9;
  std::uint32_t tRTP = 9;
  std::uint32_t tWR = 18;
  std::uint32_t tRTRS = 1;   // rank-to-rank switch (extra bus cycles)
  std::uint32_t tRTW = 2;    // extra bus cycles on a read-to-write turnaround in one rank (JEDEC: 2, 1 tCK preamble)
  bool write_rank_switch = true;  // WR->WR to another rank pays tRTRS (JEDEC, Ramulator); DRAMsim3: false
  std::uint32_t tREFI = 9360;
  std::uint32_t tRFC = 420;

  // ---- power (IDD, per device), as in Micron TN-41-01 / DRAMPower
  double vdd = 1.2;
  double idd0 = 48.0;
  double idd2n = 34.0;
  double idd3n = 43.0;
  double idd4r = 135.0;
  double idd4w = 123.0;
  double idd5b = 250.0;

  // ---- controller policy
  std::string address_mapping = "rochrababgco";  // a named mapping or a field string (see address_map.hpp)
  std::uint32_t read_queue_size = 32;
  std::uint32_t write_queue_size = 32;
  std::uint32_t bank_queue_size = 0;     // > 0: per-bank command queues of this size fed from the transaction
                                         // queues one per cycle (DRAMsim3 PER_BANK); 0: FR-FCFS over the queues
  // A name of dram::scheduler_registry() ("fr_fcfs", "per_bank_round_robin"), or "auto": per_bank_round_robin when
  // bank_queue_size > 0, else fr_fcfs. page_policy, refresh_policy, refresh_precharge and write_drain are names of
  // the other registries of tnpu/mem/dram/policies.hpp.
  std::string scheduler = "auto";
  std::string page_policy = "open";      // "open" | "closed" (closed: every column command auto-precharges)
  std::string refresh_policy = "rank_staggered";  // "rank_staggered" | "all_ranks" | "none"
  std::string refresh_precharge = "all";  // how a refresh closes its rank's open banks: "all" (one PREA) |
                                          // "per_bank" (one PRE per open bank, in bank order: DRAMsim3)
  std::string write_drain = "watermark";  // "watermark" (high/low fractions) | "dramsim3" (full, or > 8 and idle)
  double write_high_watermark = 0.8;      // fraction of write_queue_size
  double write_low_watermark = 0.2;
  std::uint32_t row_hit_cap = 0;          // > 0 (shared queues): after this many hits a row stops overtaking older requests
                                          // (per-bank queues always use DRAMsim3's limit of 4 in precharge arbitration)
  bool promote_activated = false;         // a request whose ACT issued leaves the read/write queue (Ramulator actq)
  bool forward_writes = true;             // a read of an address waiting in the write queue is served from it
  bool dual_command = false;              // per-bank queues: a row command (ACT, PRE, REF) and a column command may
                                          // issue in the same cycle (HBM's separate row and column buses, as
                                          // DRAMsim3's hbm_dual_cmd: the next round-robin pick, if of the other kind)
  bool wrap_addresses = false;            // an address beyond the capacity wraps instead of being an error

  void validate() const;  // throws ConfigError naming the field

  // ---- derived
  [[nodiscard]] std::uint32_t banks() const noexcept { return bankgroups * banks_per_group; }
  [[nodiscard]] std::uint32_t tBL() const noexcept { return burst_length / data_rate; }  // bus cycles per burst
  [[nodiscard]] std::uint32_t devices_per_rank() const noexcept { return bus_width / device_width; }
  [[nodiscard]] std::uint64_t line_bytes() const noexcept {
    return std::uint64_t{bus_width} / 8 * burst_length;
  }
  [[nodiscard]] std::uint64_t channel_capacity_bytes() const noexcept;
  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return channel_capacity_bytes() * channels; }
  // Peak data bandwidth of all channels: bus_width/8 bytes data_rate times per tCK.
  [[nodiscard]] double peak_bandwidth_gbps() const noexcept;
};

}  // namespace tnpu
