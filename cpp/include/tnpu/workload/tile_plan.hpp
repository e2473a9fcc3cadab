#pragma once
// A tile plan: the DMA transfers and engine cycles of each tile of one job (a layer pass or element-wise work), as
// the planners (layer_pass.hpp, stream_plan.hpp) make it and the accelerator's tile pipelines run it
// (accelerator/tile_pipeline.hpp). Plain data: nothing here simulates.
#include <array>
#include <cstdint>
#include <vector>

#include "tnpu/sim/request.hpp"

namespace tnpu::workload {

// One DMA transfer of a tile: `bytes` from `address`, wrapping inside [region_base, region_base + region_bytes).
struct Transfer {
  Command command = Command::kRead;
  std::uint64_t address = 0, bytes = 0, region_base = 0, region_bytes = 0;
};

struct TileWork {
  std::vector<Transfer> loads;   // operand reads (and partial-sum reads)
  std::vector<Transfer> stores;  // result writes
  std::uint64_t cycles = 0;      // engine cycles of the tile's compute
};

// Where a job's operand regions live in DRAM: a transfer whose region starts inside [from[o], from[o] + bytes[o])
// moves by to[o] - from[o] (regions with bytes 0 are unused). A plan made once under its own layout runs for every
// instance at that instance's tensors without copying its tiles. The default moves nothing.
struct Relocation {
  std::array<std::uint64_t, 3> from{}, bytes{}, to{};
  bool identity = true;
  [[nodiscard]] Transfer apply(const Transfer& t) const;  // throws SimulationError outside every region
};

}  // namespace tnpu::workload
