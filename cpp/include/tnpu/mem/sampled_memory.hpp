#pragma once
// SampledMemory: the cycle-level DRAM controller's answers for a whole training batch at a fraction of its cost.
//
// The target runs in one of two modes, switched only at scheduling decisions (never inside a request):
// - DETAILED: every request goes to the DramController, exactly as with the "dram" memory model;
// - FAST: each source (DMA engine) is a latency-rate pipe with the first-line latency and time per line the
//   controller measured for that source in the current traffic class: a multi-line request of n lines sent at a
//   completes at max(a + latency + (n - 1) * interval, previous completion + n * interval), as one completion (one
//   kernel event per burst instead of one per line); bursts of at most burst_lines keep several in flight.
// The traffic class is the set of tasks the engines run (set_context): with design "mix" the exact task of each
// engine (layer, phase, class), with design "periodic" its coarse kind (phase, layer kind) -- what decides the
// read/write share, which engines stream and the bank spread of the traffic the controller sees.
//
// When the detailed model runs (contract):
// - "mix" (adaptive, stratified): a class is simulated in detail until min_class_ps of it has been measured, and
//   again whenever its measured share of its own time falls below detail_fraction (a window of window_ps); a
//   tenth of that once its line times are precise enough (the stopping rule, precise()): the relative standard
//   error of its sources' line times combined (each over at least 5 measured windows) is at most target_rel_se *
//   sqrt(T / T_c), T the run's time so far and T_c the class's, so that the classes' shares of the run's
//   sampling variance sum to at most (target_rel_se * T)^2 (0: never thin). More windows would add precision
//   the batch time does not need (the pipes' model error is the paired-occurrence estimate's to correct); the
//   thinned ones keep spanning the class's time, so a drift of its traffic still reaches the pipes;
// - "periodic" (SMARTS-like): a window of warmup_ps + window_ps at the start of every period of
//   (warmup_ps + window_ps) / detail_fraction, plus any class not yet measured for min_class_ps.
// Decisions are taken lazily, at the first request at or after the time they fall due (the target schedules no
// event of its own, so a run ends when its traffic does). Each switch from FAST to DETAILED starts with
// warmup_ps that is simulated in detail but not measured, so queues, open rows and the write buffer are those of
// the traffic when measuring starts; the idle controller catches up on its refreshes when it next works.
//
// Estimates (every figure from this run's own measurements):
// - time per line of (source, class): ratio estimator sum(active time) / sum(lines) over measured episodes, with
//   its standard error from the episodes' residuals (n >= 2; else a relative error of fallback_rel_se);
// - time_sigma_ps(): the standard error of the run's end time, as if every fast line were on the critical path:
//   sqrt(sum over (source, class) of (fast lines * SE)^2) plus the switches' in-flight work (a line time of each
//   source's pipe per switch, independent);
// - energy_pj(): the controller's command energy (detailed traffic, refresh excluded), the fast lines at their
//   class's measured command energy per line, refreshes at the measured rate over the whole run, and per class the
//   measured background power over all the class's time.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tnpu/mem/dram_controller.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/sim/request.hpp"

