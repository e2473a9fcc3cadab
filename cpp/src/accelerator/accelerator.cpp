#include "tnpu/accelerator.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "tnpu/error.hpp"
#include "tnpu/mem/dma_engine.hpp"
#include "tnpu/mem/memory_model.hpp"
#include "tnpu/mem/sampled_memory.hpp"
#include "tnpu/workload/stream_plan.hpp"
#include "tnpu/accelerator/tile_pipeline.hpp"

namespace tnpu {

namespace {

constexpr std::uint64_t kAlign = 4096;
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 50;
constexpr std::uint64_t kMaxOps = std::uint64_t{1} << 60;

std::uint64_t align_up(std::uint64_t x, std::uint64_t a) noexcept { return (x + a - 1) / a * a; }

// A task's work planned once and reused for every instance: tiles under the plan's own layout (operand regions
// 0..2 at `base`), the tensor each operand region stands for, and its figures (AcceleratorResult::plan_results).
struct TaskPlan {
  std::vector<workload::TileWork> tiles;
  std::array<std::uint64_t, 3> base{}, bytes{};
  std::array<std::string, 3> tensor;
  std::uint32_t index = 0;  // into plan_results_
};

std::uint64_t sum(const std::uint64_t (&v)[mem::kNumOperands]) noexcept {
  std::uint64_t s = 0;
  for (const std::uint64_t x : v) s += x;
  return s;
}

bool shared_tensor(const std::string& t) { return t == "W" || t == "dW"; }

// Bump allocator of DRAM tensors: one region per (layer, tensor, slot, size), 4 KiB aligned, made at first use.
class Layout {
 public:
  std::uint64_t base(std::uint32_t layer, const std::string& tensor, std::uint32_t slot, std::uint64_t bytes) {
    const auto key = std::make_tuple(layer, tensor, slot, bytes);
    const auto it = regions_.find(key);
    if (it != regions_.end()) return it->second;
    const std::uint64_t b = next_;
    next_ = align_up(next_ + std::max<std::uint64_t>(bytes, 1), kAlign);
    regions_.emplace(key, b);
    return b;
  }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return next_; }

 private:
  std::map<std::tuple<std::uint32_t, std::string, std::uint32_t, std::uint64_t>, std::uint64_t> regions_;
  std::uint64_t next_ = 0;
};

class AcceleratorRunner final : public TaskRunner, public Module, private EventHandler {
 public:
  AcceleratorRunner(Simulation& sim, const AcceleratorWorkload& workload, const AcceleratorConfig& config,
                    bool ideal, Target* target, const ProgressFn& progress)
      : Module(sim, "accelerator"),
        workload_(workload),
        config_(config),
        ideal_(ideal),
        progress_(progress),
        sampled_(dynamic_cast<SampledMemory*>(target)) {
    progress_every_ = std::max<std::uint64_t>(1, workload.tasks.size() / 200);
    const std::size_t n = workload.tasks.size();
    plan_of_task_.assign(n, 0);
    for (auto* v : {&macs_, &compute_ps_, &dram_read_, &dram_write_, &sram_reads_, &sram_writes_, &tiles_, &pes_}) {
      v->assign(n, 0);
    }
    if (!ideal_) {
      for (std::size_t e = 0; e < config.engines.size(); ++e) {
        mem::DmaEngineConfig dc = config.pass.dma;
        dc.source = static_cast<std::uint32_t>(e + 1);
        auto& dma = sim.make<mem::DmaEngine>("dma_" + config.engines[e].name, *target, dc);
        dmas_.push_back(&dma);
        pipelines_.push_back(&sim.make<accelerator::TilePipeline>("pipeline_" + config.engines[e].name, dma,
                                                               config.pass.clock_period_ps,
                                                               config.pass.buffer.double_buffering ? 2 : 1));
      }
    }
    if (sampled_ != nullptr && sampled_->config().paired_fraction > 0 && sampled_->config().detail_fraction < 1) {
      instance_.resize(n);  // occurrences drawn to run wholly in detail (docs/sampling.md)
      key_.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        key_[i] = fine_key(workload.tasks.tasks[i]);
        instance_[i] = workload.tasks.tasks[i].instance;
      }
      if (sampled_->config().paired_strata == "signature") stratum_ = signature_strata();
      detailed_ = draw_detailed_occurrences(key_, instance_, sampled_->config().paired_fraction,
                                            sampled_->config().paired_seed, stratum_);
    }
  }

