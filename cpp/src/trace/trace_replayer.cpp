// TraceReplayer: see trace_replayer.hpp for the acceptance rules.
#include "tnpu/trace/trace_replayer.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "tnpu/error.hpp"

namespace tnpu {

namespace {

std::string hex(std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v & 0xf]);
    v >>= 4;
  } while (v != 0);
  return "0x" + out;
}

}  // namespace

void TraceReplayerConfig::validate() const {
  if (tck_ps == 0) throw ConfigError("TraceReplayerConfig.tck_ps: must be at least 1 ps (got 0)");
  if (size_bytes == 0) throw ConfigError("TraceReplayerConfig.size_bytes: must be at least 1 (got 0)");
  if (capacity_bytes != 0 && capacity_bytes < size_bytes) {
    throw ConfigError("TraceReplayerConfig.capacity_bytes: must be 0 (no limit) or at least size_bytes (" +
                      std::to_string(size_bytes) + "), got " + std::to_string(capacity_bytes));
  }
  if (wrap && capacity_bytes == 0) {
    throw ConfigError("TraceReplayerConfig.wrap: wrapping needs a capacity_bytes > 0");
  }
}

TraceReplayer::TraceReplayer(Simulation& sim, std::string_view name, Target& target, DramTraceReader reader,
                             const TraceReplayerConfig& config, Module* parent)
    : Module(sim, name, parent),
      target_(target),
      reader_(std::move(reader)),
      config_((config.validate(), config)),
      clock_(config.tck_ps),
      max_stamp_cycles_(std::numeric_limits<Picoseconds>::max() / config_.tck_ps),
      requests_(add_counter("requests", "count", "requests accepted by the target")),
      reads_(add_counter("reads", "count", "read requests accepted")),
      writes_(add_counter("writes", "count", "write requests accepted")),
      bytes_(add_counter("bytes", "B", "bytes of the accepted requests")),
      completed_(add_counter("completed", "count", "requests completed")),
      rejections_(add_counter("rejections", "count", "offers rejected by the target (back-pressure)")),
      read_latency_(add_histogram("read_latency", "cycles", "read latency from acceptance to completion", 0.0,
                                  kLatencyHistogramCycles, static_cast<std::size_t>(kLatencyHistogramCycles))) {
  add_formula("first_issue_ps", "ps", "acceptance time of the first request",
              [this] { return static_cast<double>(first_issue_ps_); });
  add_formula("last_complete_ps", "ps", "completion time of the last request",
              [this] { return static_cast<double>(last_complete_ps_); });
  add_formula("cycles", "cycles", "memory cycles from the first issue to the last completion",
              [this] { return static_cast<double>(cycles()); });
  add_formula("bandwidth_gbps", "GB/s", "bytes / (time from the first issue to the last completion)",
              [this] { return bandwidth_gbps(); });
  if (fetch()) {
    paced_ = config_.paced && target_.pace(*this, config_.tck_ps, config_.size_bytes);
    if (!paced_) schedule_offer(now());
  }
}

std::uint64_t TraceReplayer::checked_stamp() const {
  if (!pending_.has_stamp) return 0;
  if (pending_.stamp_cycles > max_stamp_cycles_) {
    throw TraceFormatError(reader_.path() + ":" + std::to_string(pending_.line) +
                           ": expected a stamp whose time (stamp x tCK) fits in 64-bit picoseconds, got '" +
                           std::to_string(pending_.stamp_cycles) + "'");
  }
  return pending_.stamp_cycles;
}

bool TraceReplayer::pull(Request& request, std::uint64_t& stamp_cycle) {
  // The first request was read by the constructor; each later one after its predecessor's acceptance, as offers do.
  if (pulled_first_) {
    if (!fetch()) return false;
  } else {
    pulled_first_ = true;
  }
  stamp_cycle = checked_stamp();
  request = pending_request(0);
  return true;
}

void TraceReplayer::accepted(const Request& r) {
  if (!any_accepted_) {
    any_accepted_ = true;
    first_issue_ps_ = r.issue_ps;
  }
  requests_.inc();
  (r.command == Command::kRead ? reads_ : writes_).inc();
  bytes_.inc(r.size_bytes);
}

void TraceReplayer::refused() { rejections_.inc(); }

Cycles TraceReplayer::cycles() const noexcept {
  if (completed_.value == 0) return 0;
  return clock_.to_cycles_ceil(last_complete_ps_ - first_issue_ps_);
}

double TraceReplayer::bandwidth_gbps() const noexcept {
  const Cycles c = cycles();
  if (c == 0) return 0.0;
  // bytes / ps = 1e12 B/s = 1000 GB/s.
  return static_cast<double>(bytes_.value) * 1000.0 /
         (static_cast<double>(c) * static_cast<double>(config_.tck_ps));
}