namespace tnpu {

struct SampledMemoryConfig {
  std::string design = "mix";             // "mix" | "periodic"
  Picoseconds warmup_ps = 2'000'000;      // detailed, not measured, after each switch from FAST
  Picoseconds window_ps = 10'000'000;     // measured part of a detailed window
  Picoseconds min_class_ps = 10'000'000;  // measured time before a class may run FAST
  double detail_fraction = 0.05;          // measured share of each class's time ("mix") or of the run ("periodic")
  std::uint32_t burst_lines = 32;         // largest request in FAST mode, in lines (several stay in flight)
  double fallback_rel_se = 0.1;           // relative SE of a line time measured in fewer than 2 episodes
  double paired_fraction = 0.04;          // share of each task's occurrences run wholly in detail (0: off)
  double target_rel_se = 0.005;           // "mix": windows thin once the run's sampling SE is at most this share
  std::uint64_t paired_seed = 1;          // seed of the draw of those occurrences
  // "key": each task key is a stratum of the draw and the estimate; "signature": the keys of identical traffic
  // (same phase, class, shape and mapping) form one stratum, drawn so that they are held in different instances
  // and compared within instances (docs/sampling.md, "Strata")
  std::string paired_strata = "signature";
  void validate() const;                  // throws ConfigError naming the field (memory.sampled.<field>)
};

// The paired-occurrence estimate of the fast pipes' bias on the batch time (docs/sampling.md, "Error estimate").
// Every task key (layer, phase, class) occurs once per training instance; a seeded random subset of each key's
// occurrences ran wholly in detail (`detailed`), the others under the sampling policy. Per key, the bias of one
// policy occurrence is estimated by (mean policy duration - mean detailed duration); its variance by the pooled
// variance of the durations times (1/s + 1/f) (the randomisation variance of a difference of means), or, with one
// occurrence in each group, by the squared difference (an upper bound in expectation). The batch time's bias is
// the makespan's change when the schedule is replayed with each policy occurrence shortened by its key's bias:
// in the run's order on every engine, or, with `work_conserving` (the reorder scheduler), with a free engine taking
// the earliest (in the run) of the tasks whose other predecessors have ended, so that a task that waited for its
// engine does not queue behind one whose dependency the correction lengthened; unless the run's next task on that
// engine is released within 1.96 standard errors of the engine's free time (then it waits for it: the corrected
// times cannot tell that the task was not ready, and a reorder on that margin is noise; the standard error is the
// delta method's for the difference of the two times, whose common binding chain cancels). Its variance: the policy
// occurrences on the replayed critical path, found backwards from the last task through each task's binding
// predecessor, times their keys' variances (keys are drawn independently, so the variances add).
// `stratum` (per task; empty: its key) pools keys of identical traffic into one estimate, and with `instance` (per
// task) a stratum whose instances hold occurrences of both groups compares them within those instances (cells): the
// bias is the cells' differences of means weighted by 1 / (1/s + 1/f), its variance the pooled within-cell variance
// over their sum of weights, or, with no spread measurable, sum w^2 d^2 / (sum w)^2. A task's company (what the
// other engine runs beside it) depends on its instance; comparing within instances keeps it out of the bias.
struct PairedEstimate {
  double correction_ps = 0;  // estimated bias of the batch time (sampled minus cycle-level)
  double variance_ps2 = 0;   // its variance
  std::uint64_t keys = 0;    // strata with occurrences in both groups
  std::uint64_t matched_strata = 0;  // of them, strata whose bias was estimated within instances
  std::uint64_t critical_tasks = 0, critical_policy_tasks = 0;
};
PairedEstimate paired_estimate(const std::vector<std::uint64_t>& key, const std::vector<char>& detailed,
                               const std::vector<Picoseconds>& start, const std::vector<Picoseconds>& end,
                               const std::vector<std::uint32_t>& engine, const std::vector<std::uint64_t>& dep_offsets,
                               const std::vector<std::uint32_t>& dep_ids, bool work_conserving = false,
                               const std::vector<std::uint64_t>& stratum = {},
                               const std::vector<std::uint32_t>& instance = {});

// Which occurrences of each key run wholly in detail: per key, ceil(fraction * n) of its n occurrences (all of a
// key that occurs once), the ones with the smallest seeded hash of (key, instance). Deterministic. With `stratum`
// (per task), the keys of one stratum order their instances by one seeded hash of (stratum, instance) and, in a
// seeded order of keys, take consecutive runs of it: each key's draw is still a uniformly random subset, and the
// stratum's keys are held in different instances (a key alone in its stratum, whose id is its key, as without).
std::vector<char> draw_detailed_occurrences(const std::vector<std::uint64_t>& key,
                                            const std::vector<std::uint32_t>& instance, double fraction,
                                            std::uint64_t seed, const std::vector<std::uint64_t>& stratum = {});

class SampledMemory final : public Module, public Target {
 public:
  SampledMemory(Simulation& sim, std::string_view name, DramController& dram, const SampledMemoryConfig& config);
  SampledMemory(const SampledMemory&) = delete;
  SampledMemory& operator=(const SampledMemory&) = delete;
  ~SampledMemory() override;