  // After the run: the paired-occurrence estimate of the fast pipes' bias on the batch time.
  void finish_sampling(const ScheduleResult& s) {
    if (sampled_ == nullptr || detailed_.empty()) return;
    // reorder lets a free engine take any ready task: the replay does the same (docs/sampling.md, "Batch time")
    const bool work_conserving = config_.scheduler.name == "reorder" && !config_.scheduler.external;
    const std::vector<std::uint32_t> no_cells;
    sampled_->set_paired_estimate(paired_estimate(key_, detailed_, s.start_ps, s.end_ps, s.engine,
                                                  workload_.tasks.dep_offsets, workload_.tasks.dep_ids,
                                                  work_conserving, stratum_, stratum_.empty() ? no_cells : instance_));
  }

  void start(std::uint32_t task, std::uint32_t engine, TaskExecutor& executor) override {
    executor_ = &executor;
    if (progress_ && (++started_ % progress_every_ == 0 || started_ == workload_.tasks.size())) {
      progress_(started_, workload_.tasks.size());
    }
    const TaskPlan& plan = plan_for(task, engine);
    const workload::PassResult& figures = plan_results_[plan.index];
    plan_of_task_[task] = plan.index;
    macs_[task] = figures.macs;
    compute_ps_[task] = figures.compute_cycles * config_.pass.clock_period_ps;
    dram_read_[task] = figures.dram_bytes_read;
    dram_write_[task] = figures.dram_bytes_written;
    sram_reads_[task] = sum(figures.sram_reads);
    sram_writes_[task] = sum(figures.sram_writes);
    tiles_[task] = figures.tiles;
    pes_[task] = figures.pes;
    if (ideal_) {
      kernel().schedule_in(compute_ps_[task], *this, task, Priority::kCompletion);
      return;
    }
    if (sampled_ != nullptr) {  // the traffic class: what each engine runs
      const TaskInfo& info = workload_.tasks.tasks[task];
      const bool gemm = workload_.layers[info.layer].gemm && info.phase != Phase::kWU;
      const auto phase = static_cast<std::uint64_t>(info.phase);
      const auto cls = static_cast<std::uint64_t>(info.task_class);
      const std::uint64_t coarse = 1 + phase * 4 + (gemm ? cls : 2);
      const bool hold = !detailed_.empty() && detailed_[task] != 0;
      if (hold) sampled_->hold_detailed(true);
      sampled_->set_context(engine, fine_key(info), coarse);
      pipelines_[engine]->run(plan.tiles, relocation(plan, task), [this, task, engine, hold] {
        if (hold) sampled_->hold_detailed(false);  // first: the episode set_context begins is not held
        sampled_->set_context(engine, 0, 0);
        executor_->finish(task);
      });
      return;
    }
    pipelines_[engine]->run(plan.tiles, relocation(plan, task), [this, task] { executor_->finish(task); });
  }

  void fill(AcceleratorResult& r) {
    r.macs = std::move(macs_);
    r.compute_ps = std::move(compute_ps_);
    r.dram_read_bytes = std::move(dram_read_);
    r.dram_write_bytes = std::move(dram_write_);
    r.sram_reads = std::move(sram_reads_);
    r.sram_writes = std::move(sram_writes_);
    r.tiles = std::move(tiles_);
    r.pes = std::move(pes_);
    r.plans = plans_.size();
    r.plan_results = std::move(plan_results_);
    r.plan_of_task = std::move(plan_of_task_);
    r.address_bytes = layout_.bytes();
    if (ideal_) {
      for (std::size_t i = 0; i < r.dram_read_bytes.size(); ++i) {
        r.dram_bytes_read += r.dram_read_bytes[i];
        r.dram_bytes_written += r.dram_write_bytes[i];
      }
      r.dram_requests = (r.dram_bytes_read + r.dram_bytes_written) / config_.pass.dma.request_bytes;
    } else {
      for (const auto* d : dmas_) {
        r.dram_bytes_read += d->bytes_read();
        r.dram_bytes_written += d->bytes_written();
        r.dram_requests += d->requests();
      }
    }
  }

