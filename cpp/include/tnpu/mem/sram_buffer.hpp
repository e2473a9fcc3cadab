#pragma once
// SramBuffer: the on-chip global buffer. Capacity, banks, word width and ports; one shared pool or a partition per
// operand; double buffering; read and write counts per operand (in words, for energy).
// Contract: capacity is a hard constraint checked at planning time (reserve() throws ConfigError naming the buffer
// and the operand); counts only grow; bytes are rounded up to whole words per access batch.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tnpu::mem {

enum class Operand : std::uint8_t { kIfmap = 0, kFilter = 1, kOfmap = 2 };
inline constexpr std::size_t kNumOperands = 3;
[[nodiscard]] std::string_view operand_name(Operand o) noexcept;  // "ifmap", "filter", "ofmap"

struct SramBufferConfig {
  std::string name = "global_buffer";
  std::uint64_t capacity_bytes = 512 * 1024;
  std::uint32_t banks = 16;
  std::uint32_t word_bytes = 16;
  std::uint32_t ports = 2;
  bool shared = true;  // one pool, or a partition per operand with the fractions below
  double ifmap_fraction = 0.25, filter_fraction = 0.5, ofmap_fraction = 0.25;
  bool double_buffering = true;
  void validate(std::string_view field = "buffer") const;  // throws ConfigError naming field.<member>
  [[nodiscard]] std::uint64_t partition_bytes(Operand o) const noexcept;
  // Bytes per cycle the buffer can deliver: banks * ports * word_bytes.
  [[nodiscard]] std::uint64_t bytes_per_cycle() const noexcept {
    return static_cast<std::uint64_t>(banks) * ports * word_bytes;
  }
};

class SramBuffer {
 public:
  explicit SramBuffer(const SramBufferConfig& config);
  // Checks that tiles of these sizes (bytes, one copy) fit, with double buffering if configured. Throws ConfigError
  // "<context>: buffer '<name>' ..." naming the operand that does not fit.
  void reserve(std::string_view context, std::uint64_t ifmap_bytes, std::uint64_t filter_bytes,
               std::uint64_t ofmap_bytes) const;
  void count_read(Operand o, std::uint64_t bytes) noexcept { reads_[idx(o)] += words(bytes); }
  void count_write(Operand o, std::uint64_t bytes) noexcept { writes_[idx(o)] += words(bytes); }
  [[nodiscard]] std::uint64_t reads(Operand o) const noexcept { return reads_[idx(o)]; }
  [[nodiscard]] std::uint64_t writes(Operand o) const noexcept { return writes_[idx(o)]; }
  [[nodiscard]] const SramBufferConfig& config() const noexcept { return config_; }

 private:
  static std::size_t idx(Operand o) noexcept { return static_cast<std::size_t>(o); }
  [[nodiscard]] std::uint64_t words(std::uint64_t bytes) const noexcept {
    return bytes / config_.word_bytes + (bytes % config_.word_bytes != 0 ? 1 : 0);
  }
  SramBufferConfig config_;
  std::array<std::uint64_t, kNumOperands> reads_{}, writes_{};
};

}  // namespace tnpu::mem
