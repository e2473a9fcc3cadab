#pragma once
// AddressMap: physical byte address -> (channel, rank, bank group, bank, row, column) of a DramSpec.
//
// A mapping is a string of fields, most significant first, in one of two spellings:
//   DRAMsim3: two-letter lower-case fields ch ra bg ba ro co, each exactly once ("rochrababgco" = DRAMsim3's
//             DDR4 default: from the low bits up column, bank group, bank, rank, channel, row);
//   Ramulator: Ch Ra Ba Ro Co, each exactly once, where Ba is the bank group (low bits) then the bank, as Ramulator
//             orders its levels ("RoBaRaCoCh" = Ramulator's default: channel, column, rank, bank group, bank, row).
// or one of the names of address_mappings() (aliases of such strings; adding one is one `add` line in
// register_builtin_address_mappings(), address_map.cpp).
// Contract: the bits below one burst (log2(line_bytes)) are the offset and are dropped; every field takes
// log2(count) bits (columns count bursts: columns / burst_length); counts must be powers of two (ConfigError
// otherwise). decode() of an address >= capacity_bytes throws ConfigError, or wraps when wrap is set.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/sim/registry.hpp"

namespace tnpu {

struct DramAddress {
  std::uint32_t channel = 0;
  std::uint32_t rank = 0;
  std::uint32_t bankgroup = 0;
  std::uint32_t bank = 0;  // within its bank group
  std::uint32_t row = 0;
  std::uint32_t column = 0;  // in bursts
};

// Named mappings ("dramsim3", "ramulator", ...); the factory is the field string each stands for.
using AddressMappingRegistry = Registry<std::string>;
void register_builtin_address_mappings(AddressMappingRegistry& registry);
[[nodiscard]] const AddressMappingRegistry& address_mappings();

class AddressMap {
 public:
  explicit AddressMap(const DramSpec& spec);
  [[nodiscard]] DramAddress decode(std::uint64_t address) const {
    if (address >= capacity_bytes_) address = wrapped(address);  // (throws unless wrap is set)
    const auto field = [&](Field f) { return static_cast<std::uint32_t>((address >> shift_[f]) & mask_[f]); };
    return DramAddress{field(kCh), field(kRa), field(kBg), field(kBa), field(kRo), field(kCo)};
  }
  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return capacity_bytes_; }
  // How many consecutive lines (bursts of line_bytes) from the line holding `address` stay in the same channel,
  // rank, bank and row: columns left in the row when the column field is the lowest field with bits, else 1.
  // O(1). Addresses at or beyond the capacity count as their wrapped address (no error: decode() reports those).
  [[nodiscard]] std::uint64_t lines_in_row(std::uint64_t address) const noexcept {
    if (column_lowest_ == 0) return 1;
    const std::uint64_t col = (address >> shift_[kCo]) & mask_[kCo];
    return mask_[kCo] + 1 - col;
  }
  [[nodiscard]] std::uint32_t line_bytes() const noexcept { return std::uint32_t{1} << offset_bits_; }
  // The field order used, least significant first, as DRAMsim3-style tokens (e.g. "co bg ba ra ch ro").
  [[nodiscard]] std::string describe() const;

 private:
  enum Field : std::uint8_t { kCh = 0, kRa, kBg, kBa, kRo, kCo };
  // An address at or beyond the capacity: wrapped, or ConfigError if wrap is not set.
  [[nodiscard]] std::uint64_t wrapped(std::uint64_t address) const;
  struct Slice {
    Field field;
    std::uint32_t shift;
    std::uint64_t mask;
  };
  std::array<Slice, 6> slices_{};
  std::array<std::uint32_t, 6> shift_{};  // by Field: the slices, for decode() without an indirection
  std::array<std::uint64_t, 6> mask_{};
  std::uint32_t offset_bits_ = 0;
  std::uint32_t column_lowest_ = 0;  // 1 if the column field has bits and sits right above the offset
  std::uint64_t capacity_bytes_ = 0;
  bool wrap_ = false;
};

}  // namespace tnpu
