#include "tnpu/mem/sram_buffer.hpp"

#include <cmath>
#include <string>

#include "tnpu/error.hpp"

namespace tnpu::mem {

std::string_view operand_name(Operand o) noexcept {
  switch (o) {
    case Operand::kIfmap: return "ifmap";
    case Operand::kFilter: return "filter";
    case Operand::kOfmap: return "ofmap";
  }
  return "?";
}

void SramBufferConfig::validate(std::string_view field) const {
  const std::string f(field);
  if (capacity_bytes == 0) throw ConfigError(f + ".capacity_bytes: must be at least 1 (got 0)");
  if (banks == 0) throw ConfigError(f + ".banks: must be at least 1 (got 0)");
  if (word_bytes == 0) throw ConfigError(f + ".word_bytes: must be at least 1 (got 0)");
  if (ports == 0) throw ConfigError(f + ".ports: must be at least 1 (got 0)");
  if (!shared) {
    const double fr[3] = {ifmap_fraction, filter_fraction, ofmap_fraction};
    const char* names[3] = {"ifmap_fraction", "filter_fraction", "ofmap_fraction"};
    for (int i = 0; i < 3; ++i) {
      if (!(fr[i] > 0.0 && fr[i] <= 1.0)) {
        throw ConfigError(f + "." + names[i] + ": must be in (0, 1] (got " + std::to_string(fr[i]) + ")");
      }
    }
    if (fr[0] + fr[1] + fr[2] > 1.0 + 1e-9) {
      throw ConfigError(f + ": ifmap_fraction + filter_fraction + ofmap_fraction must be at most 1");
    }
  }
}

std::uint64_t SramBufferConfig::partition_bytes(Operand o) const noexcept {
  if (shared) return capacity_bytes;
  const double fr = o == Operand::kIfmap ? ifmap_fraction : (o == Operand::kFilter ? filter_fraction : ofmap_fraction);
  return static_cast<std::uint64_t>(std::floor(static_cast<double>(capacity_bytes) * fr));
}

SramBuffer::SramBuffer(const SramBufferConfig& config) : config_(config) { config_.validate(); }

void SramBuffer::reserve(std::string_view context, std::uint64_t ifmap_bytes, std::uint64_t filter_bytes,
                         std::uint64_t ofmap_bytes) const {
  const std::uint64_t copies = config_.double_buffering ? 2 : 1;
  const std::string head = std::string(context) + ": buffer '" + config_.name + "' (capacity_bytes=" +
                           std::to_string(config_.capacity_bytes) + ")";
  if (config_.shared) {
    const std::uint64_t need = copies * (ifmap_bytes + filter_bytes + ofmap_bytes);
    if (need > config_.capacity_bytes) {
      throw ConfigError(head + " cannot hold the tiles: need " + std::to_string(need) + " B");
    }
    return;
  }
  const std::uint64_t sizes[3] = {ifmap_bytes, filter_bytes, ofmap_bytes};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto o = static_cast<Operand>(i);
    if (copies * sizes[i] > config_.partition_bytes(o)) {
      throw ConfigError(head + ": the " + std::string(operand_name(o)) + " partition of " +
                        std::to_string(config_.partition_bytes(o)) + " B cannot hold " + std::to_string(copies) +
                        " x " + std::to_string(sizes[i]) + " B");
    }
  }
}

}  // namespace tnpu::mem
