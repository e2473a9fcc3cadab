// The DRAM channel's policy registries (see tnpu/mem/dram/policies.hpp).
#include "tnpu/mem/dram/policies.hpp"

#include <string>
#include <vector>

#include "tnpu/error.hpp"
#include "tnpu/mem/dram_spec.hpp"

namespace tnpu::dram {

namespace {

// A parameter of an entry: the DramSpec field (dotted, as the registries name config fields) and its default.
ParamInfo param(std::string field, std::string unit, std::string default_value, std::string description) {
  return ParamInfo{"dram." + std::move(field), std::move(unit), std::move(default_value), std::move(description)};
}
std::string text(bool v) { return v ? "true" : "false"; }
std::string text(std::uint32_t v) { return std::to_string(v); }
std::string text(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

}  // namespace

const Registry<SchedulerKind>& scheduler_registry() {
  static const Registry<SchedulerKind> r = [] {
    const DramSpec d{};
    Registry<SchedulerKind> reg("DRAM scheduler");
    reg.add("fr_fcfs",
            "FR-FCFS over shared read and write queues (Ramulator): the oldest request whose next command is legal "
            "now; row hits first, optionally capped",
            {param("read_queue_size", "requests", text(d.read_queue_size), "read queue entries per channel"),
             param("write_queue_size", "requests", text(d.write_queue_size), "write queue entries per channel"),
             param("row_hit_cap", "hits", text(d.row_hit_cap),
                   "> 0: after this many hits a row stops overtaking older requests"),
             param("promote_activated", "", text(d.promote_activated),
                   "a request whose ACT issued leaves its queue (Ramulator's actq)")},
            SchedulerKind::kFrFcfs);
    reg.add("per_bank_round_robin",
            "DRAMsim3's per-bank command queues, fed one transaction per cycle and arbitrated round robin over the "
            "banks (first-ready order in each queue)",
            {param("bank_queue_size", "commands", text(d.bank_queue_size),
                   "entries per bank queue (must be > 0 for this scheduler; DRAMsim3's files: 8)"),
             param("dual_command", "", text(d.dual_command),
                   "a row and a column command in the same cycle (HBM, hbm_dual_cmd)")},
            SchedulerKind::kPerBankRoundRobin);
    return reg;
  }();
  return r;
}

const Registry<RowPolicy>& row_policy_registry() {
  static const Registry<RowPolicy> r = [] {
    Registry<RowPolicy> reg("DRAM row policy");
    reg.add("open", "open page: a row stays open after its column commands (RD, WR) until a conflict or refresh",
            RowPolicy::kOpen);
    reg.add("closed", "closed page: every column command auto-precharges (RDA, WRA)", RowPolicy::kClosed);
    return reg;
  }();
  return r;
}

const Registry<RefreshKind>& refresh_policy_registry() {
  static const Registry<RefreshKind> r = [] {
    const DramSpec d{};
    Registry<RefreshKind> reg("DRAM refresh policy");
    const ParamInfo trefi = param("tREFI", "cycles", text(d.tREFI), "refresh interval");
    const ParamInfo trfc = param("tRFC", "cycles", text(d.tRFC), "refresh cycle time");
    reg.add("rank_staggered", "one rank every tREFI / ranks (DRAMsim3 RANK_LEVEL_STAGGERED)", {trefi, trfc},
            RefreshKind::kRankStaggered);
    reg.add("all_ranks",
            "every rank every tREFI, together; a pending refresh holds the channel (Ramulator)", {trefi, trfc},
            RefreshKind::kAllRanks);
    reg.add("none", "no refresh", RefreshKind::kNone);
    return reg;
  }();
  return r;
}

const Registry<RefreshPrecharge>& refresh_precharge_registry() {
  static const Registry<RefreshPrecharge> r = [] {
    Registry<RefreshPrecharge> reg("DRAM refresh precharge");
    reg.add("all", "a refreshing rank closes its open banks with one PREA", RefreshPrecharge::kAll);
    reg.add("per_bank", "a refreshing rank closes its open banks with one PRE each, in bank order (DRAMsim3)",
            RefreshPrecharge::kPerBank);
    return reg;
  }();
  return r;
}

const Registry<DrainKind>& write_drain_registry() {
  static const Registry<DrainKind> r = [] {
    const DramSpec d{};
    Registry<DrainKind> reg("DRAM write drain");
    reg.add("watermark",
            "write mode above the high watermark (or with no read queued), read mode below the low one while reads "
            "wait (Ramulator)",
            {param("write_high_watermark", "fraction", text(d.write_high_watermark),
                   "of write_queue_size: enter write mode above it"),
             param("write_low_watermark", "fraction", text(d.write_low_watermark),
                   "of write_queue_size: leave write mode below it")},
            DrainKind::kWatermark);
    reg.add("dramsim3",
            "drain when the write buffer is full, or holds more than 8 writes while nothing else is queued, until "
            "as many writes as it held are served (DRAMsim3)",
            DrainKind::kDramsim3);
    return reg;
  }();
  return r;
}

Policies resolve_policies(const DramSpec& spec) {
  Policies p{};
  if (spec.scheduler == kSchedulerAuto) {
    p.scheduler = spec.bank_queue_size > 0 ? SchedulerKind::kPerBankRoundRobin : SchedulerKind::kFrFcfs;
  } else {
    const auto* e = scheduler_registry().find(spec.scheduler);
    if (e == nullptr) {
      std::vector<std::string> known{std::string(kSchedulerAuto)};
      for (const auto& n : scheduler_registry().names()) known.push_back(n);
      std::string msg = "dram.scheduler: unknown DRAM scheduler '" + spec.scheduler + "' (known: ";
      for (std::size_t i = 0; i < known.size(); ++i) msg += (i ? ", " : "") + known[i];
      msg += "; auto: per_bank_round_robin when bank_queue_size > 0, else fr_fcfs)";
      if (const auto near = nearest_name(spec.scheduler, known); !near.empty()) msg += "; did you mean '" + near + "'?";
      throw ConfigError(msg);
    }
    p.scheduler = e->factory;
    if (p.scheduler == SchedulerKind::kPerBankRoundRobin && spec.bank_queue_size == 0) {
      throw ConfigError("dram.scheduler: per_bank_round_robin needs bank_queue_size > 0 (got 0)");
    }
    if (p.scheduler == SchedulerKind::kFrFcfs && spec.bank_queue_size > 0) {
      throw ConfigError("dram.scheduler: fr_fcfs uses the shared queues; bank_queue_size must be 0 (got " +
                        std::to_string(spec.bank_queue_size) + ")");
    }
  }
  p.row = row_policy_registry().at(spec.page_policy, "dram.page_policy").factory;
  p.refresh = refresh_policy_registry().at(spec.refresh_policy, "dram.refresh_policy").factory;
  p.refresh_precharge = refresh_precharge_registry().at(spec.refresh_precharge, "dram.refresh_precharge").factory;
  p.drain = write_drain_registry().at(spec.write_drain, "dram.write_drain").factory;
  return p;
}

}  // namespace tnpu::dram
