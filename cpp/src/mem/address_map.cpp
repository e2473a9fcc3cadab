#include "tnpu/mem/address_map.hpp"

#include <bit>
#include <cctype>
#include <cstdio>
#include <string_view>

#include "tnpu/error.hpp"

namespace tnpu {

void register_builtin_address_mappings(AddressMappingRegistry& registry) {
  // One line per name: the field string (most significant first) and what it does; the description ends with it.
  const auto add = [&registry](const char* name, const char* fields, const std::string& what) {
    registry.add(name, what + " (" + fields + ")", fields);
  };
  add("dramsim3", "rochrababgco", "DRAMsim3's DDR4 default: from the low bits up column, bank group, bank, rank, "
                                  "channel, row");
  add("ramulator", "RoBaRaCoCh", "Ramulator 1 and 2 default: from the low bits up channel, column, rank, bank group, "
                                 "bank, row");
  add("row_bank_rank_column_channel", "RoBaRaCoCh", "the Ramulator default under a descriptive name");
  add("row_rank_bank_column", "rochrababgco", "the DRAMsim3 default under a descriptive name");
  add("channel_interleaved", "rorababgcoch", "consecutive bursts alternate channels, then columns");
  add("bankgroup_interleaved", "rochrabacobg", "consecutive bursts alternate bank groups, then columns");
}

const AddressMappingRegistry& address_mappings() {
  static const auto registry = make_registry("address mapping", register_builtin_address_mappings);
  return registry;
}

namespace {

std::uint32_t log2_exact(std::uint64_t n, const char* field) {
  if (n == 0 || !std::has_single_bit(n)) {
    throw ConfigError(std::string("dram.") + field + ": must be a power of two for address mapping (got " +
                      std::to_string(n) + ")");
  }
  return static_cast<std::uint32_t>(std::countr_zero(n));
}

}  // namespace

AddressMap::AddressMap(const DramSpec& spec) : wrap_(spec.wrap_addresses) {
  std::string text = spec.address_mapping;
  if (const auto* named = address_mappings().find(text)) text = named->factory;
  // Parse into fields, most significant first.
  std::vector<Field> msb_first;
  const auto bad = [&](const std::string& why) {
    std::string names;
    for (const auto& name : address_mappings().names()) names += (names.empty() ? "" : ", ") + name;
    return ConfigError("dram.address_mapping: '" + spec.address_mapping + "' " + why +
                       " (expected a name (" + names +
                       "), a DRAMsim3 string of ch ra bg ba ro co like 'rochrababgco', or a Ramulator string of "
                       "Ch Ra Ba Ro Co like 'RoBaRaCoCh')");
  };
  const bool ramulator_style = !text.empty() && std::isupper(static_cast<unsigned char>(text[0])) != 0;
  if (text.size() % 2 != 0 || text.empty()) throw bad("has an odd length");
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const std::string_view tok(text.data() + i, 2);
    if (ramulator_style) {
      if (tok == "Ch") msb_first.push_back(kCh);
      else if (tok == "Ra") msb_first.push_back(kRa);
      else if (tok == "Ba") { msb_first.push_back(kBa); msb_first.push_back(kBg); }  // bank above bank group
      else if (tok == "Ro") msb_first.push_back(kRo);
      else if (tok == "Co") msb_first.push_back(kCo);
      else throw bad("has an unknown field '" + std::string(tok) + "'");
    } else {
      if (tok == "ch") msb_first.push_back(kCh);
      else if (tok == "ra") msb_first.push_back(kRa);
      else if (tok == "bg") msb_first.push_back(kBg);
      else if (tok == "ba") msb_first.push_back(kBa);
      else if (tok == "ro") msb_first.push_back(kRo);
      else if (tok == "co") msb_first.push_back(kCo);
      else throw bad("has an unknown field '" + std::string(tok) + "'");
    }
  }
  if (msb_first.size() != 6) throw bad("must name every field exactly once");
  std::array<int, 6> seen{};
  for (const Field f : msb_first) ++seen[f];
  for (const int n : seen) {
    if (n != 1) throw bad("must name every field exactly once");
  }
  if (spec.columns % spec.burst_length != 0) {
    throw ConfigError("dram.columns: must be a multiple of burst_length (got " + std::to_string(spec.columns) +
                      " and " + std::to_string(spec.burst_length) + ")");
  }
  std::array<std::uint32_t, 6> bits{};
  bits[kCh] = log2_exact(spec.channels, "channels");
  bits[kRa] = log2_exact(spec.ranks, "ranks");
  bits[kBg] = log2_exact(spec.bankgroups, "bankgroups");
  bits[kBa] = log2_exact(spec.banks_per_group, "banks_per_group");
  bits[kRo] = log2_exact(spec.rows, "rows");
  bits[kCo] = log2_exact(spec.columns / spec.burst_length, "columns / burst_length");
  offset_bits_ = log2_exact(spec.line_bytes(), "bus_width / 8 * burst_length");
  std::uint32_t shift = offset_bits_;
  for (std::size_t i = 0; i < 6; ++i) {
    const Field f = msb_first[5 - i];
    slices_[i] = Slice{f, shift, (std::uint64_t{1} << bits[f]) - 1};
    shift_[f] = shift;
    mask_[f] = slices_[i].mask;
    shift += bits[f];
  }
  column_lowest_ = (bits[kCo] > 0 && shift_[kCo] == offset_bits_) ? 1 : 0;
  if (shift >= 64) throw ConfigError("dram: organisation gives a capacity of 2^" + std::to_string(shift) + " B");
  capacity_bytes_ = std::uint64_t{1} << shift;
}

std::uint64_t AddressMap::wrapped(std::uint64_t address) const {
  if (!wrap_) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "address 0x%llx is beyond the DRAM capacity of %llu bytes (set wrap_addresses "
                  "to wrap it)", static_cast<unsigned long long>(address),
                  static_cast<unsigned long long>(capacity_bytes_));
    throw ConfigError(buf);
  }
  return address & (capacity_bytes_ - 1);
}

std::string AddressMap::describe() const {
  static constexpr const char* kNames[6] = {"ch", "ra", "bg", "ba", "ro", "co"};
  std::string out;
  for (const Slice& sl : slices_) {
    if (!out.empty()) out += " ";
    out += kNames[sl.field];
  }
  return out;
}

}  // namespace tnpu