 private:
  void handle_event(std::uint64_t task) override { executor_->finish(static_cast<std::uint32_t>(task)); }

  // A task's traffic key: layer, phase and class (the same for every instance).
  static std::uint64_t fine_key(const TaskInfo& info) noexcept {
    const auto phase = static_cast<std::uint64_t>(info.phase);
    const auto cls = static_cast<std::uint64_t>(info.task_class);
    return (std::uint64_t{info.layer} + 1) << 16 | phase << 4 | cls << 1 | 1;
  }

  // Per task, its stratum of the paired draw: the smallest key of the tasks of identical traffic (phase, class,
  // the layer's shape and mapping, and an element-wise task's work), so that ResNet's repeated blocks share one.
  [[nodiscard]] std::vector<std::uint64_t> signature_strata() const {
    using Signature = std::tuple<int, int, bool, std::vector<std::uint64_t>, std::string, bool>;
    std::map<Signature, std::uint64_t> smallest;
    std::vector<Signature> sig;
    sig.reserve(workload_.tasks.size());
    for (std::size_t i = 0; i < workload_.tasks.size(); ++i) {
      const TaskInfo& info = workload_.tasks.tasks[i];
      const AcceleratorLayer& layer = workload_.layers[info.layer];
      const workload::LayerShape& sh = layer.shape;
      const AcceleratorTaskWork& w = workload_.work[i];
      std::vector<std::uint64_t> fields{static_cast<std::uint64_t>(sh.kind),
                                        sh.n, sh.c, sh.k, sh.h, sh.w, sh.r, sh.s, sh.stride_h, sh.stride_w,
                                        sh.pad_h, sh.pad_w, sh.dilation_h, sh.dilation_w, sh.groups,
                                        layer.tile_m, layer.tile_k, layer.tile_n, w.vector_ops, w.bytes_in,
                                        w.bytes_out};
      sig.emplace_back(static_cast<int>(info.phase), static_cast<int>(info.task_class), layer.gemm,
                       std::move(fields), layer.order, layer.accumulate);
      const auto [it, fresh] = smallest.emplace(sig.back(), key_[i]);
      if (!fresh) it->second = std::min(it->second, key_[i]);
    }
    std::vector<std::uint64_t> out(sig.size());
    for (std::size_t i = 0; i < sig.size(); ++i) out[i] = smallest.at(sig[i]);
    return out;
  }

  [[nodiscard]] std::uint32_t slot_of(std::uint32_t instance) const noexcept {
    return instance == kBatchInstance ? 0 : instance % config_.address_slots;
  }

  // Where the plan's operand regions live for this task: its instance's tensors (weights and gradients once).
  workload::Relocation relocation(const TaskPlan& plan, std::uint32_t task) {
    const TaskInfo& info = workload_.tasks.tasks[task];
    workload::Relocation r;
    r.from = plan.base;
    r.bytes = plan.bytes;
    for (std::size_t o = 0; o < 3; ++o) {
      if (plan.bytes[o] == 0) continue;
      const bool shared = shared_tensor(plan.tensor[o]) || info.instance == kBatchInstance;
      r.to[o] = layout_.base(info.layer, plan.tensor[o], shared ? kBatchInstance : slot_of(info.instance),
                             plan.bytes[o]);
      r.identity = r.identity && r.to[o] == r.from[o];
    }
    return r;
  }

