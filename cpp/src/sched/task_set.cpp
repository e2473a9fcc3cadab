#include <algorithm>
#include <functional>
#include <queue>
#include <sstream>

#include "tnpu/error.hpp"
#include "tnpu/sched/task_set.hpp"

namespace tnpu {

const char* phase_name(Phase p) noexcept {
  switch (p) {
    case Phase::kFP: return "FP";
    case Phase::kBP: return "BP";
    case Phase::kGD: return "GD";
    case Phase::kWU: return "WU";
  }
  return "?";
}

std::string TaskSet::describe(std::uint32_t position) const {
  std::ostringstream s;
  s << "task " << (position < tasks.size() ? id(position) : static_cast<std::int64_t>(position));
  if (position < tasks.size()) {
    const TaskInfo& t = tasks[position];
    s << " (";
    if (t.instance == kBatchInstance) {
      s << "batch";
    } else {
      s << "i" << t.instance;
    }
    s << " " << phase_name(t.phase) << " layer " << t.layer << ")";
  }
  return s.str();
}

void TaskSet::validate() const {
  const std::size_t n = tasks.size();
  if (n >= kBatchInstance) throw ConfigError("task set: too many tasks (at most 2^32 - 2)");
  if (dep_offsets.size() != n + 1) {
    std::ostringstream s;
    s << "task set: dep_offsets must have one entry per task plus one (" << n + 1 << "), got " << dep_offsets.size();
    throw ConfigError(s.str());
  }
  if (dep_offsets.front() != 0 || dep_offsets.back() != dep_ids.size()) {
    throw ConfigError("task set: dep_offsets must start at 0 and end at len(dep_ids)");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (dep_offsets[i + 1] < dep_offsets[i]) {
      throw ConfigError("task set: dep_offsets must not decrease (at task " + std::to_string(i) + ")");
    }
    const TaskInfo& t = tasks[i];
    if (static_cast<unsigned>(t.phase) > static_cast<unsigned>(Phase::kWU)) {
      throw ConfigError("task set: " + describe(static_cast<std::uint32_t>(i)) + " has an unknown phase");
    }
    if (static_cast<unsigned>(t.task_class) >= kNumTaskClasses) {
      throw ConfigError("task set: task " + std::to_string(i) + " has an unknown task class");
    }
    for (std::uint64_t k = dep_offsets[i]; k < dep_offsets[i + 1]; ++k) {
      const std::uint32_t d = dep_ids[k];
      if (d >= n) {
        throw ConfigError("task set: " + describe(static_cast<std::uint32_t>(i)) + " depends on task " +
                          std::to_string(d) + ", which does not exist (" + std::to_string(n) + " tasks)");
      }
      // Ids are the program order and must be a topological order: then the graph is acyclic and an in-order
      // machine can always make progress.
      if (d >= i) {
        throw ConfigError("task set: " + describe(static_cast<std::uint32_t>(i)) + " depends on " + describe(d) +
                          ", which does not come before it in program order (task ids must be a topological "
                          "order; a dependency cycle cannot be)");
      }
    }
  }
}

void TaskSet::dependents(std::vector<std::uint64_t>& offsets, std::vector<std::uint32_t>& ids_out) const {
  const std::size_t n = tasks.size();
  offsets.assign(n + 1, 0);
  for (const std::uint32_t d : dep_ids) ++offsets[d + 1];
  for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
  ids_out.assign(dep_ids.size(), 0);
  std::vector<std::uint64_t> fill(offsets.begin(), offsets.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {  // in task order, so each dependents list is sorted by position
    for (std::uint64_t k = dep_offsets[i]; k < dep_offsets[i + 1]; ++k) {
      ids_out[fill[dep_ids[k]]++] = static_cast<std::uint32_t>(i);
    }
  }
}

TaskSet::Order TaskSet::topological_order() const {
  const std::size_t n = tasks.size();
  std::vector<std::uint64_t> out_begin;
  std::vector<std::uint32_t> out;
  dependents(out_begin, out);
  std::vector<std::uint64_t> pending(n);
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready;
  Order r;
  r.depth.assign(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    pending[i] = dep_offsets[i + 1] - dep_offsets[i];
    if (pending[i] == 0) ready.push(static_cast<std::uint32_t>(i));
  }
  r.order.reserve(n);
  while (!ready.empty()) {
    const std::uint32_t v = ready.top();
    ready.pop();
    r.order.push_back(v);
    for (std::uint64_t k = out_begin[v]; k < out_begin[v + 1]; ++k) {
      const std::uint32_t w = out[k];
      r.depth[w] = std::max(r.depth[w], r.depth[v] + 1);
      if (--pending[w] == 0) ready.push(w);
    }
  }
  if (r.order.size() == n) return r;
  // Some tasks never became ready: each of them waits on another such task, so walking back along unfinished
  // dependencies from any of them must revisit a task. The walk from that task on is a cycle.
  std::vector<std::size_t> seen_at(n, n);
  std::vector<std::uint32_t> walk;
  std::uint32_t v = 0;
  while (pending[v] == 0) ++v;
  while (seen_at[v] == n) {
    seen_at[v] = walk.size();
    walk.push_back(v);
    for (std::uint64_t k = dep_offsets[v]; k < dep_offsets[v + 1]; ++k) {
      if (pending[dep_ids[k]] != 0) {
        v = dep_ids[k];
        break;
      }
    }
  }
  // walk[i + 1] is a dependency of walk[i], so the execution order along the cycle is the walk reversed.
  std::string cycle = std::to_string(id(v));
  for (std::size_t i = walk.size(); i-- > seen_at[v];) cycle += " -> " + std::to_string(id(walk[i]));
  throw ConfigError("task graph: dependency cycle through task ids " + cycle + " (" +
                    std::to_string(n - r.order.size()) + " tasks can never run)");
}

}  // namespace tnpu
