#include "tnpu/workload/tiling.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <tuple>

#include "tnpu/error.hpp"

namespace tnpu::workload {

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept { return a / b + (a % b != 0 ? 1 : 0); }

constexpr std::uint64_t kMaxTilesPerAxis = std::uint64_t{1} << 16;
constexpr std::uint64_t kMaxTiles = std::uint64_t{1} << 26;  // tiles of a whole pass (all groups)

std::uint64_t dim_of(const compute::GemmShape& g, char d) noexcept { return d == 'm' ? g.m : (d == 'k' ? g.k : g.n); }

// Sum and maximum of an operand's f_pix or f_win over the tiles of one GEMM axis.
struct AxisStats {
  std::uint64_t sum = 0, max = 0;
};

AxisStats axis_stats(const OperandDesc& op, bool pix, std::uint64_t extent, std::uint64_t tile) {
  AxisStats st;
  if (!op.im2col) {
    st.sum = extent;
    st.max = std::min(tile, extent);
    return st;
  }
  for (std::uint64_t lo = 0; lo < extent; lo += tile) {
    const std::uint64_t hi = std::min(extent, lo + tile);
    const std::uint64_t f = pix ? op.f_pix(lo, hi) : op.f_win(lo, hi);
    st.sum += f;
    st.max = std::max(st.max, f);
  }
  return st;
}

struct OperandStats {
  AxisStats first, second;  // along the operand's first and second GEMM dims in (m,k), (k,n), (m,n) order
};

void validate_order(const std::string& order, const std::string& where) {
  std::string sorted = order;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != "kmn") {
    throw ConfigError(where + ": loop order must be a permutation of 'mkn' (outermost first), got '" + order + "'");
  }
}

// The innermost loop with more than one trip, or the innermost loop when all have one.
char effective_inner(const std::string& order, const std::array<std::uint64_t, 3>& trips) {
  auto trip = [&](char d) { return d == 'm' ? trips[0] : (d == 'k' ? trips[1] : trips[2]); };
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (trip(*it) > 1) return *it;
  }
  return order.back();
}

class StatsCache {
 public:
  explicit StatsCache(const PlanRequest& req) : req_(req) {}
  // f over the tiles of GEMM dim `d` for operand `which` ('a', 'b', 'c')
  AxisStats get(char which, char d, std::uint64_t tile) {
    const auto key = std::make_tuple(which, d, tile);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const OperandDesc& op = which == 'a' ? req_.pass.a : (which == 'b' ? req_.pass.b : req_.pass.c);
    const AxisStats st = axis_stats(op, op.pix_axis == d, dim_of(req_.pass.gemm, d), tile);
    cache_.emplace(key, st);
    return st;
  }

 private:
  const PlanRequest& req_;
  std::map<std::tuple<char, char, std::uint64_t>, AxisStats> cache_;
};

Mapping evaluate_cached(const PlanRequest& req, StatsCache& cache, std::uint64_t tm, std::uint64_t tk,
                        std::uint64_t tn, const std::string& order, const TileCostFn& cost) {
  const auto& g = req.pass.gemm;
  Mapping m;
  m.tile_m = std::min(tm, g.m);
  m.tile_k = std::min(tk, g.k);
  m.tile_n = std::min(tn, g.n);
  m.order = order;
  m.tiles_m = ceil_div(g.m, m.tile_m);
  m.tiles_k = ceil_div(g.k, m.tile_k);
  m.tiles_n = ceil_div(g.n, m.tile_n);
  const std::uint64_t bpe = req.bytes_per_element, groups = req.pass.groups;

  const AxisStats am = cache.get('a', 'm', m.tile_m), ak = cache.get('a', 'k', m.tile_k);
  const AxisStats bk = cache.get('b', 'k', m.tile_k), bn = cache.get('b', 'n', m.tile_n);
  m.a_tile_bytes = am.max * ak.max * bpe;
  m.b_tile_bytes = bk.max * bn.max * bpe;
  m.c_tile_bytes = m.tile_m * m.tile_n * bpe;
  const std::uint64_t copies = req.buffer.double_buffering ? 2 : 1;
  m.buffer_bytes = copies * (m.a_tile_bytes + m.b_tile_bytes + m.c_tile_bytes);

  const char inner = effective_inner(order, {m.tiles_m, m.tiles_k, m.tiles_n});
  m.a_read_bytes = am.sum * ak.sum * (inner == 'n' ? 1 : m.tiles_n) * bpe * groups;
  m.b_read_bytes = bk.sum * bn.sum * (inner == 'm' ? 1 : m.tiles_m) * bpe * groups;
  const std::uint64_t c_elems = g.m * g.n;
  m.c_write_bytes = c_elems * (inner == 'k' ? 1 : m.tiles_k) * bpe * groups;
  m.c_read_bytes = c_elems * ((inner == 'k' ? 0 : m.tiles_k - 1) + (req.accumulate_c ? 1 : 0)) * bpe * groups;

  // Compute: at most two tile sizes per axis (full and edge).
  const std::array<std::pair<std::uint64_t, std::uint64_t>, 2> ms{{{m.tile_m, g.m / m.tile_m}, {g.m % m.tile_m, 1}}};
  const std::array<std::pair<std::uint64_t, std::uint64_t>, 2> ks{{{m.tile_k, g.k / m.tile_k}, {g.k % m.tile_k, 1}}};
  const std::array<std::pair<std::uint64_t, std::uint64_t>, 2> ns{{{m.tile_n, g.n / m.tile_n}, {g.n % m.tile_n, 1}}};
  std::uint64_t cycles = 0;
  for (const auto& [sm, cm] : ms) {
    if (sm == 0 || cm == 0) continue;
    for (const auto& [sk, ck] : ks) {
      if (sk == 0 || ck == 0) continue;
      for (const auto& [sn, cn] : ns) {
        if (sn == 0 || cn == 0) continue;
        cycles += cm * ck * cn * cost(compute::GemmShape{sm, sk, sn}).cycles;
      }
    }
  }
  m.compute_cycles = cycles * groups;
  return m;
}