  const TaskPlan& plan_for(std::uint32_t task, std::uint32_t engine) {
    const TaskInfo& info = workload_.tasks.tasks[task];
    const AcceleratorLayer& layer = workload_.layers[info.layer];
    const AcceleratorTaskWork& w = workload_.work[task];
    const bool gemm = layer.gemm && info.phase != Phase::kWU;
    const auto key = gemm ? std::make_tuple(info.layer, static_cast<int>(info.phase), engine,
                                            static_cast<int>(info.task_class), std::uint64_t{0}, std::uint64_t{0},
                                            std::uint64_t{0})
                          : std::make_tuple(info.layer, static_cast<int>(info.phase), engine, -1, w.vector_ops,
                                            w.bytes_in, w.bytes_out);
    const auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
    TaskPlan plan = gemm ? plan_gemm(info, layer, config_.engines[engine])
                         : plan_stream(w, layer, config_.engines[engine]);
    return plans_.emplace(key, std::move(plan)).first->second;
  }

  [[nodiscard]] std::uint64_t engine_buffer_bytes(const AcceleratorEngine& e) const {
    const auto cap = static_cast<std::uint64_t>(static_cast<double>(config_.pass.buffer.capacity_bytes) *
                                                e.buffer_share);
    return std::max<std::uint64_t>(cap, 1);
  }

  TaskPlan plan_gemm(const TaskInfo& info, const AcceleratorLayer& layer, const AcceleratorEngine& e) {
    workload::PassConfig pc = config_.pass;
    // Matrix work runs on the engine's PE array; vector work (FC) on its lanes; an engine with only one of the two
    // runs everything on it.
    const bool use_array = e.has_array() && (info.task_class == TaskClass::kMatrix || e.lanes == 0);
    pc.engine = use_array ? "pe_array" : "vector_unit";
    if (e.has_array()) {
      pc.pe_array.rows = e.array_rows;
      pc.pe_array.cols = e.array_cols;
      pc.pe_array.dataflow = e.dataflow;
    }
    pc.vector_unit.lanes = std::max<std::uint64_t>(e.lanes, 1);
    pc.buffer.capacity_bytes = engine_buffer_bytes(e);
    if (e.buffer_share < 1.0) pc.buffer.name = config_.pass.buffer.name + "." + e.name;  // its share, named
    pc.accumulate = layer.accumulate || (config_.gd_accumulate && info.phase == Phase::kGD);
    pc.tile_m = layer.tile_m;
    pc.tile_k = layer.tile_k;
    pc.tile_n = layer.tile_n;
    pc.order = layer.order;
    workload::PassPlan p = workload::plan_pass(layer.shape, info.phase, pc, layer.name, !ideal_);
    TaskPlan plan;
    plan.tiles = std::move(p.tiles);
    plan.base = p.operand_base;
    plan.bytes = p.operand_bytes;
    plan.tensor = {p.result.a_tensor, p.result.b_tensor, p.result.c_tensor};
    plan.index = static_cast<std::uint32_t>(plan_results_.size());
    plan_results_.push_back(std::move(p.result));
    return plan;
  }

