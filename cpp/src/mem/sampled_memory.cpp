#include "tnpu/mem/sampled_memory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tnpu/error.hpp"
#include "tnpu/mem/dram_timing.hpp"
#include "tnpu/sim/kernel.hpp"
#include "tnpu/sim/ring_fifo.hpp"

namespace tnpu {

namespace {
constexpr double kMinLines = 64.0;  // lines measured before a (source, class) line time is used
constexpr double kMinWindows = 5;  // measured windows before a line time's standard error may thin the windows
constexpr double kThinned = 0.1;  // a precise class's windows, as a share of detail_fraction: they keep spanning its
                                  // time, so a drift of its traffic still reaches the pipes

// std::llround(x) for the pipes' times, without the library call per burst: the same value for every x (the
// integer part and the fraction of a double are exact; halves round away from zero), the call itself where the
// shortcut's range ends.
Picoseconds round_ps(double x) noexcept {
  if (!(x >= 0.0 && x < 9.0e15)) return static_cast<Picoseconds>(std::llround(x));  // (2^53 > 9e15)
  const auto t = static_cast<std::int64_t>(x);  // truncation
  return static_cast<Picoseconds>(t + (x - static_cast<double>(t) >= 0.5 ? 1 : 0));
}
}  // namespace

void SampledMemoryConfig::validate() const {
  const std::string f = "memory.sampled.";
  if (design != "mix" && design != "periodic") {
    throw ConfigError(f + "design: expected 'mix' or 'periodic', got '" + design + "'");
  }
  if (window_ps == 0) throw ConfigError(f + "window_ps: must be at least 1 ps (got 0)");
  if (!(detail_fraction > 0.0 && detail_fraction <= 1.0)) {
    throw ConfigError(f + "detail_fraction: must be in (0, 1], got " + std::to_string(detail_fraction));
  }
  if (burst_lines == 0 || burst_lines > 4096) {
    throw ConfigError(f + "burst_lines: must be in [1, 4096], got " + std::to_string(burst_lines));
  }
  if (!(paired_fraction >= 0.0 && paired_fraction <= 1.0)) {
    throw ConfigError(f + "paired_fraction: must be in [0, 1], got " + std::to_string(paired_fraction));
  }
  if (paired_strata != "key" && paired_strata != "signature") {
    throw ConfigError(f + "paired_strata: expected 'key' or 'signature', got '" + paired_strata + "'");
  }
  if (!(target_rel_se >= 0.0 && target_rel_se <= 1.0)) {
    throw ConfigError(f + "target_rel_se: must be in [0, 1], got " + std::to_string(target_rel_se));
  }
  if (!(fallback_rel_se >= 0.0 && fallback_rel_se <= 10.0)) {
    throw ConfigError(f + "fallback_rel_se: must be in [0, 10], got " + std::to_string(fallback_rel_se));
  }
  constexpr Picoseconds kMax = Picoseconds{1} << 50;
  if (warmup_ps > kMax || window_ps > kMax || min_class_ps > kMax) {
    throw ConfigError(f + "warmup_ps, window_ps and min_class_ps must be at most 2^50 ps");
  }
}

// The DMA engine behind one source id, and the proxy the DRAM controller calls back.
class SampledMemory::Proxy final : public Initiator {
 public:
  Proxy(SampledMemory& m, Source& s) : m_(m), s_(s) {}
  void complete(const Request& request) override;
  void line_completed(const Request& request) override;
  void retry() override;
  void retry_tail() override;

 private:
  SampledMemory& m_;
  Source& s_;
};

struct SampledMemory::Source {
  std::size_t index = 0;
  Initiator* up = nullptr;
  std::unique_ptr<Proxy> proxy;
  std::uint64_t dram_out = 0;  // lines in the DRAM controller
  Picoseconds seg_start = 0;   // start of the current active segment (measuring, dram_out > 0)
  double ep_a = 0, ep_l = 0;   // this episode: active ps, lines completed
  double ep_b = 0, ep_lat = 0;  // this episode: busy periods begun, latency of their first line
  Picoseconds busy_start = 0;  // the current busy period (dram_out > 0) began
  bool first_pending = false;  // its first line has not completed yet
  Picoseconds last_done = 0;   // fast: completion of the source's last line
  Picoseconds fast_free = 0;   // when the source's fast pipe is free
  RingFifo<Request> fast_pending;
  std::uint64_t fast_out_lines = 0;
  Pipe pipe;                          // pipe(index, pipe_cls) as of line_epoch_ == pipe_epoch
  std::uint32_t pipe_cls = ~std::uint32_t{0};
  std::uint64_t pipe_epoch = 0;
};

class SampledMemory::FastCompletion final : public EventHandler {
 public:
  explicit FastCompletion(SampledMemory& m) : m_(m) {}
  void handle_event(std::uint64_t arg) override { m_.fast_complete(arg); }

