// The paired-occurrence estimator of the sampled memory (docs/sampling.md): which task occurrences run wholly in
// detail, and the bias-corrected batch time with its variance from the detailed and fast occurrences of each key.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <queue>
#include <tuple>
#include <utility>
#include <vector>

#include "tnpu/mem/sampled_memory.hpp"

namespace tnpu {

namespace {

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The replay of a work-conserving scheduler (reorder: a free engine takes the oldest ready task): an engine that
// is free runs, of the tasks released to it (every release predecessor ended, plus the gap the task had after the
// later of them and its engine's previous task), the one earliest in the run's order; so a task that waited for its
// engine, not for a lengthened predecessor, does not wait behind one that did. With no bias it is the run's
// schedule: each task is released when it started or, if it waited for its engine, when that engine became free.
// The replay keeps the run's order on an engine where the corrected times cannot tell otherwise: a free engine
// waits for the run's next task on it, rather than start a later one, when that task's release is already known
// (its release predecessors have started) and lies within z = 1.96 standard errors of now. The standard error is
// the delta method's for the difference of the two replayed times (that release, and the engine's free time): each
// time moves one for one with the biases of the policy occurrences on its binding chain, so the difference with
// sum over strata of (occurrences on one chain - on the other)^2 x var(b); the chains' common part cancels. With no
// bias error (or no bias) the replay is work-conserving exactly as before (docs/sampling.md, "The replay's margin").
constexpr auto kNoTask = std::numeric_limits<std::uint32_t>::max();
using Released = std::tuple<double, std::uint32_t, std::uint32_t>;  // (time, rank, task)
using ByRank = std::pair<std::uint32_t, std::uint32_t>;             // (rank, task)
constexpr double kMarginZ = 1.96;  // the replay's margin in standard errors: the interval's own 95 %
struct ReplayEngine {
  std::priority_queue<Released, std::vector<Released>, std::greater<>> waiting;  // release time not reached
  std::priority_queue<ByRank, std::vector<ByRank>, std::greater<>> ready;
  std::vector<std::uint32_t> run_order;  // the engine's tasks in the run's order
  std::size_t next = 0;                  // run_order[next]: the first not started
  bool busy = false;
  double free_at = 0;
  std::uint32_t last = kNoTask;
};

void replay_work_conserving(const std::vector<Picoseconds>& start, const std::vector<Picoseconds>& end,
                            const std::vector<std::uint32_t>& engine, const std::vector<std::uint32_t>& prev_on_engine,
                            const std::vector<std::uint32_t>& rank,
                            const std::vector<std::vector<std::uint32_t>>& release, const std::vector<double>& duration,
                            const std::vector<std::uint32_t>& policy_stratum, const std::vector<double>& stratum_var,
                            std::vector<double>& new_end, std::vector<std::uint32_t>& binding) {
  constexpr auto kNone = kNoTask;
  const std::size_t n = start.size();
  std::vector<double> gap(n, 0), released_at(n, 0);
  std::vector<std::uint32_t> depth(n, 0);  // along the binding chain
  std::vector<std::int64_t> diff(stratum_var.size(), 0);
  std::vector<std::uint32_t> touched;
  std::vector<std::uint32_t> missing(n, 0), released_by(n, kNone);
  std::vector<char> started(n, 0);
  std::vector<std::vector<std::uint32_t>> successors(n);
  std::map<std::uint32_t, std::size_t> slot;  // engine id -> index
  for (std::uint32_t t = 0; t < n; ++t) {
    Picoseconds latest = 0;
    for (const std::uint32_t p : release[t]) {
      latest = std::max(latest, end[p]);
      successors[p].push_back(t);
    }
    if (prev_on_engine[t] != kNone) latest = std::max(latest, end[prev_on_engine[t]]);
    gap[t] = static_cast<double>(start[t] - latest);
    missing[t] = static_cast<std::uint32_t>(release[t].size());
    slot.emplace(engine[t], slot.size());
  }
  std::vector<ReplayEngine> engines(slot.size());
  {
    std::vector<std::uint32_t> by_rank(n);
    for (std::uint32_t t = 0; t < n; ++t) by_rank[rank[t]] = t;
    for (const std::uint32_t t : by_rank) engines[slot[engine[t]]].run_order.push_back(t);
  }
  std::priority_queue<Released, std::vector<Released>, std::greater<>> running;  // (new end, rank, task)
  // the latest-ending of t's release predecessors (the later in the run on a tie) and its replayed end
  const auto latest_release_predecessor = [&](std::uint32_t t) {
    double at = 0;
    std::uint32_t by = kNone;
    for (const std::uint32_t p : release[t]) {
      if (by == kNone || new_end[p] > at || (new_end[p] == at && rank[p] > rank[by])) {
        at = new_end[p];
        by = p;
      }
    }
    return std::pair{at, by};
  };
  const auto release_task = [&](std::uint32_t t) {
    const auto [at, by] = latest_release_predecessor(t);
    released_at[t] = at + gap[t];
    released_by[t] = by;
    engines[slot[engine[t]]].waiting.emplace(released_at[t], rank[t], t);
  };
  for (std::uint32_t t = 0; t < n; ++t) {
    if (missing[t] == 0) release_task(t);
  }
  // the variance of (replayed end of a) - (replayed end of b): both chains followed back to their common ancestor
  const auto difference_var = [&](std::uint32_t a, std::uint32_t b) {
    const auto step = [&](std::uint32_t& t, std::int64_t sign) {
      if (const std::uint32_t k = policy_stratum[t]; k != kNone) {
        if (diff[k] == 0) touched.push_back(k);
        diff[k] += sign;
      }
      t = binding[t];
    };
    while (a != b && a != kNone && b != kNone) {
      if (depth[a] >= depth[b]) {
        step(a, 1);
      } else {
        step(b, -1);
      }
    }
    while (a != b && a != kNone) step(a, 1);
    while (a != b && b != kNone) step(b, -1);
    double var = 0;
    for (const std::uint32_t k : touched) {
      var += static_cast<double>(diff[k]) * static_cast<double>(diff[k]) * stratum_var[k];
      diff[k] = 0;
    }
    touched.clear();
    return var;
  };
  // whether a free engine waits for the run's next task x on it: x's release is known (every release predecessor
  // started) and within kMarginZ standard errors of now (the difference of x's release and the engine's free time)
  const auto holds_for = [&](std::uint32_t x, const ReplayEngine& e, double now) {
    for (const std::uint32_t p : release[x]) {
      if (started[p] == 0) return false;
    }
    const auto [at, by] = latest_release_predecessor(x);
    const double margin = at + gap[x] - now;
    return margin <= kMarginZ * std::sqrt(difference_var(by, e.last));
  };
  double now = 0;
  for (std::size_t finished = 0; finished < n;) {
    for (auto& e : engines) {  // start what can start now
      while (!e.waiting.empty() && std::get<0>(e.waiting.top()) <= now) {
        e.ready.emplace(std::get<1>(e.waiting.top()), std::get<2>(e.waiting.top()));
        e.waiting.pop();
      }
      if (e.busy || e.ready.empty()) continue;
      const std::uint32_t t = e.ready.top().second;
      while (started[e.run_order[e.next]] != 0) ++e.next;
      if (const std::uint32_t x = e.run_order[e.next]; x != t && holds_for(x, e, now)) continue;
      e.ready.pop();
      started[t] = 1;
      // bound by its engine if that freed now, after the task was released; else by its latest release predecessor
      binding[t] = e.last != kNone && e.free_at == now && e.free_at >= released_at[t] ? e.last : released_by[t];
      depth[t] = binding[t] == kNone ? 0 : depth[binding[t]] + 1;
      new_end[t] = now + duration[t];
      e.busy = true;
      running.emplace(new_end[t], rank[t], t);
    }
    double next = std::numeric_limits<double>::infinity();  // the next event: an end, or a release
    if (!running.empty()) next = std::get<0>(running.top());
    for (const auto& e : engines) {
      if (!e.waiting.empty() && (!e.busy || e.ready.empty())) next = std::min(next, std::get<0>(e.waiting.top()));
    }
    if (next == std::numeric_limits<double>::infinity()) throw SimulationError("paired_estimate: the replay stalled");
    now = std::max(now, next);
    while (!running.empty() && std::get<0>(running.top()) <= now) {
      const std::uint32_t t = std::get<2>(running.top());
      running.pop();
      ++finished;
      ReplayEngine& e = engines[slot[engine[t]]];
      e.busy = false;
      e.free_at = new_end[t];
      e.last = t;
      for (const std::uint32_t s : successors[t]) {
        if (--missing[s] == 0) release_task(s);
      }
    }
  }
}
}  // namespace

std::vector<char> draw_detailed_occurrences(const std::vector<std::uint64_t>& key,
                                            const std::vector<std::uint32_t>& instance, double fraction,
                                            std::uint64_t seed, const std::vector<std::uint64_t>& stratum) {
  if (key.size() != instance.size()) throw SimulationError("draw_detailed_occurrences: key/instance sizes differ");
  if (!stratum.empty() && stratum.size() != key.size()) {
    throw SimulationError("draw_detailed_occurrences: key/stratum sizes differ");
  }
  std::vector<char> out(key.size(), 0);
  if (!(fraction > 0.0)) return out;
  // stratum -> key -> (hash, task). Within a stratum every key orders its instances by the same seeded hash of
  // (stratum, instance), so one key's occurrences are a uniformly random order of its instances (alone in its
  // stratum, the key's own order: the stratum's id is its smallest key); the stratum's keys, ranked by a seeded
  // hash, take consecutive runs of that order, so that they are held in different instances where they can be.
  std::map<std::uint64_t, std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::size_t>>>> by_stratum;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const std::uint64_t st = stratum.empty() ? key[i] : stratum[i];
    const std::uint64_t h = splitmix64(seed ^ splitmix64(st ^ splitmix64(instance[i])));
    by_stratum[st][key[i]].emplace_back(h, i);
  }
  for (auto& [st, keys] : by_stratum) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranked;  // (seeded hash of the key, key)
    for (const auto& kv : keys) {
      ranked.emplace_back(keys.size() == 1 ? 0 : splitmix64(seed ^ splitmix64(kv.first)), kv.first);
    }
    std::sort(ranked.begin(), ranked.end());
    std::size_t offset = 0;
    for (const auto& rk : ranked) {
      auto& occ = keys[rk.second];
      std::sort(occ.begin(), occ.end());
      const auto n = static_cast<double>(occ.size());
      const auto s = static_cast<std::size_t>(std::min(n, std::max(1.0, std::ceil(fraction * n - 1e-9))));
      for (std::size_t j = 0; j < s; ++j) out[occ[(offset + j) % occ.size()].second] = 1;
      offset += s;
    }
  }
  return out;
}

