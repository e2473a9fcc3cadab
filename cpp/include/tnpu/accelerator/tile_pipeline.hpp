#pragma once
// TilePipeline: runs the tiles of one job (one task of the accelerator: a layer pass or element-wise work) on one
// engine, event by event: DMA loads, engine compute, DMA stores, with double buffering. The accelerator has one per
// engine, all DMA engines sharing one memory target (a single pass is a one-engine accelerator).
//
// Timing: a tile's compute starts when its operands are loaded, the engine is free and at most one output store is
// in flight; with `depth` = 2 (double buffering) the loads of tile i+2 start when tile i's compute ends (tile i+1
// loads meanwhile). The job is done when the last tile has computed and every store has completed.
// Contract: one job at a time (run() while busy() throws std::logic_error); on_done runs once, from a kernel event.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "tnpu/mem/dma_engine.hpp"
#include "tnpu/sim/module.hpp"
#include "tnpu/workload/tile_plan.hpp"

namespace tnpu::accelerator {

using workload::Relocation;
using workload::TileWork;
using workload::Transfer;

class TilePipeline final : public Module, private EventHandler {
 public:
  TilePipeline(Simulation& sim, std::string_view name, mem::DmaEngine& dma, Picoseconds period_ps,
               std::uint64_t depth, Module* parent = nullptr);
  // Runs `tiles` (kept by reference: they must outlive the job) at the addresses `where` gives.
  void run(const std::vector<TileWork>& tiles, const Relocation& where, std::function<void()> on_done);
  [[nodiscard]] bool busy() const noexcept { return active_; }
  // End of the last job: its last compute or store, whichever is later.
  [[nodiscard]] Picoseconds end_ps() const noexcept { return std::max(last_compute_end_, last_store_end_); }

 private:
  void issue_load(std::uint64_t i);
  void on_loaded(std::uint64_t i);
  void try_compute();
  void maybe_done();
  void handle_event(std::uint64_t i) override;

  mem::DmaEngine& dma_;
  Picoseconds period_ps_;
  std::uint64_t depth_;
  const std::vector<TileWork>* tiles_ = nullptr;
  Relocation where_;
  std::function<void()> on_done_;
  std::vector<std::uint64_t> loads_left_;
  std::vector<std::uint8_t> loaded_;
  std::uint64_t next_load_ = 0, next_compute_ = 0, stores_in_flight_ = 0;
  bool busy_compute_ = false;
  bool active_ = false;
  Picoseconds last_compute_end_ = 0, last_store_end_ = 0;
};

}  // namespace tnpu::accelerator
