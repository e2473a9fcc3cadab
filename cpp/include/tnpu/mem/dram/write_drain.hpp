#pragma once
// The write-drain policy of a DRAM channel: when the scheduler serves the write queue instead of the read queue.
// - watermarks (Ramulator's): enter write mode above write_high_watermark x write_queue_size writes (or when no read
//   is queued), leave it below write_low_watermark x write_queue_size while reads wait (or when no write is left);
// - dramsim3: drain when the write buffer is full, or holds more than 8 writes while nothing else is queued, or
//   (unlike DRAMsim3, which leaves up to 8 writes behind forever) when no read is left at all; the drain lasts
//   until as many writes as the buffer held have been served.
// The channel calls update() with its queue sizes; next() answers what update() would set without changing it.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tnpu/mem/dram/policies.hpp"
#include "tnpu/mem/dram_spec.hpp"

namespace tnpu::dram {

class WriteDrain {
 public:
  WriteDrain(const DramSpec& spec, DrainKind kind)
      : dramsim3_(kind == DrainKind::kDramsim3),
        queue_size_(spec.write_queue_size),
        high_(static_cast<std::size_t>(std::floor(spec.write_high_watermark * spec.write_queue_size))),
        low_(static_cast<std::size_t>(std::floor(spec.write_low_watermark * spec.write_queue_size))) {}

  [[nodiscard]] bool dramsim3() const noexcept { return dramsim3_; }
  [[nodiscard]] bool write_mode() const noexcept { return write_mode_; }
  [[nodiscard]] std::uint64_t drain_left() const noexcept { return drain_left_; }

  // The write mode (and dramsim3 drain count, in drain_left) that update() would set, given the transaction
  // queues' sizes; others_idle: nothing is queued beyond them (bank queues, activated queue).
  [[nodiscard]] bool next(std::size_t reads, std::size_t writes, bool others_idle,
                          std::uint64_t& drain_left) const noexcept {
    drain_left = drain_left_;
    if (dramsim3_) {
      if (drain_left == 0) {
        if (writes >= queue_size_ || (writes > 8 && others_idle) || (reads == 0 && others_idle && writes != 0)) {
          drain_left = writes;
        }
      }
      return drain_left > 0;
    }
    if (!write_mode_) return writes > high_ || (reads == 0 && writes != 0);
    if (writes < low_ && reads != 0) return false;
    return writes != 0;
  }
  void update(std::size_t reads, std::size_t writes, bool others_idle) noexcept {
    write_mode_ = next(reads, writes, others_idle, drain_left_);
  }
  // What update() sets when no write is queued and no drain is under way (drain_left() == 0), for any kind.
  void read_mode() noexcept { write_mode_ = false; }
  // A write of the drain was served (moved to its bank queue, or issued from the shared queue).
  void write_served() noexcept {
    if (drain_left_ > 0) --drain_left_;
  }

 private:
  bool dramsim3_;
  std::size_t queue_size_;
  std::size_t high_, low_;  // watermarks in requests: floor(fraction * write_queue_size)
  bool write_mode_ = false;
  std::uint64_t drain_left_ = 0;  // dramsim3: writes still to move/issue in this drain
};

}  // namespace tnpu::dram