PairedEstimate paired_estimate(const std::vector<std::uint64_t>& key, const std::vector<char>& detailed,
                               const std::vector<Picoseconds>& start, const std::vector<Picoseconds>& end,
                               const std::vector<std::uint32_t>& engine, const std::vector<std::uint64_t>& dep_offsets,
                               const std::vector<std::uint32_t>& dep_ids, bool work_conserving,
                               const std::vector<std::uint64_t>& stratum, const std::vector<std::uint32_t>& instance) {
  const std::size_t n = key.size();
  if (detailed.size() != n || start.size() != n || end.size() != n || engine.size() != n ||
      dep_offsets.size() != n + 1 || (!stratum.empty() && stratum.size() != n) ||
      (!instance.empty() && instance.size() != n)) {
    throw SimulationError("paired_estimate: per-task vectors of different sizes");
  }
  PairedEstimate e;
  if (n == 0) return e;
  // per stratum (a key, or the keys of one traffic signature): the bias of one policy occurrence and its variance
  // (two passes: sums of squares of picosecond durations would lose the spread to rounding). Within a stratum the
  // occurrences are also split by instance (cells): where a cell has occurrences in both groups, the comparison is
  // made within cells, in the same instance (docs/sampling.md, "Strata"); else between the stratum's groups.
  struct Group {
    double sx = 0, sy = 0, f = 0, s = 0, ss = 0;
    [[nodiscard]] bool matched() const noexcept { return f > 0 && s > 0; }
    [[nodiscard]] double mean(bool held) const noexcept { return held ? sy / s : sx / f; }
  };
  struct Stratum {
    Group whole;
    std::map<std::uint32_t, Group> cells;
  };
  const auto stratum_of = [&](std::size_t i) { return stratum.empty() ? key[i] : stratum[i]; };
  const auto cell_of = [&](std::size_t i) { return instance.empty() ? std::uint32_t{0} : instance[i]; };
  const bool use_cells = !instance.empty();
  std::map<std::uint64_t, Stratum> groups;
  const auto dur = [&](std::size_t i) { return static_cast<double>(end[i] - start[i]); };
  for (std::size_t i = 0; i < n; ++i) {
    Stratum& st = groups[stratum_of(i)];
    for (Group* g : {&st.whole, use_cells ? &st.cells[cell_of(i)] : nullptr}) {
      if (g == nullptr) continue;
      (detailed[i] != 0 ? g->sy : g->sx) += dur(i);
      (detailed[i] != 0 ? g->s : g->f) += 1;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    Stratum& st = groups[stratum_of(i)];
    const bool held = detailed[i] != 0;
    st.whole.ss += (dur(i) - st.whole.mean(held)) * (dur(i) - st.whole.mean(held));
    if (!use_cells) continue;
    Group& c = st.cells[cell_of(i)];
    if (c.matched()) c.ss += (dur(i) - c.mean(held)) * (dur(i) - c.mean(held));
  }
  struct Bias {
    double b = 0, var = 0;
    bool known = false;
  };
  std::map<std::uint64_t, Bias> bias;
  for (const auto& [k, st] : groups) {
    Bias b;
    double w_sum = 0, wd = 0, w2d2 = 0, ss = 0, df = 0;
    for (const auto& [inst, c] : st.cells) {
      if (!c.matched()) continue;
      const double w = c.s * c.f / (c.s + c.f);  // 1 / (1/s + 1/f): the weight of the cell's difference
      const double d = c.mean(false) - c.mean(true);
      w_sum += w;
      wd += w * d;
      w2d2 += w * w * d * d;
      ss += c.ss;
      df += c.s + c.f - 2;
    }
    const Group& g = st.whole;
    if (w_sum > 0) {  // within instances: a weighted mean of the cells' differences
      b.b = wd / w_sum;
      b.var = df >= 1 ? ss / df / w_sum : w2d2 / (w_sum * w_sum);
      b.known = true;
      ++e.keys;
      ++e.matched_strata;
    } else if (g.matched()) {
      b.b = g.mean(false) - g.mean(true);
      b.known = true;
      const double gdf = g.f + g.s - 2;
      b.var = gdf >= 1 ? g.ss / gdf * (1 / g.f + 1 / g.s) : b.b * b.b;
      ++e.keys;
    }
    bias[k] = b;
  }
  // The schedule replayed with each policy occurrence shortened by its key's bias (docs/sampling.md, "Batch
  // time"). A task's predecessors: its dependencies, the task before it on its engine, and any task that ended
  // exactly when it started (a window slot or a dispatch it waited for), each earlier in the run's order (start,
  // end, id) so that zero-length tasks cannot wait on each other. With no bias both replays are the run's schedule;
  // the batch time's bias is the makespan's change.
  constexpr auto kNone = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> prev_on_engine(n, kNone);
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(engine[a], start[a], end[a], a) < std::tie(engine[b], start[b], end[b], b);
  });
  for (std::size_t j = 1; j < n; ++j) {
    if (engine[order[j]] == engine[order[j - 1]]) prev_on_engine[order[j]] = order[j - 1];
  }
  std::multimap<Picoseconds, std::uint32_t> by_end;
  for (std::uint32_t i = 0; i < n; ++i) by_end.emplace(end[i], i);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(start[a], end[a], a) < std::tie(start[b], end[b], b);
  });
  const auto shortened = [&](std::uint32_t t) {
    const Bias& b = bias[stratum_of(t)];
    const double shorten = detailed[t] == 0 && b.known ? b.b : 0.0;
    return std::max(0.0, static_cast<double>(end[t] - start[t]) - shorten);
  };
  std::vector<double> new_end(n, 0);
  std::vector<std::uint32_t> binding(n, kNone);
  if (work_conserving) {
    std::vector<std::uint32_t> rank(n);
    for (std::uint32_t j = 0; j < n; ++j) rank[order[j]] = j;
    // per task: its release predecessors (all but the engine's previous task, unless that is also a dependency)
    std::vector<std::vector<std::uint32_t>> release(n);
    for (std::uint32_t t = 0; t < n; ++t) {
      std::vector<std::uint32_t>& r = release[t];
      const auto add = [&](std::uint32_t p) {
        if (p != kNone && p != t && end[p] <= start[t] && rank[p] < rank[t]) r.push_back(p);
      };
      for (std::uint64_t d = dep_offsets[t]; d < dep_offsets[t + 1]; ++d) add(dep_ids[d]);
      const auto [lo, hi] = by_end.equal_range(start[t]);
      for (auto it = lo; it != hi; ++it) {
        if (it->second != prev_on_engine[t]) add(it->second);
      }
      std::sort(r.begin(), r.end());
      r.erase(std::unique(r.begin(), r.end()), r.end());
    }
    std::vector<double> duration(n), stratum_var;
    std::vector<std::uint32_t> policy_stratum(n, kNone);  // per policy occurrence of a known bias: its stratum's index
    std::map<std::uint64_t, std::uint32_t> index;
    for (std::uint32_t t = 0; t < n; ++t) {
      duration[t] = shortened(t);
      const Bias& b = bias[stratum_of(t)];
      if (detailed[t] != 0 || !b.known) continue;
      const auto [it, added] = index.emplace(stratum_of(t), static_cast<std::uint32_t>(stratum_var.size()));
      if (added) stratum_var.push_back(b.var);
      policy_stratum[t] = it->second;
    }
    replay_work_conserving(start, end, engine, prev_on_engine, rank, release, duration, policy_stratum, stratum_var,
                           new_end, binding);
  } else {
    // In the run's order on every engine: a task starts when the last of its predecessors ends, plus the gap it
    // had after them (the order-keeping schedulers: in order, per-engine instance order).
    std::vector<char> done(n, 0);
    for (const std::uint32_t t : order) {
      double latest_new = 0;
      Picoseconds latest_raw = 0;
      std::uint32_t bind = kNone;
      const auto consider = [&](std::uint32_t p) {
        if (p == kNone || p == t || end[p] > start[t]) return;
        const double pe = done[p] != 0 ? new_end[p] : static_cast<double>(end[p]);
        latest_raw = std::max(latest_raw, end[p]);
        if (bind == kNone || pe > latest_new) {
          latest_new = pe;
          bind = p;
        }
      };
      for (std::uint64_t d = dep_offsets[t]; d < dep_offsets[t + 1]; ++d) consider(dep_ids[d]);
      consider(prev_on_engine[t]);
      const auto [lo, hi] = by_end.equal_range(start[t]);
      for (auto it = lo; it != hi; ++it) consider(it->second);
      const double gap = static_cast<double>(start[t] - latest_raw);  // start[t] >= every considered end
      const double new_start = bind == kNone ? static_cast<double>(start[t]) : latest_new + gap;
      new_end[t] = new_start + shortened(t);
      binding[t] = bind;
      done[t] = 1;
    }
  }
  std::uint32_t last = 0, new_last = 0;
  for (std::uint32_t i = 1; i < n; ++i) {
    if (end[i] > end[last]) last = i;
    if (new_end[i] > new_end[new_last]) new_last = i;
  }
  e.correction_ps = static_cast<double>(end[last]) - new_end[new_last];
  // its variance (delta method): the corrected schedule's critical path, each policy occurrence of key k on it
  // moving the makespan one for one with b_k
  std::map<std::uint64_t, double> on_path;
  std::vector<char> seen(n, 0);
  for (std::uint32_t t = new_last; t != kNone && seen[t] == 0; t = binding[t]) {
    seen[t] = 1;
    ++e.critical_tasks;
    if (detailed[t] == 0) {
      ++e.critical_policy_tasks;
      on_path[stratum_of(t)] += 1;
    }
  }
  for (const auto& [k, m] : on_path) {
    const Bias& b = bias[k];
    if (b.known) e.variance_ps2 += m * m * b.var;
  }
  return e;
}

}  // namespace tnpu
