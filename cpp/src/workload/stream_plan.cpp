#include "tnpu/workload/stream_plan.hpp"

#include <algorithm>

namespace tnpu::workload {

namespace {

constexpr std::uint64_t kAlign = 4096;
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept { return a / b + (a % b != 0 ? 1 : 0); }
std::uint64_t align_up(std::uint64_t x, std::uint64_t a) noexcept { return ceil_div(x, a) * a; }

}  // namespace

StreamPlan plan_stream(const StreamRequest& req, bool with_tiles) {
  StreamPlan plan;
  const std::uint64_t total = req.bytes_in + req.bytes_out;
  if (total == 0 && req.ops == 0) return plan;
  const std::uint64_t rq = std::max<std::uint64_t>(req.request_bytes, 1);
  const std::uint64_t word = std::max<std::uint64_t>(req.word_bytes, 1);
  const std::uint64_t lanes = std::max<std::uint64_t>(req.lanes, 1);
  const std::uint64_t copies = req.double_buffering ? 2 : 1;
  const std::uint64_t chunks = std::max<std::uint64_t>(
      1, ceil_div(total * copies, std::max<std::uint64_t>(req.capacity_bytes, 1)));
  const std::uint64_t in_region = align_up(std::max<std::uint64_t>(req.bytes_in, 1), kAlign);
  const std::uint64_t out_region = align_up(std::max<std::uint64_t>(req.bytes_out, 1), kAlign);
  plan.region_bytes = {req.bytes_in > 0 ? in_region : 0, req.bytes_out > 0 ? out_region : 0};
  plan.out_base = in_region;
  auto part = [chunks](std::uint64_t x, std::uint64_t i) {
    // start of chunk i when x is split into `chunks` near-equal parts (no x * i product: it may not fit)
    const std::uint64_t q = x / chunks, r = x % chunks;
    return q * i + std::min(i, r);
  };
  for (std::uint64_t i = 0; i < chunks; ++i) {
    const std::uint64_t in_lo = part(req.bytes_in, i), in_hi = part(req.bytes_in, i + 1);
    const std::uint64_t out_lo = part(req.bytes_out, i), out_hi = part(req.bytes_out, i + 1);
    const std::uint64_t ops = part(req.ops, i + 1) - part(req.ops, i);
    TileWork tw;
    tw.cycles = ceil_div(ops, lanes);
    plan.compute_cycles += tw.cycles;
    plan.max_chunk_bytes = std::max(plan.max_chunk_bytes, (in_hi - in_lo) + (out_hi - out_lo));
    if (in_hi > in_lo) {
      const std::uint64_t addr = in_lo / rq * rq;
      const std::uint64_t bytes = in_hi - addr;
      if (with_tiles) tw.loads.push_back(Transfer{Command::kRead, addr, bytes, 0, in_region});
      plan.dram_read += align_up(bytes, rq);
      plan.sram_in_words += ceil_div(in_hi - in_lo, word);
    }
    if (out_hi > out_lo) {
      const std::uint64_t addr = out_lo / rq * rq;
      const std::uint64_t bytes = out_hi - addr;
      if (with_tiles) tw.stores.push_back(Transfer{Command::kWrite, in_region + addr, bytes, in_region, out_region});
      plan.dram_write += align_up(bytes, rq);
      plan.sram_out_words += ceil_div(out_hi - out_lo, word);
    }
    if (with_tiles) plan.tiles.push_back(std::move(tw));
  }
  plan.chunks = chunks;
  return plan;
}

}  // namespace tnpu::workload
