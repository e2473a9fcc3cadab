#pragma once
// Element-wise work as a stream: the one chunking rule for work that is not a GEMM (ReLU, pooling, batch norm, loss,
// weight update...), used by the accelerator for every element-wise task (simulate_elementwise is one such task).
//
// Rule: the bytes read and written stream through the buffer in `chunks` = ceil((bytes_in + bytes_out) * copies /
// capacity) near-equal parts (copies = 2 with double buffering), at least one. Chunk i reads bytes [in_lo, in_hi) of
// the input region and writes [out_lo, out_hi) of the output region, and computes its near-equal share of the
// operations in ceil(ops_i / lanes) cycles. DRAM traffic starts at the request boundary below each range and is
// rounded up to whole requests; each byte is written to and read from the buffer once (counted in buffer words).
// Layout: the input region at address 0, the output region after it (both 4 KiB aligned).
#include <array>
#include <cstdint>
#include <vector>

#include "tnpu/workload/tile_plan.hpp"

namespace tnpu::workload {

struct StreamRequest {
  std::uint64_t bytes_in = 0, bytes_out = 0, ops = 0;
  std::uint64_t lanes = 1;               // operations per cycle
  std::uint64_t capacity_bytes = 1;      // the buffer (share) the stream runs through
  bool double_buffering = true;
  std::uint64_t request_bytes = 64;      // DMA request size
  std::uint64_t word_bytes = 1;          // buffer word, for access counts
};

struct StreamPlan {
  std::vector<TileWork> tiles;           // filled when asked for
  std::uint64_t chunks = 0, compute_cycles = 0, dram_read = 0, dram_write = 0;
  std::uint64_t sram_in_words = 0;       // input words written to (and read from) the buffer
  std::uint64_t sram_out_words = 0;      // output words written to (and read from) the buffer
  std::uint64_t max_chunk_bytes = 0;     // bytes in + out of the largest chunk
  std::array<std::uint64_t, 2> region_bytes{};  // input, output region sizes (0 when the stream has none)
  std::uint64_t out_base = 0;                   // where the output region starts
};

// Empty work (no bytes, no operations) gives a plan of zero chunks.
[[nodiscard]] StreamPlan plan_stream(const StreamRequest& req, bool with_tiles);

}  // namespace tnpu::workload
