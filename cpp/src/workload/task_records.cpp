#include "tnpu/workload/task_records.hpp"

#include <array>
#include <cstddef>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>

#include "tnpu/error.hpp"

namespace tnpu::workload {

namespace {

[[noreturn]] void fail(const std::string& message) { throw ConfigError("task graph: " + message); }

std::string task_label(const TaskColumns& c, std::size_t i) {
  std::ostringstream os;
  os << "task " << c.id[i] << " (" << phase_name(static_cast<Phase>(c.phase[i])) << " of layer " << c.layer[i]
     << ", instance " << c.instance[i] << ")";
  return os.str();
}

void check_record(const TaskColumns& c, std::size_t i) {
  const std::pair<const char*, std::int64_t> sizes[] = {
      {"m", c.m[i]},       {"n", c.n[i]},         {"k", c.k[i]}, {"macs", c.macs[i]}, {"bytes_in", c.bytes_in[i]},
      {"bytes_out", c.bytes_out[i]}, {"layer", c.layer[i]}, {"instance", c.instance[i]}};
  for (const auto& [name, value] : sizes) {
    if (value < 0) fail(task_label(c, i) + ": " + name + " must be >= 0, got " + std::to_string(value));
  }
  if (c.layer[i] >= std::numeric_limits<std::uint32_t>::max() ||
      c.instance[i] >= std::numeric_limits<std::uint32_t>::max()) {
    fail(task_label(c, i) + ": layer and instance must be below 2^32 - 1");
  }
  const std::int64_t start = c.start_cycle[i], end = c.end_cycle[i];
  if (start < -1 || end < -1) fail(task_label(c, i) + ": start_cycle/end_cycle must be >= 0 (or -1: not recorded)");
  if (start >= 0 && end >= 0 && end < start) {
    fail(task_label(c, i) + ": end_cycle " + std::to_string(end) + " is before start_cycle " + std::to_string(start));
  }
}

}  // namespace

TaskSet task_set_from_records(const TaskColumns& c, std::span<const std::int64_t> dep_offsets,
                              std::span<const std::int64_t> dep_ids) {
  const std::size_t n = c.id.size();
  const std::span<const std::int64_t>* columns[] = {&c.instance, &c.phase,    &c.layer,    &c.layer_kind, &c.m,
                                                    &c.n,        &c.k,        &c.macs,     &c.bytes_in,  &c.bytes_out,
                                                    &c.start_cycle, &c.end_cycle};
  for (const auto* col : columns) {
    if (col->size() != n) fail("every task column must have one value per task (" + std::to_string(n) + ")");
  }
  if (n >= std::numeric_limits<std::uint32_t>::max()) fail("too many tasks (at most 2^32 - 2)");
  TaskSet ts;
  ts.tasks.reserve(n);
  ts.ids.assign(c.id.begin(), c.id.end());
  std::unordered_map<std::int64_t, std::uint32_t> position_of_id;
  position_of_id.reserve(n);
  std::array<std::int64_t, kPhaseCount> macs{};
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t id = c.id[i];
    if (c.phase[i] < 0 || c.phase[i] >= static_cast<std::int64_t>(kPhaseCount)) {
      fail("task " + std::to_string(id) + ": phase code " + std::to_string(c.phase[i]) +
           " is not one of 0..3 (FP, BP, GD, WU)");
    }
    if (c.layer_kind[i] < 0 || c.layer_kind[i] >= static_cast<std::int64_t>(kNumLayerKinds)) {
      fail("task " + std::to_string(id) + ": layer kind code " + std::to_string(c.layer_kind[i]) +
           " is not one of 0.." + std::to_string(kNumLayerKinds - 1));
    }
    if (id < 0) fail("task ids must be >= 0, got " + std::to_string(id) + " at position " + std::to_string(i));
    if (!position_of_id.emplace(id, static_cast<std::uint32_t>(i)).second) {
      fail("task id " + std::to_string(id) + " is used twice (positions " + std::to_string(position_of_id.at(id)) +
           " and " + std::to_string(i) + ")");
    }
    check_record(c, i);
    const auto phase = static_cast<Phase>(c.phase[i]);
    const bool wu = phase == Phase::kWU;
    const bool matrix = static_cast<LayerKind>(c.layer_kind[i]) == LayerKind::kConv && !wu;
    ts.tasks.push_back(TaskInfo{wu ? kBatchInstance : static_cast<std::uint32_t>(c.instance[i]),
                                static_cast<std::uint32_t>(c.layer[i]), phase,
                                matrix ? TaskClass::kMatrix : TaskClass::kVector});
    std::int64_t& total = macs[static_cast<std::size_t>(phase)];
    if (c.macs[i] > std::numeric_limits<std::int64_t>::max() - total) {
      fail(std::string("the MACs of phase ") + phase_name(phase) + " add up to more than 2^63 - 1");
    }
    total += c.macs[i];
  }
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
      fail("dep_offsets must not decrease (at " + task_label(c, i) + ": " + std::to_string(dep_offsets[i]) +
           " then " + std::to_string(dep_offsets[i + 1]) + ")");
    }
  }
  ts.dep_offsets.assign(n + 1, 0);
  ts.dep_ids.reserve(dep_ids.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (auto j = static_cast<std::size_t>(dep_offsets[i]); j < static_cast<std::size_t>(dep_offsets[i + 1]); ++j) {
      const auto it = position_of_id.find(dep_ids[j]);
      if (it == position_of_id.end()) {
        fail(task_label(c, i) + " depends on task " + std::to_string(dep_ids[j]) + ", which does not exist");
      }
      if (it->second == i) fail(task_label(c, i) + " depends on itself");
      ts.dep_ids.push_back(it->second);
    }
    ts.dep_offsets[i + 1] = ts.dep_ids.size();
  }
  (void)ts.topological_order();  // throws on a cycle, naming its task ids
  return ts;
}

}  // namespace tnpu::workload