bool TraceReplayer::fetch() {
  if (!reader_.next(pending_)) {
    exhausted_ = true;
    return false;
  }
  const std::uint64_t cap = config_.capacity_bytes;
  if (cap != 0 && pending_.address > cap - config_.size_bytes) {
    if (!config_.wrap) throw_beyond_capacity();
    pending_.address %= cap;
  }
  return true;
}

void TraceReplayer::throw_beyond_capacity() const {
  const std::uint64_t cap = config_.capacity_bytes;
  throw TraceFormatError(reader_.path() + ":" + std::to_string(pending_.line) + ": expected an address + " +
                         std::to_string(config_.size_bytes) + " B within the capacity of " + std::to_string(cap) +
                         " bytes (" + hex(cap) + "), got '" + hex(pending_.address) +
                         "' (ask for wrapping to wrap it as the peers do)");
}

Picoseconds TraceReplayer::offer_time(Picoseconds earliest) const {
  Picoseconds t = std::max(earliest, now());
  if (pending_.has_stamp) t = std::max(t, checked_stamp() * config_.tck_ps);
  return t;
}

void TraceReplayer::schedule_offer(Picoseconds earliest) {
  kernel().schedule_at(offer_edge(earliest), *this, 0, Priority::kDefault);
}

Request TraceReplayer::pending_request(Picoseconds at) const {
  Request r;
  r.command = pending_.command;
  r.address = pending_.address;
  r.size_bytes = config_.size_bytes;
  r.source = config_.source;
  r.tag = pending_.line;
  r.issue_ps = at;
  return r;
}

bool TraceReplayer::refused_ahead(Picoseconds at) {
  if (!target_.refuse_ahead(pending_request(at), *this)) return false;
  // The offer at `at` is refused for certain: counted as the rejected offer it stands for, and retry() follows.
  rejections_.inc();
  waiting_retry_ = true;
  last_offer_ps_ = at;
  return true;
}

bool TraceReplayer::offer() {
  const Request r = pending_request(now());
  last_offer_ps_ = now();
  if (!target_.send(r, *this)) {
    rejections_.inc();
    waiting_retry_ = true;
    return false;  // retry() schedules the next offer
  }
  accepted(r);  // (r.issue_ps is now())
  return true;
}

void TraceReplayer::handle_event(std::uint64_t /*arg*/) {
  // Offers run inline one after another while the kernel can prove that nothing else would happen in between
  // (Kernel::continue_at runs whatever comes first, e.g. the completions due by then, in order); otherwise the next
  // offer is an ordinary event in the place it would have had. now() is always a clock edge here (every offer is
  // scheduled on one), so offer_time(now + tCK) is an edge too: the next_edge() of schedule_offer would return it.
  // An offer the target knows it would refuse (Target::refuse_ahead) is not made: it is counted, and retry() follows.
  while (offer() && fetch()) {
    const Picoseconds next = offer_time(now() + config_.tck_ps);
    if (target_.may_refuse_ahead() && refused_ahead(next)) return;
    if (!kernel().continue_at(next, *this, 0, Priority::kDefault)) return;
  }
}

void TraceReplayer::complete(const Request& request) { request_done(request, now()); }

void TraceReplayer::request_done(const Request& request, Picoseconds at) {
  // (A paced target may report completions late and out of order: the last completion is the latest one.)
  completed_.inc();
  last_complete_ps_ = std::max(last_complete_ps_, at);
  if (request.command == Command::kRead) {
    // The division's result is remembered for the last latency seen: with a fixed-latency target it is always the
    // same, and the same division of the same operands gives the same value.
    const Picoseconds latency_ps = at - request.issue_ps;
    if (latency_ps != last_latency_ps_) {
      last_latency_ps_ = latency_ps;
      last_latency_cycles_ = static_cast<double>(latency_ps) / static_cast<double>(config_.tck_ps);
    }
    read_latency_.add(last_latency_cycles_);
  }
}

void TraceReplayer::retry() {
  if (!waiting_retry_) return;  // not ours to act on: nothing was rejected
  waiting_retry_ = false;
  schedule_offer(last_offer_ps_ + config_.tck_ps);
}

void TraceReplayer::retry_tail() {
  if (!waiting_retry_) return;
  waiting_retry_ = false;
  const Picoseconds t = offer_edge(last_offer_ps_ + config_.tck_ps);  // as retry() would schedule it
  // The offer is due now and nothing would run before its event: make it here (the event's work, in its place).
  if (t == now() && kernel().run_now(Priority::kDefault)) {
    handle_event(0);
    return;
  }
  kernel().schedule_at(t, *this, 0, Priority::kDefault);
}

}  // namespace tnpu