  bool send(const Request& request, Initiator& from) override;
  std::uint64_t send_prefix(const Request& request, Initiator& from) override;
  [[nodiscard]] std::uint64_t max_request_bytes(std::uint64_t address) const override;
  [[nodiscard]] std::uint64_t line_bytes() const override { return dram_.line_bytes(); }
  [[nodiscard]] bool whole_bursts() const override { return mode_ == Mode::kFast; }

  // What engine `engine` runs from now on: `fine` and `coarse` identify its task's traffic (0: idle).
  void set_context(std::uint32_t engine, std::uint64_t fine, std::uint64_t coarse);

  // Engine `engine`'s task is an occurrence drawn to run wholly in detail (on) or ended (off): while any is held,
  // the controller serves every request.
  void hold_detailed(bool on);
  // The run's paired-occurrence estimate (after the run): it replaces the sampling-only sigma.
  void set_paired_estimate(const PairedEstimate& e) {
    paired_ = e;
    have_paired_ = true;
  }
  [[nodiscard]] const SampledMemoryConfig& config() const noexcept { return config_; }

  [[nodiscard]] double time_sigma_ps() const;
  [[nodiscard]] double sampling_sigma_ps() const;
  [[nodiscard]] double energy_pj() const;
  // The DRAM power that grows with the run's time (background and refresh), averaged over the run so far: what a
  // change of the batch time changes the DRAM energy by, to first order (the bias-corrected energy, docs/sampling.md).
  [[nodiscard]] double time_power_w() const;

 private:
  struct EnergySplit {
    double per_line_pj = 0;  // commands (refresh excluded): the controller's and the fast lines' measured ones
    double per_time_pj = 0;  // refresh at its measured rate and each class's measured background power
  };
  [[nodiscard]] EnergySplit energy_split() const;
  [[nodiscard]] bool any_fast() const;
  enum class Mode : std::uint8_t { kDetailed, kFast };
  // One source in one class: per measured episode its active time (lines in the controller) and lines completed
  // (a ratio estimator of its time per line), its busy periods and their first line's latency; its fast lines.
  // Sums of n samples (a = active time, l = lines) for the ratio estimator r = sum(a) / sum(l) and its variance
  // from the samples' residuals a - r l.
  struct RatioMoments {
    double a = 0, l = 0, aa = 0, ll = 0, al = 0;
    std::uint64_t n = 0;
    void add(double sa, double sl) noexcept {
      a += sa;
      l += sl;
      aa += sa * sa;
      ll += sl * sl;
      al += sa * sl;
      ++n;
    }
    // Variance of r (needs n >= 2 and l > 0).
    [[nodiscard]] double ratio_variance() const noexcept {
      const double dn = static_cast<double>(n);
      const double r = a / l;
      const double e2 = std::max(0.0, aa - 2.0 * r * al + r * r * ll);
      const double lbar = l / dn;
      return e2 / (dn * (dn - 1.0) * lbar * lbar);
    }
  };
  struct LineTime {
    RatioMoments ep;  // per measured episode
    double sum_b = 0, sum_lat = 0;
    // the same per measured window (a detailed stretch: its episodes are consecutive, so not independent), for
    // the stopping rule: the open window's sums, and the closed windows' moments
    double open_a = 0, open_l = 0;
    RatioMoments win;
    std::uint64_t fast_lines = 0;
  };
  struct ClassStats {
    Picoseconds measured_ps = 0, fast_ps = 0;
    double cmd_pj = 0, cmd_lines = 0;  // measured: command energy (refresh excluded) and the lines it moved
    double bg_pj = 0, bg_ps = 0;       // measured: background energy and the episodes' time
    std::uint64_t fast_lines = 0;
    std::vector<LineTime> src;
  };
  struct Source;
  class Proxy;
  class FastCompletion;

