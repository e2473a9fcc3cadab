#pragma once
// Simulated time: an integer count of picoseconds. Clock domains convert cycles to time and back exactly.
#include <cstdint>

namespace tnpu {

using Picoseconds = std::uint64_t;
using Cycles = std::uint64_t;

inline constexpr Picoseconds kPsPerSecond = 1'000'000'000'000ULL;
inline constexpr Picoseconds kPsPerNanosecond = 1'000ULL;

// A clock domain with a period of a whole number of picoseconds.
// Contract: to_ps(to_cycles(t)) <= t < to_ps(to_cycles(t) + 1) and to_cycles(to_ps(c)) == c for every c that does not
// overflow; to_ps throws std::overflow_error instead of wrapping.
class Clock {
 public:
  // Throws ConfigError if period_ps is 0.
  explicit Clock(Picoseconds period_ps);
  // Throws ConfigError if hz is 0 or 1e12 / hz is not a whole number of picoseconds.
  static Clock from_frequency_hz(std::uint64_t hz);
  // As from_frequency_hz; also rejects a megahertz value that is not a whole number of hertz.
  static Clock from_frequency_mhz(double mhz);

  [[nodiscard]] Picoseconds period_ps() const noexcept { return period_ps_; }
  [[nodiscard]] double frequency_hz() const noexcept;

  // Time of the start of cycle c (c * period). Throws std::overflow_error past 2^64 - 1 ps.
  [[nodiscard]] Picoseconds to_ps(Cycles c) const;
  // Whole cycles elapsed at time t (floor).
  [[nodiscard]] Cycles to_cycles(Picoseconds t) const noexcept { return t / period_ps_; }
  // Cycles needed to cover t (ceiling).
  [[nodiscard]] Cycles to_cycles_ceil(Picoseconds t) const noexcept {
    return t / period_ps_ + (t % period_ps_ != 0 ? 1 : 0);
  }
  // The first clock edge at or after t. Throws std::overflow_error if it does not fit. One remainder on the common
  // path (it runs once per scheduled offer of a trace replay); the overflow case goes through to_ps for its error.
  [[nodiscard]] Picoseconds next_edge(Picoseconds t) const {
    const Picoseconds past = t % period_ps_;
    if (past == 0) return t;
    const Picoseconds gap = period_ps_ - past;
    return gap <= ~Picoseconds{0} - t ? t + gap : to_ps(to_cycles_ceil(t));
  }
  [[nodiscard]] bool is_edge(Picoseconds t) const noexcept { return t % period_ps_ == 0; }

 private:
  Picoseconds period_ps_;
};

}  // namespace tnpu
