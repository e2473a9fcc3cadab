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

std::string TaskSet::describe(std::uint32_t id) const {
  std::ostringstream s;
  s << "task " << id;
  if (id < tasks.size()) {
    const TaskInfo& t = tasks[id];
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

void TaskSet::dependents(std::vector<std::uint64_t>& offsets, std::vector<std::uint32_t>& ids) const {
  const std::size_t n = tasks.size();
  offsets.assign(n + 1, 0);
  for (const std::uint32_t d : dep_ids) ++offsets[d + 1];
  for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
  ids.assign(dep_ids.size(), 0);
  std::vector<std::uint64_t> fill(offsets.begin(), offsets.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {  // in task order, so each dependents list is sorted by id
    for (std::uint64_t k = dep_offsets[i]; k < dep_offsets[i + 1]; ++k) {
      ids[fill[dep_ids[k]]++] = static_cast<std::uint32_t>(i);
    }
  }
}

}  // namespace tnpu
