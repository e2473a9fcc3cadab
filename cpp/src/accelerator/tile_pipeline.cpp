#include "tnpu/accelerator/tile_pipeline.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "tnpu/error.hpp"

namespace tnpu::accelerator {

TilePipeline::TilePipeline(Simulation& sim, std::string_view name, mem::DmaEngine& dma, Picoseconds period_ps,
                           std::uint64_t depth, Module* parent)
    : Module(sim, name, parent), dma_(dma), period_ps_(period_ps), depth_(std::max<std::uint64_t>(depth, 1)) {}

void TilePipeline::run(const std::vector<TileWork>& tiles, const Relocation& where, std::function<void()> on_done) {
  if (active_) throw std::logic_error("TilePipeline::run: a job is still running");
  active_ = true;
  tiles_ = &tiles;
  where_ = where;
  on_done_ = std::move(on_done);
  loads_left_.assign(tiles.size(), 0);
  loaded_.assign(tiles.size(), 0);
  next_load_ = next_compute_ = stores_in_flight_ = 0;
  busy_compute_ = false;
  last_compute_end_ = last_store_end_ = now();
  if (tiles_->empty()) {
    kernel().call_at(now(), [this] { maybe_done(); });
    return;
  }
  const std::uint64_t first = std::min<std::uint64_t>(depth_, tiles_->size());
  next_load_ = first;
  for (std::uint64_t i = 0; i < first; ++i) issue_load(i);
}

void TilePipeline::issue_load(std::uint64_t i) {
  const auto& loads = (*tiles_)[i].loads;
  loads_left_[i] = loads.size();
  if (loads.empty()) {
    kernel().call_at(now(), [this, i] { on_loaded(i); });
    return;
  }
  for (const auto& given : loads) {
    const Transfer t = where_.apply(given);
    dma_.transfer(t.command, t.address, t.bytes, [this, i] {
      if (--loads_left_[i] == 0) on_loaded(i);
    }, t.region_base, t.region_bytes);
  }
}

void TilePipeline::on_loaded(std::uint64_t i) {
  loaded_[i] = 1;
  try_compute();
}

void TilePipeline::try_compute() {
  if (busy_compute_ || next_compute_ >= tiles_->size()) return;
  const std::uint64_t i = next_compute_;
  if (!loaded_[i] || stores_in_flight_ > 1) return;
  busy_compute_ = true;
  kernel().schedule_at(now() + (*tiles_)[i].cycles * period_ps_, *this, i, Priority::kDefault);
}

void TilePipeline::handle_event(std::uint64_t i) {
  busy_compute_ = false;
  last_compute_end_ = now();
  ++next_compute_;
  for (const auto& given : (*tiles_)[i].stores) {
    const Transfer t = where_.apply(given);
    ++stores_in_flight_;
    dma_.transfer(t.command, t.address, t.bytes, [this] {
      --stores_in_flight_;
      last_store_end_ = std::max(last_store_end_, now());
      try_compute();
      maybe_done();
    }, t.region_base, t.region_bytes);
  }
  if (next_load_ < tiles_->size()) issue_load(next_load_++);
  try_compute();
  maybe_done();
}

void TilePipeline::maybe_done() {
  if (!active_ || next_compute_ < tiles_->size() || stores_in_flight_ != 0) return;
  active_ = false;
  auto done = std::move(on_done_);
  on_done_ = nullptr;
  if (done) done();
}

}  // namespace tnpu::accelerator