  // Element-wise work: the bytes stream through the engine's buffer share (workload/stream_plan.hpp), each chunk
  // computing its share of the operations on the lanes (an engine without lanes uses its PEs as lanes).
  TaskPlan plan_stream(const AcceleratorTaskWork& w, const AcceleratorLayer& layer, const AcceleratorEngine& e) {
    TaskPlan plan;
    plan.index = static_cast<std::uint32_t>(plan_results_.size());
    workload::PassResult& r = plan_results_.emplace_back();
    workload::StreamRequest req;
    req.bytes_in = w.bytes_in;
    req.bytes_out = w.bytes_out;
    req.ops = w.vector_ops;
    req.lanes = e.lanes > 0 ? e.lanes : e.array_rows * e.array_cols;
    req.capacity_bytes = engine_buffer_bytes(e);
    req.double_buffering = config_.pass.buffer.double_buffering;
    req.request_bytes = config_.pass.dma.request_bytes;
    req.word_bytes = config_.pass.buffer.word_bytes;
    r.layer = layer.name;
    r.phase = "elementwise";
    r.a_tensor = "in";
    r.c_tensor = "out";
    r.engine = e.lanes > 0 ? "vector_unit" : "pe_array";
    r.dataflow = "vector";
    r.memory_model = config_.pass.memory.model;
    r.pes = req.lanes;
    workload::StreamPlan s = workload::plan_stream(req, !ideal_);
    if (s.chunks == 0) return plan;
    plan.base = {0, 0, s.out_base};
    plan.bytes = {s.region_bytes[0], 0, s.region_bytes[1]};
    plan.tensor = {"in", "", "out"};
    plan.tiles = std::move(s.tiles);
    r.mapping.tiles_m = s.chunks;
    r.mapping.order.assign(1, 'm');  // (not = "m": GCC 12 -Wrestrict false positive)
    r.mapping.buffer_bytes = (req.double_buffering ? 2 : 1) * s.max_chunk_bytes;
    r.tiles = s.chunks;
    r.compute_cycles = s.compute_cycles;
    r.dram_a_read_bytes = s.dram_read;
    r.dram_c_write_bytes = s.dram_write;
    const auto in = static_cast<std::size_t>(mem::Operand::kIfmap), out = static_cast<std::size_t>(mem::Operand::kOfmap);
    r.sram_reads[in] = r.sram_writes[in] = s.sram_in_words;
    r.sram_reads[out] = r.sram_writes[out] = s.sram_out_words;
    // Timing without memory time, as plan_pass gives it for a GEMM.
    r.total_cycles = r.compute_cycles;
    r.total_ps = r.total_cycles * config_.pass.clock_period_ps;
    r.dram_bytes_read = s.dram_read;
    r.dram_bytes_written = s.dram_write;
    r.dram_requests = (s.dram_read + s.dram_write) / config_.pass.dma.request_bytes;
    return plan;
  }

  const AcceleratorWorkload& workload_;
  const AcceleratorConfig& config_;
  bool ideal_;
  const ProgressFn& progress_;
  std::uint64_t progress_every_ = 1;
  std::uint64_t started_ = 0;
  SampledMemory* sampled_ = nullptr;
  std::vector<std::uint64_t> key_;  // per task: its traffic key (sampled, paired occurrences)
  std::vector<char> detailed_;      // per task: drawn to run wholly in detail
  std::vector<std::uint32_t> instance_;  // per task: its training instance (paired occurrences)
  std::vector<std::uint64_t> stratum_;   // per task: its stratum (paired_strata = "signature"; empty: its key)
  TaskExecutor* executor_ = nullptr;
  std::vector<mem::DmaEngine*> dmas_;
  std::vector<accelerator::TilePipeline*> pipelines_;
  std::map<std::tuple<std::uint32_t, int, std::uint32_t, int, std::uint64_t, std::uint64_t, std::uint64_t>, TaskPlan>
      plans_;
  std::vector<workload::PassResult> plan_results_;
  std::vector<std::uint32_t> plan_of_task_;
  Layout layout_;
  std::vector<std::uint64_t> macs_, compute_ps_, dram_read_, dram_write_, sram_reads_, sram_writes_, tiles_, pes_;
};

}  // namespace

