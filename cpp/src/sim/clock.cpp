#include <cmath>
#include <sstream>
#include <stdexcept>

#include "tnpu/error.hpp"
#include "tnpu/sim/time.hpp"

namespace tnpu {

Clock::Clock(Picoseconds period_ps) : period_ps_(period_ps) {
  if (period_ps == 0) throw ConfigError("Clock: period_ps must be at least 1 ps (got 0)");
}

Clock Clock::from_frequency_hz(std::uint64_t hz) {
  if (hz == 0) throw ConfigError("Clock: frequency must be positive (got 0 Hz)");
  if (hz > kPsPerSecond || kPsPerSecond % hz != 0) {
    std::ostringstream msg;
    msg.precision(12);
    msg << "Clock: a frequency of " << hz << " Hz has a period of "
        << static_cast<double>(kPsPerSecond) / static_cast<double>(hz)
        << " ps, not a whole number of picoseconds; give the period in picoseconds instead (period_ps)";
    throw ConfigError(msg.str());
  }
  return Clock(kPsPerSecond / hz);
}

Clock Clock::from_frequency_mhz(double mhz) {
  const double hz = mhz * 1e6;
  if (!std::isfinite(mhz) || mhz <= 0.0) {
    std::ostringstream msg;
    msg << "Clock: frequency must be a positive number of MHz (got " << mhz << ")";
    throw ConfigError(msg.str());
  }
  const double whole = std::round(hz);
  if (std::fabs(hz - whole) > 1e-3 || whole > 1e12) {
    std::ostringstream msg;
    msg.precision(12);
    msg << "Clock: " << mhz << " MHz is not a whole number of hertz with a whole-picosecond period; "
        << "give the period in picoseconds instead (period_ps)";
    throw ConfigError(msg.str());
  }
  return from_frequency_hz(static_cast<std::uint64_t>(whole));
}

double Clock::frequency_hz() const noexcept {
  return static_cast<double>(kPsPerSecond) / static_cast<double>(period_ps_);
}

Picoseconds Clock::to_ps(Cycles c) const {
  if (c != 0 && period_ps_ > UINT64_MAX / c) {
    std::ostringstream msg;
    msg << "Clock: " << c << " cycles of " << period_ps_ << " ps do not fit in 64-bit picoseconds";
    throw std::overflow_error(msg.str());
  }
  return c * period_ps_;
}

}  // namespace tnpu
