// libFuzzer harness of the task-record checks that compute traces go through (cpp/src/workload/task_records.cpp,
// building the one task-graph type, TaskSet) and of the scheduler/executor that then runs the graph (cpp/src/sched).
// Input: a task count, per task its record fields and dependencies (small ids, so that duplicates, self-loops and
// cycles are frequent), then a scheduler choice and task durations.
// Properties: task_set_from_records either throws ConfigError or yields a topological order that is a permutation respecting
// every dependency; a valid graph then runs to completion under every scheduler, or -- only for `reorder` with a
// bounded window, which can deadlock on dependencies across instances -- throws SimulationError "simulation stuck".
// Nothing else may come out, and nothing may hang.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "tnpu/error.hpp"
#include "tnpu/sched/executor.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/workload/task_records.hpp"

namespace {

// A small value in offset..range+offset-1 from one byte, or (byte 255) any 64-bit value from the next eight.
std::int64_t small_or_wild(tnpu_fuzz::Bytes& in, std::int64_t range, std::int64_t offset = 0) {
  const std::uint8_t b = in.u8();
  if (b == 255) return static_cast<std::int64_t>(in.u64());  // negative values included
  return static_cast<std::int64_t>(b) % range - offset;
}

void run_schedule(const tnpu::TaskSet& g, const std::vector<std::uint32_t>& order, tnpu_fuzz::Bytes& in) {
  const std::size_t n = g.size();
  std::vector<std::uint32_t> rank(n);
  for (std::uint32_t r = 0; r < n; ++r) rank[order[r]] = r;
  tnpu::TaskSet ts;  // the same graph in program order (a topological order), small instance and layer numbers
  ts.dep_offsets.push_back(0);
  for (const std::uint32_t p : order) {
    tnpu::TaskInfo t = g.tasks[p];
    if (t.instance != tnpu::kBatchInstance) t.instance &= 7;
    t.layer &= 0xffff;
    ts.tasks.push_back(t);
    for (std::uint64_t k = g.dep_offsets[p]; k < g.dep_offsets[p + 1]; ++k) ts.dep_ids.push_back(rank[g.dep_ids[k]]);
    ts.dep_offsets.push_back(ts.dep_ids.size());
  }
  static const char* const kSchedulers[] = {"inorder", "split", "reorder"};
  const std::uint8_t choice = in.u8();
  tnpu::ExecutorConfig cfg;
  const bool two_engines = (choice & 4) != 0;
  cfg.engines = two_engines ? std::vector<tnpu::EngineSpec>{{"pu_c"}, {"pu_f"}} : std::vector<tnpu::EngineSpec>{{"pe"}};
  cfg.engine_of_class = two_engines ? std::vector<std::uint32_t>{0, 1} : std::vector<std::uint32_t>{0, 0};
  cfg.scheduler.name = kSchedulers[choice % 3];
  cfg.scheduler.window = static_cast<std::uint32_t>((choice >> 3) & 3);
  std::vector<tnpu::Picoseconds> durations(n);
  for (auto& d : durations) d = in.u8();
  try {
    tnpu::Simulation sim("tnpu");
    tnpu::DurationRunner runner(sim.kernel(), durations);
    auto& ex = sim.make<tnpu::TaskExecutor>("executor", ts, cfg, runner);
    ex.begin();
    sim.kernel().run();
    const tnpu::ScheduleResult r = ex.result();
    if (r.start_ps.size() != n) std::abort();
  } catch (const tnpu::SimulationError& e) {
    const std::string what = e.what();
    const bool may_deadlock = cfg.scheduler.name == "reorder" && cfg.scheduler.window != 0;
    if (!may_deadlock || what.rfind("simulation stuck: ", 0) != 0) {
      std::fprintf(stderr, "unexpected SimulationError (scheduler %s, window %u, %zu engine(s)): %s\n",
                   cfg.scheduler.name.c_str(), cfg.scheduler.window, cfg.engines.size(), what.c_str());
      throw;
    }
  } catch (const tnpu::ConfigError&) {
    // A scheduler may refuse a configuration (e.g. split on one engine): fine, as long as it says so.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tnpu_fuzz::Bytes in(data, size);
  const std::size_t n = in.u8() % 40;
  std::vector<std::int64_t> cols[13];
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int64_t> deps;
  for (std::size_t i = 0; i < n; ++i) {
    cols[0].push_back(small_or_wild(in, 48));      // id
    cols[1].push_back(small_or_wild(in, 4));       // instance
    cols[2].push_back(small_or_wild(in, 5));       // phase (4: invalid)
    cols[3].push_back(small_or_wild(in, 6));       // layer
    cols[4].push_back(small_or_wild(in, 12));      // layer kind (11: invalid)
    for (int c = 5; c < 11; ++c) cols[c].push_back(small_or_wild(in, 200, 2));  // m n k macs bytes_in bytes_out
    const std::uint8_t timing = in.u8();
    cols[11].push_back((timing & 1) ? small_or_wild(in, 100) : -1);  // start_cycle
    cols[12].push_back((timing & 2) ? small_or_wild(in, 100) : -1);  // end_cycle
    const std::size_t ndeps = in.u8() % 4;
    for (std::size_t d = 0; d < ndeps; ++d) deps.push_back(small_or_wild(in, 48));
    offsets.push_back(static_cast<std::int64_t>(deps.size()));
  }
  if (in.u8() == 255 && !offsets.empty()) offsets[in.u8() % offsets.size()] = small_or_wild(in, 64);  // corrupt CSR
  const tnpu::workload::TaskColumns columns{cols[0], cols[1], cols[2], cols[3], cols[4],  cols[5], cols[6],
                                            cols[7], cols[8], cols[9], cols[10], cols[11], cols[12]};
  try {
    const tnpu::TaskSet g = tnpu::workload::task_set_from_records(columns, offsets, deps);
    // The order is a permutation in which every dependency comes first.
    const std::vector<std::uint32_t> order = g.topological_order().order;
    if (order.size() != g.size()) std::abort();
    std::vector<std::int64_t> rank(g.size(), -1);
    for (std::size_t r = 0; r < order.size(); ++r) {
      if (order[r] >= g.size() || rank[order[r]] != -1) std::abort();
      rank[order[r]] = static_cast<std::int64_t>(r);
    }
    for (std::size_t p = 0; p < g.size(); ++p) {
      for (std::uint64_t k = g.dep_offsets[p]; k < g.dep_offsets[p + 1]; ++k) {
        if (g.dep_ids[k] >= g.size() || rank[g.dep_ids[k]] >= rank[p]) std::abort();
      }
    }
    run_schedule(g, order, in);
  } catch (const tnpu::ConfigError&) {
    // Rejected with a message: the documented outcome for a bad graph.
  }
  return 0;
}