// Tile sizes for one GEMM dim: powers of two times the array granule, powers of two times the least common multiple
// of the granule and each natural unit of the im2col operands along that dim (whole output rows on a pixel axis,
// whole channels on a window axis, so that tiles split neither a row, a channel nor a fold), and the whole dim.
std::vector<std::uint64_t> candidates(std::uint64_t extent, std::uint64_t granule,
                                      const std::vector<std::uint64_t>& units) {
  std::vector<std::uint64_t> out;
  // never so small that one axis has more than kMaxTilesPerAxis tiles (the search stays fast for any shape)
  const std::uint64_t floor_tile = extent / kMaxTilesPerAxis + 1;
  for (std::uint64_t t = std::max<std::uint64_t>(granule, 1); t < extent; t *= 2) {
    if (t >= floor_tile) out.push_back(t);
  }
  for (const std::uint64_t u : units) {
    // keep folds whole: a unit that is not a multiple of the granule would leave a part-filled fold in every tile
    const std::uint64_t step = std::lcm(std::max<std::uint64_t>(granule, 1), u);
    if (u <= 1 || step >= extent) continue;
    for (std::uint64_t t = step; t < extent; t *= 2) {
      if (t >= floor_tile) out.push_back(t);
    }
  }
  out.push_back(extent);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::uint64_t> natural_units(const PassGemm& pass, char d) {
  std::vector<std::uint64_t> units;
  for (const OperandDesc* op : {&pass.a, &pass.b}) {
    if (!op->im2col) continue;
    if (op->pix_axis == d) units.push_back(op->out_cols);
    if (op->win_axis == d) units.push_back(op->window);
  }
  return units;
}

std::string describe_need(const PlanRequest& req, const Mapping& m) {
  const std::string copies = req.buffer.double_buffering ? "2 x " : "";
  return "tile M=" + std::to_string(m.tile_m) + " K=" + std::to_string(m.tile_k) + " N=" + std::to_string(m.tile_n) +
         " needs " + copies + "(" + req.pass.a.tensor + " " + std::to_string(m.a_tile_bytes) + " B + " +
         req.pass.b.tensor + " " + std::to_string(m.b_tile_bytes) + " B + " + req.pass.c.tensor + " " +
         std::to_string(m.c_tile_bytes) + " B) = " + std::to_string(m.buffer_bytes) + " B";
}

std::string where(const PlanRequest& req) {
  return "layer '" + req.layer_name + "' " + req.phase + ": buffer '" + req.buffer.name + "' (capacity_bytes=" +
         std::to_string(req.buffer.capacity_bytes) + (req.buffer.shared ? ", shared" : ", partitioned") + ")";
}

}  // namespace

