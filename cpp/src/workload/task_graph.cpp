#include "tnpu/workload/task_graph.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <queue>
#include <sstream>
#include <string>
#include <utility>

#include "tnpu/error.hpp"

namespace tnpu::workload {

namespace {

[[noreturn]] void fail(const std::string& message) { throw ConfigError("task graph: " + message); }

std::string task_label(const TaskRecord& t) {
  std::ostringstream os;
  os << "task " << t.id << " (" << phase_name(t.phase) << " of layer " << t.layer << ", instance " << t.instance
     << ")";
  return os.str();
}

}  // namespace

TaskGraph::TaskGraph(const TaskColumns& c, std::span<const std::int64_t> dep_offsets,
                     std::span<const std::int64_t> dep_ids) {
  const std::size_t n = c.id.size();
  const std::span<const std::int64_t>* columns[] = {&c.instance, &c.phase,    &c.layer,    &c.layer_kind, &c.m,
                                                    &c.n,        &c.k,        &c.macs,     &c.bytes_in,  &c.bytes_out,
                                                    &c.start_cycle, &c.end_cycle};
  for (const auto* col : columns) {
    if (col->size() != n) fail("every task column must have one value per task (" + std::to_string(n) + ")");
  }
  if (n >= std::numeric_limits<std::uint32_t>::max()) fail("too many tasks (at most 2^32 - 2)");
  tasks_.reserve(n);
  position_of_id_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    TaskRecord t;
    t.id = c.id[i];
    t.instance = c.instance[i];
    if (c.phase[i] < 0 || c.phase[i] >= kNumPhases) {
      fail("task " + std::to_string(t.id) + ": phase code " + std::to_string(c.phase[i]) +
           " is not one of 0..3 (FP, BP, GD, WU)");
    }
    t.phase = static_cast<Phase>(c.phase[i]);
    t.layer = c.layer[i];
    if (c.layer_kind[i] < 0 || c.layer_kind[i] >= kNumLayerKinds) {
      fail("task " + std::to_string(t.id) + ": layer kind code " + std::to_string(c.layer_kind[i]) +
           " is not one of 0.." + std::to_string(kNumLayerKinds - 1));
    }
    t.layer_kind = static_cast<std::uint8_t>(c.layer_kind[i]);
    t.m = c.m[i];
    t.n = c.n[i];
    t.k = c.k[i];
    t.macs = c.macs[i];
    t.bytes_in = c.bytes_in[i];
    t.bytes_out = c.bytes_out[i];
    t.start_cycle = c.start_cycle[i];
    t.end_cycle = c.end_cycle[i];
    if (t.id < 0) fail("task ids must be >= 0, got " + std::to_string(t.id) + " at position " + std::to_string(i));
    if (!position_of_id_.emplace(t.id, static_cast<std::uint32_t>(i)).second) {
      fail("task id " + std::to_string(t.id) + " is used twice (positions " +
           std::to_string(position_of_id_.at(t.id)) + " and " + std::to_string(i) + ")");
    }
    tasks_.push_back(t);
  }
  check_records();
  build_dependencies(dep_offsets, dep_ids);
  order_and_check_acyclic();
  for (const TaskRecord& t : tasks_) {
    std::int64_t& total = macs_by_phase_[static_cast<std::size_t>(t.phase)];
    if (t.macs > std::numeric_limits<std::int64_t>::max() - total) {
      fail(std::string("the MACs of phase ") + phase_name(t.phase) + " add up to more than 2^63 - 1");
    }
    total += t.macs;
  }
}

void TaskGraph::check_records() const {
  for (const TaskRecord& t : tasks_) {
    const std::pair<const char*, std::int64_t> sizes[] = {{"m", t.m},       {"n", t.n},
                                                          {"k", t.k},       {"macs", t.macs},
                                                          {"bytes_in", t.bytes_in}, {"bytes_out", t.bytes_out},
                                                          {"layer", t.layer}, {"instance", t.instance}};
    for (const auto& [name, value] : sizes) {
      if (value < 0) fail(task_label(t) + ": " + name + " must be >= 0, got " + std::to_string(value));
    }
    if (t.start_cycle < -1 || t.end_cycle < -1) {
      fail(task_label(t) + ": start_cycle/end_cycle must be >= 0 (or -1: not recorded)");
    }
    if (t.start_cycle >= 0 && t.end_cycle >= 0 && t.end_cycle < t.start_cycle) {
      fail(task_label(t) + ": end_cycle " + std::to_string(t.end_cycle) + " is before start_cycle " +
           std::to_string(t.start_cycle));
    }
  }
}

