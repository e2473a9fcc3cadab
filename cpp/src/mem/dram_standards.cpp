// Timing-rule tables of the supported standards. One table builder per standard family, each row a JEDEC
// constraint; the controller compiles the rows into per-command update lists.
#include <algorithm>
#include <initializer_list>
#include <string>

#include "tnpu/error.hpp"
#include "tnpu/mem/dram_timing.hpp"

namespace tnpu {

std::string_view dram_command_name(DramCommand c) noexcept {
  switch (c) {
    case DramCommand::kACT: return "ACT";
    case DramCommand::kPRE: return "PRE";
    case DramCommand::kPREA: return "PREA";
    case DramCommand::kRD: return "RD";
    case DramCommand::kWR: return "WR";
    case DramCommand::kRDA: return "RDA";
    case DramCommand::kWRA: return "WRA";
    case DramCommand::kREF: return "REF";
  }
  return "?";
}

std::string_view dram_level_name(DramLevel l) noexcept {
  switch (l) {
    case DramLevel::kChannel: return "channel";
    case DramLevel::kRank: return "rank";
    case DramLevel::kBankGroup: return "bankgroup";
    case DramLevel::kBank: return "bank";
  }
  return "?";
}

namespace {

using C = DramCommand;
using L = DramLevel;

class TableBuilder {
 public:
  // Adds one row per (a, b) pair; a negative latency is clamped to 0 (the constraint is then implied by others).
  void add(L level, std::initializer_list<C> from, std::initializer_list<C> to, long latency, const char* name,
           bool sibling = false, std::uint32_t window = 1) {
    const auto lat = static_cast<std::uint32_t>(std::max(0L, latency));
    for (const C a : from) {
      for (const C b : to) rules_.push_back(TimingRule{level, a, b, lat, window, sibling, name});
    }
  }
  std::vector<TimingRule> take() { return std::move(rules_); }

