// The DRAM controller: statistics, the request contract (bursts, multi-line requests), the address map to the
// channels, and the energy figures. The channel itself: tnpu/mem/dram/channel.hpp.
#include "tnpu/mem/dram_controller.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <string>

#include "tnpu/error.hpp"
#include "tnpu/mem/dram/channel.hpp"
#include "tnpu/mem/dram/testing_modes.hpp"

namespace tnpu {

using dram::ci;
using dram::kCmds;

DramController::DramController(Simulation& sim, std::string_view name, const DramSpec& spec, Module* parent)
    : Module(sim, name, parent), spec_((spec.validate(), spec)), map_(spec_), energy_(spec_) {
  counters_.requests = &add_counter("requests", "count", "requests accepted");
  counters_.reads = &add_counter("reads", "count", "read requests accepted");
  counters_.writes = &add_counter("writes", "count", "write requests accepted");
  counters_.bytes = &add_counter("bytes", "B", "bytes of accepted requests");
  counters_.rejections = &add_counter("rejections", "count", "requests rejected because a queue was full");
  counters_.forwarded_reads = &add_counter("forwarded_reads", "count", "reads served from the write queue");
  counters_.overlapped_columns =
      &add_counter("overlapped_columns", "count",
                   "column commands issued while a request to another bank was waiting (bank-level parallelism)");
  counters_.row_hits = &add_counter("row_hits", "count", "requests whose first command was a column command");
  counters_.row_misses = &add_counter("row_misses", "count", "requests that found their bank closed (ACT first)");
  counters_.row_conflicts =
      &add_counter("row_conflicts", "count", "requests that found another row open (PRE first)");
  static constexpr const char* kCmdLeaf[8] = {"cmd_act", "cmd_pre", "cmd_prea", "cmd_rd",
                                              "cmd_wr",  "cmd_rda", "cmd_wra",  "cmd_ref"};
  for (std::size_t i = 0; i < kCmds; ++i) {
    counters_.cmd[i] = &add_counter(kCmdLeaf[i], "count",
                                    std::string(dram_command_name(static_cast<DramCommand>(i))) + " commands issued");
  }
  counters_.read_latency = &add_histogram("read_latency", "cycles", "read latency, acceptance to last data beat",
                                          0.0, kLatencyHistogramCycles, static_cast<std::size_t>(kLatencyHistogramCycles));
  counters_.occupancy =
      &add_accumulator("occupancy", "requests", "requests queued in the channel when a request is accepted");
  add_formula("energy_command", "pJ", "energy of ACT/PRE, RD, WR and REF commands", [this] {
    return command_energy_pj();
  });
  add_formula("energy_background", "pJ", "background (standby) energy up to now", [this] {
    return background_energy_pj();
  });
  add_formula("energy", "pJ", "total DRAM energy up to now", [this] { return energy_pj(); });
  line_shift_ = static_cast<std::uint32_t>(std::countr_zero(spec_.line_bytes()));  // a power of two (AddressMap)
  min_queue_ = std::min(spec_.read_queue_size, spec_.write_queue_size);
  channels_.reserve(spec_.channels);
  for (std::uint32_t c = 0; c < spec_.channels; ++c) {
    channels_.push_back(std::make_unique<DramChannel>(*this, spec_, counters_));
  }
}

DramController::~DramController() = default;

namespace {

std::string hex_address(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::uint32_t DramController::checked_burst_lines(const Request& request) const {
  const std::uint64_t line = spec_.line_bytes();
  if (request.size_bytes == 0) {
    throw ConfigError("DramController " + name() + ": request of 0 B at " + hex_address(request.address));
  }
  if (request.size_bytes <= line) {
    if ((request.address & (line - 1)) + request.size_bytes > line) {  // line: a power of two (AddressMap)
      throw ConfigError("DramController " + name() + ": request of " + std::to_string(request.size_bytes) +
                        " B at " + hex_address(request.address) + " crosses a " + std::to_string(line) +
                        " B burst (the initiator must split requests into bursts)");
    }
    return 1;
  }
  const std::uint64_t lines = request.size_bytes >> line_shift_;  // (shifts and masks: line is a power of two)
  const std::uint64_t room = map_.lines_in_row(request.address);
  const std::uint32_t queue =
      request.command == Command::kWrite ? spec_.write_queue_size : spec_.read_queue_size;
  if ((request.address & (line - 1)) != 0 || (request.size_bytes & (line - 1)) != 0 || lines > room ||
      lines > queue) {
    throw ConfigError("DramController " + name() + ": a multi-line request must start on a " +
                      std::to_string(line) + " B line, be a whole number of lines, stay in one row of one bank and "
                      "fit the " + std::string(command_name(request.command)) + " queue (max_request_bytes), got " +
                      std::to_string(request.size_bytes) + " B at " + hex_address(request.address) + " (" +
                      std::to_string(room) + " lines left in its row, queue of " + std::to_string(queue) + ")");
  }
  return static_cast<std::uint32_t>(lines);
}

void DramController::check_not_paced() const {
  if (source_ != nullptr) {
    throw ConfigError("DramController " + name() +
                      ": it pulls the requests of a paced source (a trace replayer) and takes no other initiator's "
                      "requests");
  }
}

bool DramController::send(const Request& request, Initiator& from) {
  if (source_ != nullptr) check_not_paced();
  const std::uint32_t lines = burst_lines(request);
  const DramAddress a = map_.decode(request.address);
  if (lines == 1 && request.size_bytes <= spec_.line_bytes()) return channels_[a.channel]->send(request, from, a);
  return channels_[a.channel]->send_burst(request, from, a, lines, false) != 0;
}

std::uint64_t DramController::send_prefix(const Request& request, Initiator& from) {
  if (source_ != nullptr) check_not_paced();
  const std::uint32_t lines = burst_lines(request);
  const DramAddress a = map_.decode(request.address);
  if (lines == 1 && request.size_bytes <= spec_.line_bytes()) {
    return channels_[a.channel]->send(request, from, a) ? request.size_bytes : 0;
  }
  return std::uint64_t{channels_[a.channel]->send_burst(request, from, a, lines, true)} * spec_.line_bytes();
}

bool DramController::refuse_ahead(const Request& next, Initiator& from) {
  // Single lines that keep the contract, at an address decode() takes, only: anything else is offered (and refused,
  // or fails, at the time of its offer) as usual. The hint (may_refuse_ahead) is cleared here; an acceptance that
  // fills a queue after its channel's step sets it again.
  may_refuse_ahead_ = false;
  const std::uint64_t line = spec_.line_bytes();
  if (next.size_bytes == 0 || (next.address & (line - 1)) + next.size_bytes > line) return false;
  if (next.address >= map_.capacity_bytes() && !spec_.wrap_addresses) return false;
  if (channels_.size() == 1) return channels_[0]->refuse_ahead(next, from);
  return channels_[map_.decode(next.address).channel]->refuse_ahead(next, from);
}

bool DramController::pace(PacedSource& source, Picoseconds tck_ps, std::uint32_t size_bytes) {
  if (source_ != nullptr || !dram::testing_modes().paced.load() || tck_ps != spec_.tck_ps || size_bytes == 0 ||
      size_bytes > spec_.line_bytes()) {
    return false;
  }
  for (const auto& c : channels_) {
    if (c->has_initiator()) return false;
  }
  source_ = &source;
  source_initiator_ = &source.initiator();
  for (const auto& c : channels_) c->set_paced(source);
  kernel().schedule_at(now(), *this, 0, Priority::kDefault);  // the first request is pulled in the simulation
  return true;
}

void DramController::handle_event(std::uint64_t /*arg*/) {
  // The initiator's first offer would come at the first edge at or after now (and its stamp).
  const Picoseconds t = now();
  if (pull_next(t / spec_.tck_ps + (t % spec_.tck_ps != 0 ? 1 : 0))) feed();
}

bool DramController::pull_next(std::uint64_t earliest) {
  std::uint64_t stamp = 0;
  pend_valid_ = source_->pull(pend_, stamp);
  if (!pend_valid_) return false;
  (void)burst_lines(pend_);  // the request contract, as send() checks it (throws ConfigError)
  pend_addr_ = map_.decode(pend_.address);
  pend_channel_ = channels_[pend_addr_.channel].get();
  pend_due_ = std::max(earliest, stamp);
  return true;
}

void DramController::feed() {
  // The source's offers in order. Offer d to channel X is decided once no step of X comes before it: X's next step
  // is at d or later (an offer at d comes before the step at d) and X has not stepped at d. After a refusal, X's
  // first step that frees a queue entry (at r) is the retry: the offer is made again at max(last offer + 1, r) (at
  // r itself right after that step, which is where this is called from).
  while (pend_valid_) {
    DramChannel& ch = *pend_channel_;
    std::uint64_t d = pend_due_;
    if (pend_waiting_) {
      const std::uint64_t r = ch.paced_retry_cycle();
      if (r == dram::kNever) return;  // no entry freed yet
      d = std::max(last_offer_ + 1, r);
      if (d != r && !ch.offer_decidable(d)) return;
      pend_waiting_ = false;
    } else if (!ch.offer_decidable(d)) {
      return;
    }
    pend_.issue_ps = d * spec_.tck_ps;
    if (!ch.offer_paced(pend_, *source_initiator_, pend_addr_, d)) {
      last_offer_ = d;
      pend_waiting_ = true;
      source_->refused();
      return;  // the retry comes from a later step of the channel
    }
    source_->accepted(pend_);
    pull_next(d + 1);
  }
}

std::uint64_t DramController::outstanding() const noexcept {
  std::uint64_t n = 0;
  for (const auto& c : channels_) n += c->outstanding();
  return n;
}

std::uint64_t DramController::wakeups() const noexcept {
  std::uint64_t n = 0;
  for (const auto& c : channels_) n += c->wakeups();
  return n;
}

double DramController::command_energy_pj() const noexcept {
  const auto n = [&](DramCommand c) { return counters_.cmd[ci(c)]->value; };
  return energy_.command_pj(n(DramCommand::kACT), n(DramCommand::kRD) + n(DramCommand::kRDA),
                            n(DramCommand::kWR) + n(DramCommand::kWRA), n(DramCommand::kREF));
}

double DramController::refresh_command_pj() const noexcept { return energy_.refresh_command_pj(); }

double DramController::refresh_energy_pj() const noexcept {
  return refresh_command_pj() * static_cast<double>(counters_.cmd[ci(DramCommand::kREF)]->value);
}

double DramController::background_energy_pj() const noexcept {
  const double cycles = static_cast<double>(now() / spec_.tck_ps);
  double e = 0.0;
  for (const auto& ch : channels_) {
    for (std::size_t r = 0; r < spec_.ranks; ++r) {
      e += energy_.rank_background_pj(cycles, std::min(cycles, ch->active_cycles(r)));
    }
  }
  return e;
}

}  // namespace tnpu