void TaskGraph::build_dependencies(std::span<const std::int64_t> dep_offsets, std::span<const std::int64_t> dep_ids) {
  const std::size_t n = tasks_.size();
  if (dep_offsets.size() != n + 1) {
    fail("dep_offsets must have one entry per task plus one (" + std::to_string(n + 1) + "), got " +
         std::to_string(dep_offsets.size()));
  }
  if (dep_offsets[0] != 0) fail("dep_offsets must start at 0");
  if (dep_offsets[n] != static_cast<std::int64_t>(dep_ids.size())) {
    fail("dep_offsets must end at the number of dependencies (" + std::to_string(dep_ids.size()) + "), got " +
         std::to_string(dep_offsets[n]));
  }
  if (dep_ids.size() >= std::numeric_limits<std::uint32_t>::max()) fail("too many dependencies (at most 2^32 - 2)");
  // Check the whole offset array first: starting at 0, never decreasing and ending at dep_ids.size() keeps every
  // offset inside dep_ids.
  for (std::size_t i = 0; i < n; ++i) {
    if (dep_offsets[i + 1] < dep_offsets[i]) {
      fail("dep_offsets must not decrease (at " + task_label(tasks_[i]) + ": " + std::to_string(dep_offsets[i]) +
           " then " + std::to_string(dep_offsets[i + 1]) + ")");
    }
  }
  dep_begin_.assign(n + 1, 0);
  dep_pos_.reserve(dep_ids.size());
  std::vector<std::uint32_t> out_count(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t lo = dep_offsets[i];
    const std::int64_t hi = dep_offsets[i + 1];
    for (auto j = static_cast<std::size_t>(lo); j < static_cast<std::size_t>(hi); ++j) {
      const std::int64_t dep = dep_ids[j];
      const auto it = position_of_id_.find(dep);
      if (it == position_of_id_.end()) {
        fail(task_label(tasks_[i]) + " depends on task " + std::to_string(dep) + ", which does not exist");
      }
      if (it->second == i) fail(task_label(tasks_[i]) + " depends on itself");
      dep_pos_.push_back(it->second);
      ++out_count[it->second];
    }
    dep_begin_[i + 1] = static_cast<std::uint32_t>(dep_pos_.size());
  }
  out_begin_.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) out_begin_[i + 1] = out_begin_[i] + out_count[i];
  out_pos_.assign(dep_pos_.size(), 0);
  std::vector<std::uint32_t> fill(out_begin_.begin(), out_begin_.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint32_t d : deps(i)) out_pos_[fill[d]++] = static_cast<std::uint32_t>(i);
  }
}

void TaskGraph::order_and_check_acyclic() {
  const std::size_t n = tasks_.size();
  std::vector<std::uint32_t> pending(n);
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready;
  depth_.assign(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    pending[i] = dep_begin_[i + 1] - dep_begin_[i];
    if (pending[i] == 0) ready.push(static_cast<std::uint32_t>(i));
  }
  order_.reserve(n);
  while (!ready.empty()) {
    const std::uint32_t v = ready.top();
    ready.pop();
    order_.push_back(v);
    for (std::uint32_t w : dependents(v)) {
      depth_[w] = std::max(depth_[w], depth_[v] + 1);
      if (--pending[w] == 0) ready.push(w);
    }
  }
  if (order_.size() == n) return;
  // Some tasks never became ready: each of them waits on another such task, so walking back along unfinished
  // dependencies from any of them must revisit a task. The walk from that task on is a cycle.
  std::vector<std::size_t> seen_at(n, n);
  std::vector<std::uint32_t> walk;
  std::uint32_t v = 0;
  while (pending[v] == 0) ++v;
  while (seen_at[v] == n) {
    seen_at[v] = walk.size();
    walk.push_back(v);
    for (std::uint32_t d : deps(v)) {
      if (pending[d] != 0) {
        v = d;
        break;
      }
    }
  }
  // walk[i + 1] is a dependency of walk[i], so the execution order along the cycle is the walk reversed.
  std::string ids = std::to_string(tasks_[v].id);
  for (std::size_t i = walk.size(); i-- > seen_at[v];) ids += " -> " + std::to_string(tasks_[walk[i]].id);
  fail("dependency cycle through task ids " + ids + " (" + std::to_string(n - order_.size()) +
       " tasks can never run)");
}

std::span<const std::uint32_t> TaskGraph::deps(std::size_t position) const {
  return {dep_pos_.data() + dep_begin_.at(position), dep_begin_.at(position + 1) - dep_begin_.at(position)};
}

std::span<const std::uint32_t> TaskGraph::dependents(std::size_t position) const {
  return {out_pos_.data() + out_begin_.at(position), out_begin_.at(position + 1) - out_begin_.at(position)};
}

std::optional<std::size_t> TaskGraph::position_of(std::int64_t id) const {
  const auto it = position_of_id_.find(id);
  if (it == position_of_id_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tnpu::workload