Mapping evaluate(const PlanRequest& req, std::uint64_t tile_m, std::uint64_t tile_k, std::uint64_t tile_n,
                 const std::string& order, const TileCostFn& cost) {
  validate_order(order, "mapping.order");
  if (tile_m == 0 || tile_k == 0 || tile_n == 0) throw ConfigError("mapping: tile sizes must be at least 1");
  const auto& g = req.pass.gemm;
  const double tiles = static_cast<double>(ceil_div(g.m, tile_m)) * static_cast<double>(ceil_div(g.k, tile_k)) *
                       static_cast<double>(ceil_div(g.n, tile_n)) * static_cast<double>(req.pass.groups);
  if (tiles > static_cast<double>(kMaxTiles)) {
    throw ConfigError("mapping: " + std::to_string(static_cast<std::uint64_t>(tiles)) +
                      " tiles is too many (at most 2^26); use larger tiles");
  }
  StatsCache cache(req);
  return evaluate_cached(req, cache, tile_m, tile_k, tile_n, order, cost);
}

bool fits(const PlanRequest& req, const Mapping& m, std::string* why) {
  const auto& b = req.buffer;
  if (b.shared) {
    if (m.buffer_bytes <= b.capacity_bytes) return true;
    if (why) *why = describe_need(req, m);
    return false;
  }
  const std::uint64_t copies = b.double_buffering ? 2 : 1;
  const std::array<std::tuple<const char*, std::uint64_t, double, const std::string*>, 3> parts{{
      {"a (ifmap)", m.a_tile_bytes, b.a_fraction, &req.pass.a.tensor},
      {"b (filter)", m.b_tile_bytes, b.b_fraction, &req.pass.b.tensor},
      {"c (ofmap)", m.c_tile_bytes, b.c_fraction, &req.pass.c.tensor},
  }};
  for (const auto& [label, bytes, fraction, tensor] : parts) {
    const auto part = static_cast<std::uint64_t>(std::floor(static_cast<double>(b.capacity_bytes) * fraction));
    if (copies * bytes > part) {
      if (why) {
        *why = std::string("partition ") + label + " of " + std::to_string(part) + " B cannot hold " +
               (copies == 2 ? "2 x " : "") + *tensor + " tile " + std::to_string(bytes) + " B (" +
               describe_need(req, m) + ")";
      }
      return false;
    }
  }
  return true;
}

Mapping plan(const PlanRequest& req, const TileCostFn& cost) {
  const auto& g = req.pass.gemm;
  StatsCache cache(req);
  const auto cm = candidates(g.m, req.granule_m, natural_units(req.pass, 'm'));
  const auto ck = candidates(g.k, req.granule_k, natural_units(req.pass, 'k'));
  const auto cn = candidates(g.n, req.granule_n, natural_units(req.pass, 'n'));
  static const std::array<std::string, 6> kOrders{"mnk", "nmk", "mkn", "kmn", "nkm", "knm"};
  if (req.objective != "traffic" && req.objective != "time") {
    throw ConfigError("mapping objective: unknown '" + req.objective + "' (known: traffic, time)");
  }
  const bool by_time = req.objective == "time";
  auto score = [&](const Mapping& m) {
    const double bytes = static_cast<double>(m.dram_bytes());
    const double memory = req.bytes_per_cycle > 0 ? bytes / req.bytes_per_cycle : 0.0;
    const double time = std::max(static_cast<double>(m.compute_cycles), memory);
    const double tiles = static_cast<double>(m.tiles_m * m.tiles_k * m.tiles_n);
    return by_time ? std::make_tuple(time, bytes, tiles)
                   : std::make_tuple(bytes, static_cast<double>(m.compute_cycles), tiles);
  };
  // Every fitting mapping once (the compute cycles of a tile shape do not depend on the loop order).
  std::vector<Mapping> fitting;
  std::uint64_t fastest = UINT64_MAX;
  for (const auto tm : cm) {
    for (const auto tk : ck) {
      for (const auto tn : cn) {
        const double tiles = static_cast<double>(ceil_div(g.m, tm)) * static_cast<double>(ceil_div(g.k, tk)) *
                             static_cast<double>(ceil_div(g.n, tn)) * static_cast<double>(req.pass.groups);
        if (tiles > static_cast<double>(kMaxTiles)) continue;
        for (const auto& order : kOrders) {
          Mapping m = evaluate_cached(req, cache, tm, tk, tn, order, cost);
          if (!fits(req, m)) continue;
          fastest = std::min(fastest, m.compute_cycles);
          fitting.push_back(std::move(m));
        }
      }
    }
  }
  // "traffic" keeps the mappings whose compute is within compute_slack of the fastest: fewer DRAM bytes must not be
  // bought with a much slower schedule (e.g. splitting the reduction of an os array into tiles that each pay the
  // pipeline fill again).
  const double limit = static_cast<double>(fastest) * (1.0 + req.compute_slack);
  bool found = false;
  Mapping best;
  for (const Mapping& m : fitting) {
    if (!by_time && static_cast<double>(m.compute_cycles) > limit) continue;
    if (!found || score(m) < score(best)) {
      best = m;
      found = true;
    }
  }
  if (!found) {
    const Mapping smallest = evaluate_cached(req, cache, cm.front(), ck.front(), cn.front(), "mnk", cost);
    std::string why;
    (void)fits(req, smallest, &why);
    throw ConfigError(where(req) + ": no mapping fits; the smallest " + why);
  }
  return best;
}

