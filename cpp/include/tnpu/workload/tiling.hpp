#pragma once
// Tiling: choose tile sizes and a loop order for one pass's GEMM so that the tiles fit the global buffer and the
// DRAM traffic is minimal; enumerate the tiles with the transfers each needs.
//
// A mapping is (tile_m, tile_k, tile_n) and a loop order, outermost first (e.g. "mnk": k innermost). With the
// effective innermost loop (innermost with more than one trip) d, an operand not indexed by d is reused across it
// and loaded once per distinct tile; otherwise it is reloaded for every tile. C is written once per (m, n) tile if
// d == k, else it is written after every visit and read back (partial sums) on every visit but the first.
// Closed form (elements, per group): with S_x = sum over the tiles of axis x of the operand's f_pix / f_win
//   A: S_m * S_k * (d == n ? 1 : T_n)     B: S_k * S_n * (d == m ? 1 : T_m)
//   C writes: M * N * (d == k ? 1 : T_k)  C reads: M * N * (d == k ? 0 : T_k - 1), plus M * N if accumulate_c
// Each transfer moves whole requests (request_bytes), so traffic in bytes rounds each tile transfer up.
//
// Contract: plan() throws ConfigError naming the layer and the buffer when not even the smallest tile fits.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tnpu/compute/dataflow.hpp"
#include "tnpu/workload/layer.hpp"

namespace tnpu::workload {

struct BufferSpec {
  std::string name = "global_buffer";
  std::uint64_t capacity_bytes = 512 * 1024;
  bool shared = true;                 // one pool for all operands, or a partition per operand
  double a_fraction = 0.25, b_fraction = 0.5, c_fraction = 0.25;  // per-operand partitions (shared == false)
  bool double_buffering = true;
};

struct Mapping {
  std::uint64_t tile_m = 1, tile_k = 1, tile_n = 1;
  std::string order = "mnk";  // outermost first
  // derived
  std::uint64_t tiles_m = 1, tiles_k = 1, tiles_n = 1;
  std::uint64_t a_tile_bytes = 0, b_tile_bytes = 0, c_tile_bytes = 0;  // largest tile footprint per operand
  std::uint64_t buffer_bytes = 0;     // what the mapping needs in the buffer (with double buffering)
  // closed-form DRAM traffic of the whole pass (all groups), in bytes, before request rounding
  std::uint64_t a_read_bytes = 0, b_read_bytes = 0, c_read_bytes = 0, c_write_bytes = 0;
  std::uint64_t compute_cycles = 0;   // sum of the tiles' engine cycles (all groups)
  [[nodiscard]] std::uint64_t dram_bytes() const noexcept {
    return a_read_bytes + b_read_bytes + c_read_bytes + c_write_bytes;
  }
};

// Engine cost of one GEMM tile (PE array or vector unit).
using TileCostFn = std::function<compute::GemmCost(const compute::GemmShape&)>;

struct PlanRequest {
  PassGemm pass;
  std::string layer_name = "layer";
  std::string phase = "FP";
  std::uint32_t bytes_per_element = 4;
  BufferSpec buffer;
  // granularity of tile sizes per GEMM dim (array rows/cols for the dims mapped on the array, else 1)
  std::uint64_t granule_m = 1, granule_k = 1, granule_n = 1;
  // What the search minimises first: "traffic" (DRAM bytes, then compute cycles) or "time" (the estimated pass
  // time max(compute cycles, DRAM bytes / bytes_per_cycle), then DRAM bytes). bytes_per_cycle 0: unlimited.
  std::string objective = "traffic";
  double bytes_per_cycle = 0.0;
  // "traffic" considers only mappings whose compute cycles are at most (1 + compute_slack) x the fastest fitting one.
  double compute_slack = 0.05;
  // C accumulates into what DRAM holds already (e.g. dW summed over the instances of a batch): every C tile is read
  // before its first visit too.
  bool accumulate_c = false;
};

// Evaluates one mapping (fills the derived fields). Does not check capacity.
[[nodiscard]] Mapping evaluate(const PlanRequest& req, std::uint64_t tile_m, std::uint64_t tile_k,
                               std::uint64_t tile_n, const std::string& order, const TileCostFn& cost);
// Whether the mapping fits the buffer; if not and `why` is given, says which operand/partition overflows.
[[nodiscard]] bool fits(const PlanRequest& req, const Mapping& m, std::string* why = nullptr);
// Searches tile sizes (powers of two times the array granule, or times lcm(granule, output row or channel unit)
// and the full dim) and the six loop orders; among the mappings that fit and whose compute cycles are within
// compute_slack of the fastest, minimises DRAM bytes, then compute cycles, then the number of tiles (objective
// "traffic"); or minimises the estimated time, then DRAM bytes, then tiles ("time"). Throws ConfigError if nothing
// fits or the objective is unknown.
[[nodiscard]] Mapping plan(const PlanRequest& req, const TileCostFn& cost);
// Checks a user-given mapping; throws ConfigError naming layer and buffer if it does not fit.
[[nodiscard]] Mapping check_mapping(const PlanRequest& req, std::uint64_t tile_m, std::uint64_t tile_k,
                                    std::uint64_t tile_n, const std::string& order, const TileCostFn& cost);

// One step of the tile loop nest.
struct TileStep {
  std::uint32_t group = 0;
  std::uint64_t im = 0, ik = 0, in = 0;     // tile indices
  compute::GemmShape shape;                  // tile shape (edge tiles are smaller)
  bool load_a = false, load_b = false, read_c = false, store_c = false;
  std::uint64_t a_elems = 0, b_elems = 0, c_elems = 0;  // footprints of this tile's operands
};

// Calls `visit` for every step of the loop nest in order (all groups), with the load/store decisions.
void for_each_tile(const PlanRequest& req, const Mapping& m, const std::function<void(const TileStep&)>& visit);

}  // namespace tnpu::workload
