// The paired-occurrence estimator of the sampled memory (docs/sampling.md): which task occurrences run wholly in
// detail, and the bias-corrected batch time with its variance from the detailed and fast occurrences of each key.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
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
}  // namespace

std::vector<char> draw_detailed_occurrences(const std::vector<std::uint64_t>& key,
                                            const std::vector<std::uint32_t>& instance, double fraction,
                                            std::uint64_t seed) {
  if (key.size() != instance.size()) throw SimulationError("draw_detailed_occurrences: key/instance sizes differ");
  std::vector<char> out(key.size(), 0);
  if (!(fraction > 0.0)) return out;
  std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::size_t>>> by_key;  // key -> (hash, task)
  for (std::size_t i = 0; i < key.size(); ++i) {
    const std::uint64_t h = splitmix64(seed ^ splitmix64(key[i] ^ splitmix64(instance[i])));
    by_key[key[i]].emplace_back(h, i);
  }
  for (auto& [k, occ] : by_key) {
    std::sort(occ.begin(), occ.end());
    const auto n = static_cast<double>(occ.size());
    const auto s = static_cast<std::size_t>(std::min(n, std::max(1.0, std::ceil(fraction * n - 1e-9))));
    for (std::size_t j = 0; j < s; ++j) out[occ[j].second] = 1;
  }
  return out;
}

PairedEstimate paired_estimate(const std::vector<std::uint64_t>& key, const std::vector<char>& detailed,
                               const std::vector<Picoseconds>& start, const std::vector<Picoseconds>& end,
                               const std::vector<std::uint32_t>& engine, const std::vector<std::uint64_t>& dep_offsets,
                               const std::vector<std::uint32_t>& dep_ids) {
  const std::size_t n = key.size();
  if (detailed.size() != n || start.size() != n || end.size() != n || engine.size() != n ||
      dep_offsets.size() != n + 1) {
    throw SimulationError("paired_estimate: per-task vectors of different sizes");
  }
  PairedEstimate e;
  if (n == 0) return e;
  // per key: the bias of one policy occurrence and its variance (two passes: sums of squares of picosecond
  // durations would lose the spread to rounding)
  struct Group {
    double sx = 0, sy = 0, f = 0, s = 0, ss = 0;
  };
  std::map<std::uint64_t, Group> groups;
  const auto dur = [&](std::size_t i) { return static_cast<double>(end[i] - start[i]); };
  for (std::size_t i = 0; i < n; ++i) {
    Group& g = groups[key[i]];
    (detailed[i] != 0 ? g.sy : g.sx) += dur(i);
    (detailed[i] != 0 ? g.s : g.f) += 1;
  }
  for (std::size_t i = 0; i < n; ++i) {
    Group& g = groups[key[i]];
    const double m = detailed[i] != 0 ? g.sy / g.s : g.sx / g.f;
    g.ss += (dur(i) - m) * (dur(i) - m);
  }
  struct Bias {
    double b = 0, var = 0;
    bool known = false;
  };
  std::map<std::uint64_t, Bias> bias;
  for (const auto& [k, g] : groups) {
    Bias b;
    if (g.f > 0 && g.s > 0) {
      b.b = g.sx / g.f - g.sy / g.s;
      b.known = true;
      const double df = g.f + g.s - 2;
      b.var = df >= 1 ? g.ss / df * (1 / g.f + 1 / g.s) : b.b * b.b;
      ++e.keys;
    }
    bias[k] = b;
  }
  // The schedule replayed with each policy occurrence shortened by its key's bias, in the same order: a task
  // starts when the last of its predecessors (dependencies, the task before it on its engine, any task that
  // ended exactly when it started: a window slot or a dispatch it waited for) ends, plus whatever gap it had
  // after them. With no bias this is the run's own schedule; the batch time's bias is the makespan's change.
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
  std::vector<double> new_end(n, 0);
  std::vector<std::uint32_t> binding(n, kNone);
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
    const Bias& b = bias[key[t]];
    const double shorten = detailed[t] == 0 && b.known ? b.b : 0.0;
    new_end[t] = new_start + std::max(0.0, static_cast<double>(end[t] - start[t]) - shorten);
    binding[t] = bind;
    done[t] = 1;
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
      on_path[key[t]] += 1;
    }
  }
  for (const auto& [k, m] : on_path) {
    const Bias& b = bias[k];
    if (b.known) e.variance_ps2 += m * m * b.var;
  }
  return e;
}

}  // namespace tnpu