Mapping check_mapping(const PlanRequest& req, std::uint64_t tile_m, std::uint64_t tile_k, std::uint64_t tile_n,
                      const std::string& order, const TileCostFn& cost) {
  Mapping m = evaluate(req, tile_m, tile_k, tile_n, order, cost);
  std::string why;
  if (!fits(req, m, &why)) throw ConfigError(where(req) + ": the given mapping does not fit; " + why);
  return m;
}

void for_each_tile(const PlanRequest& req, const Mapping& m, const std::function<void(const TileStep&)>& visit) {
  const auto& g = req.pass.gemm;
  const std::array<std::uint64_t, 3> trips{m.tiles_m, m.tiles_k, m.tiles_n};
  const std::array<std::uint64_t, 3> tiles{m.tile_m, m.tile_k, m.tile_n};
  const std::array<std::uint64_t, 3> extents{g.m, g.k, g.n};
  auto slot = [](char d) -> std::size_t { return d == 'm' ? 0 : (d == 'k' ? 1 : 2); };
  const std::array<std::size_t, 3> loop{slot(m.order[0]), slot(m.order[1]), slot(m.order[2])};

  auto footprint = [&](const OperandDesc& op, char d1, std::uint64_t i1, char d2, std::uint64_t i2) {
    auto range = [&](char d, std::uint64_t i) {
      const std::size_t s = slot(d);
      const std::uint64_t lo = i * tiles[s];
      return std::make_pair(lo, std::min(extents[s], lo + tiles[s]));
    };
    const auto r1 = range(d1, i1), r2 = range(d2, i2);
    const auto& pix = op.pix_axis == d1 ? r1 : r2;
    const auto& win = op.pix_axis == d1 ? r2 : r1;
    return op.f_pix(pix.first, pix.second) * op.f_win(win.first, win.second);
  };

  bool have_prev = false;
  TileStep prev;
  for (std::uint32_t grp = 0; grp < req.pass.groups; ++grp) {
    std::array<std::uint64_t, 3> idx{0, 0, 0};
    for (idx[loop[0]] = 0; idx[loop[0]] < trips[loop[0]]; ++idx[loop[0]]) {
      for (idx[loop[1]] = 0; idx[loop[1]] < trips[loop[1]]; ++idx[loop[1]]) {
        for (idx[loop[2]] = 0; idx[loop[2]] < trips[loop[2]]; ++idx[loop[2]]) {
          TileStep st;
          st.group = grp;
          st.im = idx[0];
          st.ik = idx[1];
          st.in = idx[2];
          st.shape = {std::min(g.m - st.im * m.tile_m, m.tile_m), std::min(g.k - st.ik * m.tile_k, m.tile_k),
                      std::min(g.n - st.in * m.tile_n, m.tile_n)};
          const bool new_group = !have_prev || prev.group != grp;
          st.load_a = new_group || prev.im != st.im || prev.ik != st.ik;
          st.load_b = new_group || prev.ik != st.ik || prev.in != st.in;
          const bool new_c = new_group || prev.im != st.im || prev.in != st.in;
          st.read_c = new_c && (st.ik > 0 || req.accumulate_c);
          st.a_elems = footprint(req.pass.a, 'm', st.im, 'k', st.ik);
          st.b_elems = footprint(req.pass.b, 'k', st.ik, 'n', st.in);
          st.c_elems = st.shape.m * st.shape.n;
          if (have_prev) {
            prev.store_c = new_c;
            visit(prev);
          }
          prev = st;
          have_prev = true;
        }
      }
    }
  }
  if (have_prev) {
    prev.store_c = true;
    visit(prev);
  }
}

}  // namespace tnpu::workload