void AcceleratorConfig::validate() const {
  if (engines.empty()) throw ConfigError("engines: at least one engine is needed");
  std::set<std::string> names;
  double shares = 0.0;
  for (std::size_t i = 0; i < engines.size(); ++i) {
    const AcceleratorEngine& e = engines[i];
    const std::string field = "engines[" + std::to_string(i) + "]";
    if (e.name.empty()) throw ConfigError(field + ".name: must not be empty");
    if (!names.insert(e.name).second) throw ConfigError(field + ".name: '" + e.name + "' is used twice");
    const std::string at = "engines." + e.name;
    if ((e.array_rows == 0) != (e.array_cols == 0)) {
      throw ConfigError(at + ": array_rows and array_cols must both be 0 (no array) or both at least 1");
    }
    if (!e.has_array() && e.lanes == 0) throw ConfigError(at + ": needs a PE array (rows x cols) or vector lanes");
    if (e.array_rows > 65536 || e.array_cols > 65536) throw ConfigError(at + ": array rows and cols at most 65536");
    if (e.lanes > (std::uint64_t{1} << 20)) throw ConfigError(at + ".lanes: at most 2^20");
    if (!(e.buffer_share > 0.0 && e.buffer_share <= 1.0)) {
      throw ConfigError(at + ".buffer_share: must be in (0, 1], got " + std::to_string(e.buffer_share));
    }
    shares += e.buffer_share;
  }
  if (shares > 1.0 + 1e-9) {
    throw ConfigError("engines: the buffer shares add up to " + std::to_string(shares) +
                      ", more than the one global buffer");
  }
  if (engine_of_class.size() != kNumTaskClasses) {
    throw ConfigError("engine_of_class: needs one engine index per task class (matrix, vector)");
  }
  for (std::size_t c = 0; c < engine_of_class.size(); ++c) {
    if (engine_of_class[c] >= engines.size()) {
      throw ConfigError("engine_of_class[" + std::to_string(c) + "]: engine " + std::to_string(engine_of_class[c]) +
                        " does not exist (" + std::to_string(engines.size()) + " engines)");
    }
  }
  if (address_slots == 0) throw ConfigError("address_slots: must be at least 1");
  check_scheduler(scheduler);
  workload::PassConfig pc = pass;
  pc.engine = "pe_array";
  pc.validate();
}

void AcceleratorWorkload::validate() const {
  tasks.validate();
  if (work.size() != tasks.size()) {
    throw ConfigError("workload: " + std::to_string(work.size()) + " work records for " +
                      std::to_string(tasks.size()) + " tasks");
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].gemm) layers[i].shape.validate(layers[i].name);
  }
  for (std::uint32_t i = 0; i < tasks.size(); ++i) {
    const TaskInfo& t = tasks.tasks[i];
    if (t.layer >= layers.size()) {
      throw ConfigError("workload: " + tasks.describe(i) + " names layer " + std::to_string(t.layer) + " of " +
                        std::to_string(layers.size()));
    }
    const AcceleratorTaskWork& w = work[i];
    if (w.bytes_in > kMaxBytes || w.bytes_out > kMaxBytes || w.vector_ops > kMaxOps) {
      throw ConfigError("workload: " + tasks.describe(i) + " moves more than 2^50 bytes or 2^60 operations");
    }
  }
}

AcceleratorResult simulate_training(const AcceleratorWorkload& workload, const AcceleratorConfig& input,
                                    const ProgressFn& progress) {
  input.validate();
  workload.validate();
  AcceleratorConfig config = input;
  const mem::MemoryModel& memory = mem::memory_models().at(config.pass.memory.model, "memory.model").factory;
  AcceleratorResult result;
  if (config.pass.memory.model == "dram" || config.pass.memory.model == "sampled") {
    config.pass.memory.dram.wrap_addresses = true;  // the layout may exceed the capacity: only row/bank patterns
    result.dram_capacity_bytes = config.pass.memory.dram.capacity_bytes();
  }

  Simulation sim("tnpu");
  Target* target = memory.ideal ? nullptr : &memory.make(sim, config.pass.memory);
  auto& runner = sim.make<AcceleratorRunner>(workload, config, memory.ideal, target, progress);
  ExecutorConfig ec;
  for (const auto& e : config.engines) ec.engines.push_back(EngineSpec{e.name});
  ec.engine_of_class = config.engine_of_class;
  ec.scheduler = config.scheduler;
  auto& executor = sim.make<TaskExecutor>("executor", workload.tasks, ec, runner);
  executor.begin();
  result.events = sim.kernel().run();
  result.schedule = executor.result();
  runner.finish_sampling(result.schedule);
  runner.fill(result);
  result.stats = sim.stats().rows();
  return result;
}

}  // namespace tnpu