  Source& source(const Request& request, Initiator& from);
  Source& add_source(const Request& request, Initiator& from);  // source()'s first use of an id, and its errors
  [[nodiscard]] double line_ps(std::size_t src, std::uint32_t cls) const;
  // Class `cls` has its line times measured precisely enough for its share of the run (the stopping rule).
  [[nodiscard]] bool precise(std::uint32_t cls) const;
  // The fast pipe of (source, class): first-line latency and the interval between lines (ps).
  struct Pipe {
    double latency = 0, interval = 0;
  };
  [[nodiscard]] Pipe pipe(std::size_t src, std::uint32_t cls) const;
  void dram_issued(Source& s, std::uint64_t lines);
  void dram_done(Source& s, std::uint64_t lines);
  void account();
  void begin_episode();
  void end_episode();
  void decide();
  void enter_detailed();
  void enter_fast();
  void close_window();  // the measured window ends: its (class, source) sums become one observation each
  void schedule_decision(Picoseconds t);
  void maybe_decide();
  std::uint64_t send_fast(const Request& request, Source& s);
  // Lines a fast request of `bytes` occupies (at least one; the line is a power of two: a shift, no division).
  [[nodiscard]] std::uint64_t fast_lines(std::uint64_t bytes) const noexcept {
    const std::uint32_t shift = dram_.line_shift();
    return std::max<std::uint64_t>(1, (bytes + (std::uint64_t{1} << shift) - 1) >> shift);
  }
  void fast_complete(std::uint64_t src);
  [[nodiscard]] std::uint32_t class_of_context();
  [[nodiscard]] double refresh_free_command_pj() const;
  [[nodiscard]] double idle_background_w() const;
  [[nodiscard]] double refreshes() const;  // REF commands the controller issued so far

  DramController& dram_;
  SampledMemoryConfig config_;
  Mode mode_ = Mode::kDetailed;
  Picoseconds warm_until_ = 0;
  Picoseconds window_end_ = 0;
  Picoseconds last_account_ = 0;
  static constexpr Picoseconds kNever = ~Picoseconds{0};
  Picoseconds next_decision_ = 0;  // a time-based decision falls due (taken at the first request from then on)
  bool decision_pending_ = false;
  bool measuring_ = false;
  std::uint32_t holds_ = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> window_touched_;  // (class, source) measured this window
  bool episode_held_ = false;  // the current episode runs while an occurrence is held in detail
  PairedEstimate paired_;
  bool have_paired_ = false;
  std::vector<std::uint64_t> fine_, coarse_;  // per engine
  std::map<std::vector<std::uint64_t>, std::uint32_t> class_ids_;
  std::vector<ClassStats> classes_;
  std::uint32_t cur_ = 0;
  std::vector<std::unique_ptr<Source>> sources_;
  std::uint64_t line_epoch_ = 0;  // counts the changes of the measured line times (end_episode): pipes cached by it
  std::unique_ptr<FastCompletion> fast_completion_;
  // the episode being measured
  Picoseconds episode_start_ = 0;
  double episode_cmd_pj_ = 0, episode_bg_pj_ = 0, episode_lines_ = 0;
  double lines_done_ = 0;  // DRAM lines completed, all sources
  double switch_var_ = 0;  // ps^2: the work in flight at each switch
  double episode_refs_ = 0, measured_refreshes_ = 0;  // REF commands issued in measured episodes (time: bg_ps)
  Counter& detailed_lines_;
  Counter& fast_lines_;
  Counter& fast_bursts_;
  Counter& to_detailed_;
  Counter& to_fast_;
  Counter& for_hold_;
  Counter& for_min_class_;
  Counter& for_window_;
  Accumulator& measured_episodes_;
};

}  // namespace tnpu
