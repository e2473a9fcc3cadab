#include "tnpu/workload/tile_plan.hpp"

#include <string>

#include "tnpu/error.hpp"

namespace tnpu::workload {

Transfer Relocation::apply(const Transfer& t) const {
  if (identity) return t;
  for (std::size_t o = 0; o < from.size(); ++o) {
    if (bytes[o] != 0 && t.region_base >= from[o] && t.region_base < from[o] + bytes[o]) {
      Transfer moved = t;
      moved.address = t.address - from[o] + to[o];
      moved.region_base = t.region_base - from[o] + to[o];
      return moved;
    }
  }
  throw SimulationError("tile plan: a transfer of the region at " + std::to_string(t.region_base) +
                        " lies outside its job's operand regions (a bug)");
}

}  // namespace tnpu::workload
