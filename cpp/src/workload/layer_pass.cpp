#include "tnpu/workload/layer_pass.hpp"

#include <algorithm>
#include <string>

#include "tnpu/compute/dtype.hpp"
#include "tnpu/error.hpp"
#include "tnpu/workload/tile_plan.hpp"

namespace tnpu::workload {

void PassConfig::validate() const {
  (void)compute::engines().at(engine, "engine");
  pe_array.validate("pe_array");
  vector_unit.validate("vector_unit");
  buffer.validate("buffer");
  dma.validate("dma");
  (void)mem::memory_models().at(memory.model, "memory.model");
  if (memory.queue_depth == 0) throw ConfigError("memory.queue_depth: must be at least 1 (got 0)");
  if (memory.model == "sampled") memory.sampled.validate();
  if (memory.model == "dram" || memory.model == "sampled") {
    memory.dram.validate();
    if (memory.dram.line_bytes() != dma.request_bytes) {
      throw ConfigError("dma.request_bytes: " + std::to_string(dma.request_bytes) +
                        " must equal the DRAM burst (line_bytes=" + std::to_string(memory.dram.line_bytes()) + ")");
    }
  }
  if (clock_period_ps == 0) throw ConfigError("clock_period_ps: must be at least 1 (got 0)");
  (void)compute::data_type_by_name(dtype, "dtype");
  if (!(compute_slack >= 0.0 && compute_slack <= 1e6)) {
    throw ConfigError("mapping_compute_slack: must be a number >= 0 (got " + std::to_string(compute_slack) + ")");
  }
  if (objective != "traffic" && objective != "time") {
    throw ConfigError("mapping_objective: unknown '" + objective + "' (known: traffic, time)");
  }
}

namespace {

constexpr std::uint64_t kAlign = 4096;

std::uint64_t align_up(std::uint64_t x, std::uint64_t a) noexcept { return (x + a - 1) / a * a; }
std::uint64_t round_up(std::uint64_t bytes, std::uint64_t unit) noexcept { return align_up(bytes, unit); }

struct Region {
  std::uint64_t base = 0, bytes_per_group = 0;
};

}  // namespace

PassPlan plan_pass(const LayerShape& shape, Phase phase, const PassConfig& config, std::string_view layer_name,
                   bool with_tiles) {
  config.validate();
  const auto dtype = compute::data_type_by_name(config.dtype, "dtype");
  const std::uint32_t bpe = compute::data_type_info(dtype).bytes;
  const auto& memory = mem::memory_models().at(config.memory.model, "memory.model");

  PlanRequest req;
  req.pass = lower(shape, phase, layer_name);
  req.layer_name = std::string(layer_name);
  req.phase = std::string(phase_name(phase));
  req.bytes_per_element = bpe;
  req.buffer.name = config.buffer.name;
  req.buffer.capacity_bytes = config.buffer.capacity_bytes;
  req.buffer.shared = config.buffer.shared;
  req.buffer.a_fraction = config.buffer.ifmap_fraction;
  req.buffer.b_fraction = config.buffer.filter_fraction;
  req.buffer.c_fraction = config.buffer.ofmap_fraction;
  req.buffer.double_buffering = config.buffer.double_buffering;
  req.objective = config.objective;
  req.compute_slack = config.compute_slack;
  req.accumulate_c = config.accumulate;
  if (!memory.factory.ideal && config.memory.issue_interval_ps > 0) {
    req.bytes_per_cycle = static_cast<double>(config.dma.request_bytes) *
                          static_cast<double>(config.clock_period_ps) /
                          static_cast<double>(config.memory.issue_interval_ps);
  }

  const EngineSetup engine =
      compute::engines().at(config.engine, "engine").factory(config.pe_array, config.vector_unit);
  req.granule_m = engine.granule_m;
  req.granule_k = engine.granule_k;
  req.granule_n = engine.granule_n;
  const TileCostFn& cost = engine.cost;
  const std::uint64_t pes = engine.pes;
  const std::string& dataflow = engine.dataflow;

  PassResult res;
  res.layer = std::string(layer_name);
  res.phase = req.phase;
  res.engine = config.engine;
  res.memory_model = memory.info.name;
  res.dataflow = dataflow;
  res.gemm = req.pass.gemm;
  res.groups = req.pass.groups;
  res.a_tensor = req.pass.a.tensor;
  res.b_tensor = req.pass.b.tensor;
  res.c_tensor = req.pass.c.tensor;
  res.mapping = config.tile_m == 0
                    ? plan(req, cost)
                    : check_mapping(req, config.tile_m, config.tile_k, config.tile_n, config.order, cost);
  res.macs = req.pass.macs;  // not M*K*N: conv BP's GEMM has slots that multiply zeros (layer.hpp)
  res.pes = pes;

  // DRAM layout: one region per operand tensor (all groups), from a bump allocator.
  std::uint64_t next_base = 0;
  auto alloc = [&](const OperandDesc& op) {
    Region r;
    r.base = next_base;
    r.bytes_per_group = align_up(std::max<std::uint64_t>(op.tensor_elements * bpe, 1), 64);
    next_base = align_up(r.base + r.bytes_per_group * req.pass.groups, kAlign);
    return r;
  };
  const Region ra = alloc(req.pass.a), rb = alloc(req.pass.b), rc = alloc(req.pass.c);
  const std::uint64_t rq = config.dma.request_bytes;
  const auto& g = req.pass.gemm;
  const Mapping& mp = res.mapping;
  auto transfer = [&](Command cmd, const Region& r, std::uint32_t group, std::uint64_t first_elem,
                      std::uint64_t elems) {
    const std::uint64_t base = r.base + group * r.bytes_per_group;
    const std::uint64_t offset = (first_elem * bpe) % r.bytes_per_group / rq * rq;
    return Transfer{cmd, base + offset, elems * bpe, base, r.bytes_per_group};
  };

  std::vector<TileWork> work;
  const bool simulate = with_tiles;
  double fold_weighted_map = 0.0, fold_weighted_util = 0.0;
  std::uint64_t folds = 0;
  std::uint64_t dram_read = 0, dram_written = 0;
  mem::SramBuffer sram(config.buffer);
  for_each_tile(req, mp, [&](const TileStep& st) {
    const compute::GemmCost c = cost(st.shape);
    res.compute_cycles += c.cycles;
    folds += c.folds;
    fold_weighted_map += c.mapping_efficiency * static_cast<double>(c.folds);
    fold_weighted_util += c.compute_util * static_cast<double>(c.folds);
    sram.count_read(mem::Operand::kIfmap, c.a_reads * bpe);
    sram.count_read(mem::Operand::kFilter, c.b_reads * bpe);
    sram.count_read(mem::Operand::kOfmap, c.c_reads * bpe);
    sram.count_write(mem::Operand::kOfmap, c.c_writes * bpe);
    TileWork tw;
    tw.cycles = c.cycles;
    if (st.load_a) {
      const std::uint64_t bytes = round_up(st.a_elems * bpe, rq);
      res.dram_a_read_bytes += bytes;
      sram.count_write(mem::Operand::kIfmap, st.a_elems * bpe);
      if (simulate) {
        const std::uint64_t first = st.im * mp.tile_m * g.k + st.ik * mp.tile_k;
        tw.loads.push_back(transfer(Command::kRead, ra, st.group, first, st.a_elems));
      }
    }
    if (st.load_b) {
      const std::uint64_t bytes = round_up(st.b_elems * bpe, rq);
      res.dram_b_read_bytes += bytes;
      sram.count_write(mem::Operand::kFilter, st.b_elems * bpe);
      if (simulate) {
        const std::uint64_t first = st.ik * mp.tile_k * g.n + st.in * mp.tile_n;
        tw.loads.push_back(transfer(Command::kRead, rb, st.group, first, st.b_elems));
      }
    }
    const std::uint64_t c_first = st.im * mp.tile_m * g.n + st.in * mp.tile_n;
    if (st.read_c) {
      const std::uint64_t bytes = round_up(st.c_elems * bpe, rq);
      res.dram_c_read_bytes += bytes;
      sram.count_write(mem::Operand::kOfmap, st.c_elems * bpe);
      if (simulate) tw.loads.push_back(transfer(Command::kRead, rc, st.group, c_first, st.c_elems));
    }
    if (st.store_c) {
      const std::uint64_t bytes = round_up(st.c_elems * bpe, rq);
      res.dram_c_write_bytes += bytes;
      sram.count_read(mem::Operand::kOfmap, st.c_elems * bpe);
      if (simulate) tw.stores.push_back(transfer(Command::kWrite, rc, st.group, c_first, st.c_elems));
    }
    ++res.tiles;
    if (simulate) work.push_back(std::move(tw));
  });
  dram_read = res.dram_a_read_bytes + res.dram_b_read_bytes + res.dram_c_read_bytes;
  dram_written = res.dram_c_write_bytes;
  for (std::size_t i = 0; i < mem::kNumOperands; ++i) {
    res.sram_reads[i] = sram.reads(static_cast<mem::Operand>(i));
    res.sram_writes[i] = sram.writes(static_cast<mem::Operand>(i));
  }
  res.mapping_efficiency = folds ? fold_weighted_map / static_cast<double>(folds) : 0.0;
  res.compute_util = folds ? fold_weighted_util / static_cast<double>(folds) : 0.0;
  // Timing without memory time (what the "ideal" model reports); simulate_pass replaces it for the others.
  res.total_cycles = res.compute_cycles;
  res.total_ps = res.total_cycles * config.clock_period_ps;
  res.dram_bytes_read = dram_read;
  res.dram_bytes_written = dram_written;
  res.dram_requests = (dram_read + dram_written) / rq;

  PassPlan out;
  out.result = std::move(res);
  out.tiles = std::move(work);
  out.operand_base = {ra.base, rb.base, rc.base};
  out.operand_bytes = {rb.base - ra.base, rc.base - rb.base, next_base - rc.base};
  return out;
}

}  // namespace tnpu::workload