 private:
  SampledMemory& m_;
};

void SampledMemory::Proxy::complete(const Request& request) {
  const bool each = (request.flags & Request::kNotifyLines) != 0;  // (a shift: the line is a power of two)
  m_.dram_done(s_, each ? 1 : std::max<std::uint64_t>(1, request.size_bytes >> m_.dram_.line_shift()));
  s_.up->complete(request);
}

void SampledMemory::Proxy::line_completed(const Request& request) {
  m_.dram_done(s_, 1);
  s_.up->line_completed(request);
}

void SampledMemory::Proxy::retry() { s_.up->retry(); }

void SampledMemory::Proxy::retry_tail() { s_.up->retry_tail(); }

SampledMemory::SampledMemory(Simulation& sim, std::string_view name, DramController& dram,
                             const SampledMemoryConfig& config)
    : Module(sim, name),
      dram_(dram),
      config_((config.validate(), config)),
      fast_completion_(std::make_unique<FastCompletion>(*this)),
      detailed_lines_(add_counter("detailed_lines", "count", "lines served by the cycle-level DRAM controller")),
      fast_lines_(add_counter("fast_lines", "count", "lines served by the measured per-class pipes")),
      fast_bursts_(add_counter("fast_bursts", "count", "requests served by the measured per-class pipes")),
      to_detailed_(add_counter("switches_to_detailed", "count", "switches from fast to detailed")),
      to_fast_(add_counter("switches_to_fast", "count", "switches from detailed to fast")),
      for_hold_(add_counter("switches_for_paired", "count", "switches to detailed: a drawn occurrence starts")),
      for_min_class_(add_counter("switches_for_min_class", "count", "switches to detailed: a class not yet measured")),
      for_window_(add_counter("switches_for_window", "count", "switches to detailed: a window of a measured class")),
      measured_episodes_(add_accumulator("episode_ps", "ps", "measured episodes (one class, detailed)")) {
  class_ids_.emplace(std::vector<std::uint64_t>{}, 0);
  classes_.emplace_back();
  add_formula("time_sigma", "ps", "standard error of the run's end time (paired occurrences, else sampling)",
              [this] { return time_sigma_ps(); });
  add_formula("sampling_sigma", "ps", "standard error of the run's end time from the line-time estimates alone",
              [this] { return sampling_sigma_ps(); });
  add_formula("time_correction", "ps", "estimated bias of the run's end time (sampled minus cycle-level)",
              [this] { return have_paired_ ? paired_.correction_ps : 0.0; });
  add_formula("paired_keys", "count", "strata (keys or signatures) with occurrences in detail and under the policy",
              [this] { return static_cast<double>(paired_.keys); });
  add_formula("paired_matched_strata", "count", "strata whose bias was estimated within instances",
              [this] { return static_cast<double>(paired_.matched_strata); });
  add_formula("critical_tasks", "count", "tasks on the critical path (all, under the policy)",
              [this] { return static_cast<double>(paired_.critical_tasks); });
  add_formula("critical_policy_tasks", "count", "tasks on the critical path run under the sampling policy",
              [this] { return static_cast<double>(paired_.critical_policy_tasks); });
  add_formula("dram_energy", "pJ", "DRAM energy: the controller's plus the fast lines' measured energy",
              [this] { return energy_pj(); });
  add_formula("dram_time_power", "W",
              "DRAM power that grows with the run's time (background and refresh), averaged over the run",
              [this] { return time_power_w(); });
  add_formula("classes", "count", "traffic classes seen", [this] { return static_cast<double>(classes_.size()); });
  add_formula("measured_fraction", "ratio", "share of the run's time measured in detail", [this] {
    double m = 0, all = 0;
    for (const auto& c : classes_) {
      m += static_cast<double>(c.measured_ps);
      all += static_cast<double>(c.measured_ps + c.fast_ps);
    }
    return all > 0 ? m / all : 0.0;
  });
  add_formula("fast_fraction", "ratio", "share of the run's time served by the fast pipes", [this] {
    double f = 0;
    for (const auto& c : classes_) f += static_cast<double>(c.fast_ps);
    return now() > 0 ? f / static_cast<double>(now()) : 0.0;
  });
  measuring_ = config_.warmup_ps == 0;
  warm_until_ = config_.warmup_ps;
  window_end_ = warm_until_ + config_.window_ps;
}

SampledMemory::~SampledMemory() = default;

std::uint64_t SampledMemory::max_request_bytes(std::uint64_t address) const {
  // Decisions are taken when traffic asks for them (no timer event of the target's own keeps the simulation
  // going); the DMA asks this right before it sends, at the same time, so both see the same mode.
  const_cast<SampledMemory*>(this)->maybe_decide();
  return mode_ == Mode::kDetailed ? dram_.max_request_bytes(address) : config_.burst_lines * dram_.line_bytes();
}

SampledMemory::Source& SampledMemory::source(const Request& request, Initiator& from) {
  const std::size_t i = request.source;
  if (i < sources_.size()) {
    Source* s = sources_[i].get();
    if (s != nullptr && s->up == &from) return *s;
  }
  return add_source(request, from);
}

SampledMemory::Source& SampledMemory::add_source(const Request& request, Initiator& from) {
  const std::size_t i = request.source;
  if (i >= sources_.size()) sources_.resize(i + 1);
  auto& s = sources_[i];
  if (!s) {
    s = std::make_unique<Source>();
    s->index = i;
    s->up = &from;
    s->proxy = std::make_unique<Proxy>(*this, *s);
  } else if (s->up != &from) {
    throw SimulationError("sampled memory: two initiators send with source id " + std::to_string(i));
  }
  return *s;
}

void SampledMemory::maybe_decide() {
  if (!decision_pending_ && now() < next_decision_) return;
  decision_pending_ = false;
  next_decision_ = kNever;
  account();
  decide();
}

bool SampledMemory::send(const Request& request, Initiator& from) {
  maybe_decide();
  Source& s = source(request, from);
  if (mode_ == Mode::kFast) return send_fast(request, s) > 0;
  if (!dram_.send(request, *s.proxy)) return false;
  dram_issued(s, std::max<std::uint64_t>(1, request.size_bytes >> dram_.line_shift()));
  return true;
}

std::uint64_t SampledMemory::send_prefix(const Request& request, Initiator& from) {
  maybe_decide();
  Source& s = source(request, from);
  if (mode_ == Mode::kFast) return send_fast(request, s);
  const std::uint64_t bytes = dram_.send_prefix(request, *s.proxy);
  if (bytes > 0) dram_issued(s, std::max<std::uint64_t>(1, bytes >> dram_.line_shift()));
  return bytes;
}

void SampledMemory::dram_issued(Source& s, std::uint64_t lines) {
  if (s.dram_out == 0) {
    s.busy_start = now();
    s.first_pending = true;
    if (measuring_) s.seg_start = now();
  }
  s.dram_out += lines;
  detailed_lines_.inc(lines);
}

void SampledMemory::dram_done(Source& s, std::uint64_t lines) {
  if (s.dram_out < lines) throw SimulationError("sampled memory: more DRAM completions than lines sent");
  s.dram_out -= lines;
  lines_done_ += static_cast<double>(lines);
  if (measuring_ && s.first_pending) {
    s.ep_b += 1;
    s.ep_lat += static_cast<double>(now() - s.busy_start);
  }
  s.first_pending = false;
  if (measuring_) {
    s.ep_l += static_cast<double>(lines);
    if (s.dram_out == 0) s.ep_a += static_cast<double>(now() - s.seg_start);
  }
}

double SampledMemory::line_ps(std::size_t src, std::uint32_t cls) const {
  const auto& c = classes_[cls];
  if (src < c.src.size() && c.src[src].ep.l >= kMinLines) return c.src[src].ep.a / c.src[src].ep.l;
  double a = 0, l = 0;  // pooled over the classes of this source
  for (const auto& k : classes_) {
    if (src < k.src.size()) {
      a += k.src[src].ep.a;
      l += k.src[src].ep.l;
    }
  }
  if (l >= 1.0) return a / l;
  const DramSpec& sp = dram_.spec();  // nothing measured yet: the peak rate
  return static_cast<double>(sp.tck_ps) * sp.tBL() / std::max<std::uint32_t>(sp.channels, 1);
}

bool SampledMemory::precise(std::uint32_t cls) const {
  // The class's share of the run's sampling variance: the relative standard errors of its sources' line times
  // (ratio estimators over its measured windows: the episodes of one window are consecutive, so correlated, and
  // would understate it) combined, times its time T_c. Stop when that is at most
  // target * sqrt(T * T_c), T the run's time so far: then the classes' variances sum to at most (target * T)^2.
  if (!(config_.target_rel_se > 0.0) || now() == 0) return false;
  const ClassStats& c = classes_[cls];
  const double t_c = static_cast<double>(c.measured_ps + c.fast_ps);
  if (!(t_c > 0.0)) return false;
  double rel2 = 0;
  bool any = false;
  for (const LineTime& st : c.src) {
    if (st.ep.l <= 0 && st.fast_lines == 0) continue;  // the source sends nothing in this class
    if (static_cast<double>(st.win.n) < kMinWindows || st.win.l < kMinLines || st.win.a <= 0) return false;
    const double r = st.win.a / st.win.l;
    rel2 += st.win.ratio_variance() / (r * r);
    any = true;
  }
  const double target = config_.target_rel_se * std::sqrt(static_cast<double>(now()) / t_c);
  return any && rel2 <= target * target;
}

SampledMemory::Pipe SampledMemory::pipe(std::size_t src, std::uint32_t cls) const {
  // latency: mean first-line latency of busy periods (this class, else pooled over classes); interval: the
  // rest of the measured active time per line, so that busy periods of the measured sizes take their measured time
  const double t_all = line_ps(src, cls);
  double b = 0, lat = 0, a = 0, l = 0;
  const auto take = [&](const LineTime& lt) {
    b += lt.sum_b;
    lat += lt.sum_lat;
    a += lt.ep.a;
    l += lt.ep.l;
  };
  const auto& c = classes_[cls];
  if (src < c.src.size()) take(c.src[src]);
  if (l < kMinLines) {
    b = lat = a = l = 0;
    for (const auto& k : classes_) {
      if (src < k.src.size()) take(k.src[src]);
    }
  }
  Pipe p;
  if (b < 1 || l <= b) {
    p.interval = t_all;
    return p;
  }
  p.latency = lat / b;
  p.interval = std::max(0.0, (a - b * p.latency) / (l - b));
  return p;
}

std::uint64_t SampledMemory::send_fast(const Request& request, Source& s) {
  const std::uint64_t n = fast_lines(request.size_bytes);
  // The pipe changes only when a measured episode ends (end_episode): kept per source between (line_epoch_).
  if (s.pipe_cls != cur_ || s.pipe_epoch != line_epoch_) {
    s.pipe = pipe(s.index, cur_);
    s.pipe_cls = cur_;
    s.pipe_epoch = line_epoch_;
  }
  const Pipe p = s.pipe;
  // a latency-rate server: line j completes at max(issue + latency, previous line + interval)
  const double by_latency = static_cast<double>(now()) + p.latency + static_cast<double>(n - 1) * p.interval;
  const double by_rate = static_cast<double>(std::max(s.last_done, s.fast_free)) + static_cast<double>(n) * p.interval;
  const Picoseconds done = round_ps(std::max(by_latency, by_rate));
  s.last_done = std::max(done, s.last_done);
  const Picoseconds finish = s.last_done;
  auto& c = classes_[cur_];
  if (c.src.size() <= s.index) c.src.resize(s.index + 1);
  c.src[s.index].fast_lines += n;
  c.fast_lines += n;
  fast_lines_.inc(n);
  fast_bursts_.inc();
  Request r = request;
  r.flags &= ~Request::kNotifyLines;  // one completion for the whole burst
  s.fast_pending.push_back(r);
  s.fast_out_lines += n;
  kernel().schedule_at(finish, *fast_completion_, s.index, Priority::kCompletion);
  return request.size_bytes;
}

void SampledMemory::fast_complete(std::uint64_t src) {
  Source& s = *sources_[src];
  const Request r = s.fast_pending.front();
  s.fast_pending.pop_front();
  s.fast_out_lines -= fast_lines(r.size_bytes);
  s.up->complete_tail(r);  // the tail of the completion's event
}

void SampledMemory::account() {
  const Picoseconds t = now();
  const Picoseconds dt = t - last_account_;
  last_account_ = t;
  ClassStats& c = classes_[cur_];
  if (mode_ == Mode::kFast) {
    c.fast_ps += dt;
  } else if (measuring_) {
    if (!episode_held_) c.measured_ps += dt;
    for (auto& s : sources_) {
      if (s && s->dram_out > 0) {
        s->ep_a += static_cast<double>(t - s->seg_start);
        s->seg_start = t;
      }
    }
  }
}

double SampledMemory::refresh_free_command_pj() const { return dram_.command_energy_pj() - dram_.refresh_energy_pj(); }

double SampledMemory::refreshes() const {
  return static_cast<double>(dram_.command_count(static_cast<std::size_t>(DramCommand::kREF)));
}

double SampledMemory::idle_background_w() const {
  const DramSpec& s = dram_.spec();
  return s.idd2n * s.vdd * s.devices_per_rank() * s.ranks * s.channels / 1000.0;  // pJ per ps
}

void SampledMemory::begin_episode() {
  episode_held_ = holds_ > 0;  // a held occurrence is the paired check only: it feeds neither pipes nor policy
  if (!measuring_) return;
  episode_start_ = now();
  episode_cmd_pj_ = refresh_free_command_pj();
  episode_bg_pj_ = dram_.background_energy_pj();
  episode_lines_ = lines_done_;
  episode_refs_ = refreshes();
  for (auto& s : sources_) {
    if (s) {
      s->ep_a = s->ep_l = s->ep_b = s->ep_lat = 0;
      s->seg_start = now();
    }
  }
}

void SampledMemory::end_episode() {
  if (!measuring_) return;
  // Energy per line, background power and refresh rate: from every measured episode, those of the occurrences
  // held in detail too (a random draw of whole tasks; the windows stop early in a class's time under the stopping
  // rule, and energy has no paired correction). Line times: from the windows only (the held occurrences are the
  // paired check's and feed neither the pipes nor the window policy).
  ClassStats& c = classes_[cur_];
  const double dt = static_cast<double>(now() - episode_start_);
  c.cmd_pj += refresh_free_command_pj() - episode_cmd_pj_;
  c.cmd_lines += lines_done_ - episode_lines_;
  c.bg_pj += dram_.background_energy_pj() - episode_bg_pj_;
  c.bg_ps += dt;
  if (dt > 0) measured_episodes_.add(dt);
  measured_refreshes_ += refreshes() - episode_refs_;
  if (episode_held_) {
    for (auto& s : sources_) {
      if (s) s->ep_a = s->ep_l = s->ep_b = s->ep_lat = 0;
    }
    return;
  }
  ++line_epoch_;  // the line times and latencies below change: every cached pipe is stale
  for (auto& s : sources_) {
    if (!s) continue;
    if (c.src.size() <= s->index) c.src.resize(s->index + 1);
    LineTime& st = c.src[s->index];
    const double a = s->ep_a, l = s->ep_l;
    st.sum_b += s->ep_b;
    st.sum_lat += s->ep_lat;
    s->ep_a = s->ep_l = s->ep_b = s->ep_lat = 0;
    if (a <= 0 && l <= 0) continue;
    st.ep.add(a, l);
    if (st.open_a <= 0 && st.open_l <= 0) {
      window_touched_.emplace_back(cur_, static_cast<std::uint32_t>(s->index));
    }
    st.open_a += a;
    st.open_l += l;
  }
}

std::uint32_t SampledMemory::class_of_context() {
  const auto& key = config_.design == "mix" ? fine_ : coarse_;
  if (std::all_of(key.begin(), key.end(), [](std::uint64_t k) { return k == 0; })) return 0;  // all idle
  const auto it = class_ids_.find(key);
  if (it != class_ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(classes_.size());
  class_ids_.emplace(key, id);
  classes_.emplace_back();
  return id;
}

void SampledMemory::set_context(std::uint32_t engine, std::uint64_t fine, std::uint64_t coarse) {
  if (engine >= fine_.size()) {
    fine_.resize(engine + 1, 0);
    coarse_.resize(engine + 1, 0);
  }
  if (fine_[engine] == fine && coarse_[engine] == coarse) return;
  account();
  end_episode();
  fine_[engine] = fine;
  coarse_[engine] = coarse;
  cur_ = class_of_context();
  begin_episode();
  decision_pending_ = true;  // taken at the next request
}

void SampledMemory::schedule_decision(Picoseconds t) { next_decision_ = std::max(t, now()); }

void SampledMemory::decide() {
  const ClassStats& c = classes_[cur_];
  const Picoseconds t = now();
  if (config_.detail_fraction >= 1.0) {  // everything in detail: the cycle-level run itself
    measuring_ = mode_ == Mode::kDetailed;
    return;
  }
  if (mode_ == Mode::kDetailed && !measuring_) {  // warming up
    if (t < warm_until_) {
      schedule_decision(warm_until_);
      return;
    }
    measuring_ = true;
    begin_episode();
  }
  if (holds_ > 0) {  // an occurrence drawn to run wholly in detail is running: detailed until it ends
    if (mode_ == Mode::kFast) {
      for_hold_.inc();
      enter_detailed();
    }
    return;
  }
  const double f = config_.detail_fraction;
  const bool known = c.measured_ps >= config_.min_class_ps;
  const Picoseconds until_known = config_.min_class_ps - std::min(c.measured_ps, config_.min_class_ps);
  if (config_.design == "mix") {
    const double m = static_cast<double>(c.measured_ps);
    const double fc = known && precise(cur_) ? f * kThinned : f;  // the stopping rule thins a precise class's windows
    const bool due = known && m < fc * (m + static_cast<double>(c.fast_ps));
    if (mode_ == Mode::kFast) {
      if (!known || due) {
        (known ? for_window_ : for_min_class_).inc();
        enter_detailed();
      } else {  // the class falls due after this much more fast time
        const double more = m * (1.0 - fc) / fc - static_cast<double>(c.fast_ps);
        schedule_decision(t + static_cast<Picoseconds>(std::max(1.0, std::ceil(more))));
      }
      return;
    }
    if (t < window_end_) {
      schedule_decision(window_end_);
    } else if (!known) {
      schedule_decision(t + until_known);
    } else if (due) {
      close_window();
      window_end_ = t + config_.window_ps;
      schedule_decision(window_end_);
    } else {
      enter_fast();
    }
    return;
  }
  // periodic
  const Picoseconds window = config_.warmup_ps + config_.window_ps;
  const auto period = static_cast<Picoseconds>(std::ceil(static_cast<double>(window) / f));
  const Picoseconds period_start = t / period * period;
  const bool in_window = t - period_start < window;
  const Picoseconds next = in_window ? period_start + window : period_start + period;
  if (mode_ == Mode::kFast) {
    if (!known || in_window) {
      (known ? for_window_ : for_min_class_).inc();
      enter_detailed();
    } else {
      schedule_decision(next);
    }
    return;
  }
  if (!known) {
    schedule_decision(std::min(next, t + until_known));
  } else if (in_window || t < window_end_) {
    schedule_decision(std::max(next, window_end_));
  } else {
    enter_fast();
  }
}

void SampledMemory::enter_detailed() {
  account();
  end_episode();
  mode_ = Mode::kDetailed;
  to_detailed_.inc();
  for (auto& s : sources_) {  // the fast bursts still in flight: their remaining work, independent errors
    if (s && s->fast_out_lines > 0) {
      const double w = static_cast<double>(s->fast_out_lines) * line_ps(s->index, cur_);
      switch_var_ += w * w;
    }
  }
  warm_until_ = now() + config_.warmup_ps;
  window_end_ = warm_until_ + config_.window_ps;
  measuring_ = config_.warmup_ps == 0;
  begin_episode();
  schedule_decision(measuring_ ? window_end_ : warm_until_);
}

void SampledMemory::close_window() {
  for (const auto& [ci, si] : window_touched_) {
    LineTime& st = classes_[ci].src[si];
    const double a = st.open_a, l = st.open_l;
    st.open_a = st.open_l = 0;
    st.win.add(a, l);
  }
  window_touched_.clear();
}

void SampledMemory::enter_fast() {
  account();
  end_episode();
  close_window();
  mode_ = Mode::kFast;
  measuring_ = false;
  to_fast_.inc();
  for (auto& s : sources_) {  // the pipe is busy with what the controller still holds of this source
    if (!s) continue;
    const double w = static_cast<double>(s->dram_out) * line_ps(s->index, cur_);
    switch_var_ += w * w;
    s->fast_free = std::max(s->fast_free, now() + round_ps(w));
  }
  if (config_.design == "periodic") {
    decide();  // schedules the next window
  } else {
    const ClassStats& c = classes_[cur_];
    const double f = precise(cur_) ? config_.detail_fraction * kThinned : config_.detail_fraction;
    const double more = static_cast<double>(c.measured_ps) * (1.0 - f) / f - static_cast<double>(c.fast_ps);
    schedule_decision(now() + static_cast<Picoseconds>(std::max(1.0, std::ceil(more))));
  }
}

void SampledMemory::hold_detailed(bool on) {
  if (on) {
    ++holds_;
  } else if (holds_ > 0) {
    --holds_;
  }
  decision_pending_ = true;  // taken at the next request
}

double SampledMemory::time_sigma_ps() const {
  return have_paired_ ? std::sqrt(std::max(0.0, paired_.variance_ps2)) : sampling_sigma_ps();
}

double SampledMemory::sampling_sigma_ps() const {
  double var = switch_var_;
  for (std::uint32_t ci = 0; ci < classes_.size(); ++ci) {
    const ClassStats& c = classes_[ci];
    for (std::size_t si = 0; si < c.src.size(); ++si) {
      const LineTime& st = c.src[si];
      if (st.fast_lines == 0) continue;
      const double t = line_ps(si, ci);
      double se = config_.fallback_rel_se * t;
      if (st.ep.n >= 2 && st.ep.l > 0) se = std::sqrt(st.ep.ratio_variance());
      const double x = static_cast<double>(st.fast_lines) * se;
      var += x * x;
    }
  }
  return std::sqrt(var);
}

bool SampledMemory::any_fast() const {
  bool fast = false;
  for (const auto& c : classes_) fast = fast || c.fast_ps > 0 || c.fast_lines > 0;
  return fast;
}

SampledMemory::EnergySplit SampledMemory::energy_split() const {
  // Commands: the controller's (detailed traffic) without refresh, plus the fast lines at their class's measured
  // command energy per line. Refresh: at the rate measured, over the whole run (the idle controller catches up on
  // the refreshes of a fast stretch only when it next works). Background: per class, the power measured in its
  // episodes over all its time (the idle controller keeps rows open through a fast stretch, so its own background
  // figure is not the run's). Refresh and background grow with time; the commands do not.
  double pooled_cmd = 0, pooled_lines = 0, pooled_bg = 0, pooled_ps = 0, classed_ps = 0;
  for (const auto& c : classes_) {
    pooled_cmd += c.cmd_pj;
    pooled_lines += c.cmd_lines;
    pooled_bg += c.bg_pj;
    pooled_ps += c.bg_ps;
    classed_ps += static_cast<double>(c.measured_ps + c.fast_ps);
  }
  EnergySplit e;
  e.per_line_pj = dram_.command_energy_pj() - dram_.refresh_energy_pj();
  e.per_time_pj = pooled_ps > 0
                      ? measured_refreshes_ / pooled_ps * static_cast<double>(now()) * dram_.refresh_command_pj()
                      : dram_.refresh_energy_pj();
  const double pooled_w = pooled_ps > 0 ? pooled_bg / pooled_ps : idle_background_w();
  for (const auto& c : classes_) {
    const double per_line = c.cmd_lines >= 1 ? c.cmd_pj / c.cmd_lines
                            : pooled_lines >= 1 ? pooled_cmd / pooled_lines
                                                : 0.0;
    const double bg_w = c.bg_ps > 0 ? c.bg_pj / c.bg_ps : pooled_w;
    e.per_line_pj += static_cast<double>(c.fast_lines) * per_line;
    e.per_time_pj += static_cast<double>(c.measured_ps + c.fast_ps) * bg_w;
  }
  e.per_time_pj += std::max(0.0, static_cast<double>(now()) - classed_ps) * pooled_w;  // warm-ups
  return e;
}

double SampledMemory::energy_pj() const {
  if (!any_fast()) return dram_.energy_pj();  // everything ran in detail: the controller's own figure
  const EnergySplit e = energy_split();
  return e.per_line_pj + e.per_time_pj;
}

double SampledMemory::time_power_w() const {
  if (now() == 0) return 0.0;
  if (!any_fast()) return (dram_.refresh_energy_pj() + dram_.background_energy_pj()) / static_cast<double>(now());
  return energy_split().per_time_pj / static_cast<double>(now());
}

}  // namespace tnpu