 private:
  std::vector<TimingRule> rules_;
};

// The JEDEC DDR-family table (every supported standard shares its shape; a standard without bank groups has
// bankgroups = 1 and tCCD_L = tCCD_S, tRRD_L = tRRD_S, tWTR_L = tWTR_S, so the bank-group rows coincide with the
// rank rows). `rd_to_pre` is the READ-to-PRECHARGE delay of the standard (tRTP, except LPDDR4). The optional rows:
// a separate ACT-to-WRITE delay (tRCDWR, GDDR and HBM), a 32-ACT window (t32AW, GDDR) and PRE-to-PRE spacing in a
// rank (tPPD, LPDDR4 and GDDR).
std::vector<TimingRule> ddr_family(const DramSpec& s, long rd_to_pre) {
  const long bl = s.tBL();
  const long cl = s.tCL, cwl = s.tCWL;
  const long wr_to_pre = cwl + bl + s.tWR;
  const long trc = s.tRC != 0 ? s.tRC : s.tRAS + s.tRP;
  const std::initializer_list<C> rd = {C::kRD, C::kRDA};
  const std::initializer_list<C> wr = {C::kWR, C::kWRA};
  const std::initializer_list<C> cas = {C::kRD, C::kRDA, C::kWR, C::kWRA};
  TableBuilder t;
  // Data bus (channel): one burst at a time.
  t.add(L::kChannel, rd, rd, bl, "tBL");
  t.add(L::kChannel, wr, wr, bl, "tBL");
  // Rank: column-to-column, turnarounds, activation rate, refresh.
  t.add(L::kRank, rd, rd, s.tCCD_S, "tCCD_S");
  t.add(L::kRank, wr, wr, s.tCCD_S, "tCCD_S");
  t.add(L::kRank, rd, wr, cl + bl + s.tRTW - cwl, "tCL+tBL+tRTW-tCWL");
  t.add(L::kRank, wr, rd, cwl + bl + s.tWTR_S, "tCWL+tBL+tWTR_S");
  t.add(L::kRank, {C::kACT}, {C::kACT}, s.tRRD_S, "tRRD_S");
  t.add(L::kRank, {C::kACT}, {C::kACT}, s.tFAW, "tFAW", false, s.faw_window);
  if (s.t32AW != 0) t.add(L::kRank, {C::kACT}, {C::kACT}, s.t32AW, "t32AW", false, 32);
  if (s.tPPD != 0) t.add(L::kRank, {C::kPRE}, {C::kPRE}, s.tPPD, "tPPD");
  t.add(L::kRank, {C::kACT}, {C::kPREA}, s.tRAS, "tRAS");
  t.add(L::kRank, {C::kRD}, {C::kPREA}, rd_to_pre, "tRTP");
  t.add(L::kRank, {C::kWR}, {C::kPREA}, wr_to_pre, "tCWL+tBL+tWR");
  t.add(L::kRank, {C::kPREA}, {C::kACT}, s.tRP, "tRP");
  t.add(L::kRank, {C::kPRE, C::kPREA}, {C::kREF}, s.tRP, "tRP");
  t.add(L::kRank, {C::kRDA}, {C::kREF, C::kPREA}, rd_to_pre + s.tRP, "tRTP+tRP");
  t.add(L::kRank, {C::kWRA}, {C::kREF, C::kPREA}, wr_to_pre + s.tRP, "tCWL+tBL+tWR+tRP");
  t.add(L::kRank, {C::kREF}, {C::kACT, C::kREF}, s.tRFC, "tRFC");
  // Other ranks of the channel: bus turnaround between ranks.
  t.add(L::kRank, rd, rd, bl + s.tRTRS, "tBL+tRTRS", true);
  t.add(L::kRank, wr, wr, bl + (s.write_rank_switch ? s.tRTRS : 0), "tBL+tRTRS", true);
  t.add(L::kRank, rd, wr, cl + bl + s.tRTRS - cwl, "tCL+tBL+tRTRS-tCWL", true);
  t.add(L::kRank, wr, rd, cwl + bl + s.tRTRS - cl, "tCWL+tBL+tRTRS-tCL", true);
  // Bank group.
  t.add(L::kBankGroup, rd, rd, s.tCCD_L, "tCCD_L");
  t.add(L::kBankGroup, wr, wr, s.tCCD_L, "tCCD_L");
  t.add(L::kBankGroup, wr, rd, cwl + bl + s.tWTR_L, "tCWL+tBL+tWTR_L");
  t.add(L::kBankGroup, {C::kACT}, {C::kACT}, s.tRRD_L, "tRRD_L");
  // Bank.
  if (s.tRCDWR == 0) {
    t.add(L::kBank, {C::kACT}, cas, s.tRCD, "tRCD");
  } else {
    t.add(L::kBank, {C::kACT}, rd, s.tRCD, "tRCD");
    t.add(L::kBank, {C::kACT}, wr, s.tRCDWR, "tRCDWR");
  }
  t.add(L::kBank, {C::kACT}, {C::kPRE}, s.tRAS, "tRAS");
  t.add(L::kBank, {C::kACT}, {C::kACT}, trc, "tRC");
  t.add(L::kBank, {C::kPRE}, {C::kACT}, s.tRP, "tRP");
  t.add(L::kBank, {C::kRD}, {C::kPRE}, rd_to_pre, "tRTP");
  t.add(L::kBank, {C::kWR}, {C::kPRE}, wr_to_pre, "tCWL+tBL+tWR");
  t.add(L::kBank, {C::kRDA}, {C::kACT}, rd_to_pre + s.tRP, "tRTP+tRP");
  t.add(L::kBank, {C::kWRA}, {C::kACT}, wr_to_pre + s.tRP, "tCWL+tBL+tWR+tRP");
  return t.take();
}

// The JEDEC DDR family with READ-to-PRECHARGE = tRTP: every standard but LPDDR4.
std::vector<TimingRule> ddr_table(const DramSpec& s) { return ddr_family(s, s.tRTP); }

// LPDDR4 (JESD209-4): READ to PRECHARGE = BL/2 + max(8, tRTP) - 8 clocks.
std::vector<TimingRule> lpddr4_table(const DramSpec& s) {
  const long bl2 = static_cast<long>(s.burst_length) / 2;
  return ddr_family(s, bl2 + std::max(8L, static_cast<long>(s.tRTP)) - 8);
}

// The DramSpec fields ddr_family() reads, with DramSpec's defaults (DDR4-2400; the DRAM presets set each standard's).
std::vector<ParamInfo> ddr_family_params() {
  const DramSpec d;
  const auto cyc = [](const char* name, std::uint32_t v, const char* what) {
    return ParamInfo{std::string("dram.") + name, "tCK", default_text(v), what};
  };
  return {
      {"dram.burst_length", "beats", default_text(d.burst_length),
       "beats per column access (BL; a burst holds the bus BL / data_rate tCK). Defaults in this list are "
       "DramSpec's (DDR4-2400); the DRAM presets set each standard's"},
      {"dram.data_rate", "beats/tCK", default_text(d.data_rate), "data beats per memory clock"},
      cyc("tCL", d.tCL, "READ to data"),
      cyc("tCWL", d.tCWL, "WRITE to data"),
      cyc("tRCD", d.tRCD, "ACT to READ (and to WRITE unless tRCDWR is set)"),
      cyc("tRCDWR", d.tRCDWR, "ACT to WRITE (0: tRCD)"),
      cyc("tRP", d.tRP, "PRE to ACT"),
      cyc("tRAS", d.tRAS, "ACT to PRE"),
      cyc("tRC", d.tRC, "ACT to ACT in a bank (0: tRAS + tRP)"),
      cyc("tCCD_S", d.tCCD_S, "column to column, other bank group"),
      cyc("tCCD_L", d.tCCD_L, "column to column, same bank group"),
      cyc("tRRD_S", d.tRRD_S, "ACT to ACT, other bank group"),
      cyc("tRRD_L", d.tRRD_L, "ACT to ACT, same bank group"),
      cyc("tFAW", d.tFAW, "window of faw_window ACTs per rank"),
      {"dram.faw_window", "ACTs", default_text(d.faw_window), "ACTs in the tFAW window"},
      cyc("t32AW", d.t32AW, "window of 32 ACTs per rank (0: none)"),
      cyc("tPPD", d.tPPD, "PRE to PRE in a rank (0: none)"),
      cyc("tWTR_S", d.tWTR_S, "end of write data to READ, other bank group"),
      cyc("tWTR_L", d.tWTR_L, "end of write data to READ, same bank group"),
      cyc("tRTP", d.tRTP, "READ to PRE"),
      cyc("tWR", d.tWR, "write recovery: end of write data to PRE"),
      cyc("tRTRS", d.tRTRS, "rank-to-rank switch"),
      cyc("tRTW", d.tRTW, "extra bus cycles of a read-to-write turnaround in a rank"),
      {"dram.write_rank_switch", "", default_text(d.write_rank_switch), "WRITE to WRITE of another rank pays tRTRS"},
      cyc("tRFC", d.tRFC, "REF to ACT or REF"),
  };
}

}  // namespace

void register_builtin_dram_standards(DramStandardRegistry& registry) {
  const std::vector<ParamInfo> p = ddr_family_params();
  registry.add("ddr3", "DDR3 SDRAM (JESD79-3): 8 banks, no bank groups", p, ddr_table);
  registry.add("ddr4", "DDR4 SDRAM (JESD79-4): bank groups (tCCD_L, tRRD_L, tWTR_L)", p, ddr_table);
  registry.add("lpddr", "LPDDR SDRAM (JESD209): the DDR table with LPDDR timing", p, ddr_table);
  registry.add("lpddr3", "LPDDR3 SDRAM (JESD209-3): the DDR table with LPDDR3 timing", p, ddr_table);
  registry.add("lpddr4", "LPDDR4 SDRAM (JESD209-4): READ to PRE = BL/2 + max(8, tRTP) - 8; tPPD", p, lpddr4_table);
  registry.add("gddr5", "GDDR5 SGRAM (JESD212): separate tRCDRD/tRCDWR, t32AW, tPPD", p, ddr_table);
  registry.add("gddr5x", "GDDR5X SGRAM (JESD232): as GDDR5 at a higher data rate", p, ddr_table);
  registry.add("gddr6", "GDDR6 SGRAM (JESD250): as GDDR5 at a higher data rate", p, ddr_table);
  registry.add("hbm", "HBM (JESD235): separate tRCDRD/tRCDWR, wide channels", p, ddr_table);
  registry.add("hbm2", "HBM2 (JESD235A): pseudo-channels, bank groups", p, ddr_table);
  registry.add("wideio", "Wide I/O SDR (JESD229): one beat per clock, tTAW window of 2 ACTs", p, ddr_table);
  registry.add("wideio2", "Wide I/O 2 (JESD229-2)", p, ddr_table);
}

const DramStandardRegistry& dram_standards() {
  static const auto registry = make_registry("DRAM standard", register_builtin_dram_standards);
  return registry;
}

std::vector<TimingRule> dram_timing_rules(const DramSpec& s) {
  return dram_standards().at(s.standard, "dram.standard").factory(s);
}

}  // namespace tnpu
