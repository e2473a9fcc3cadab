#pragma once
// Error types of tnpu-sim. Every message names the place (file:line or config field) and what was expected.
// The bindings map ConfigError and TraceFormatError to tnpu.errors.ConfigError / TraceFormatError (both
// ValueError subclasses) and SimulationError to tnpu.errors.SimulationError (a RuntimeError subclass).
#include <stdexcept>

namespace tnpu {

// A configuration value is out of range or inconsistent. The message names the field.
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A line of a trace file does not parse. The message is `path:line: expected ..., got '...'`.
class TraceFormatError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The simulation itself went wrong (a deadlock, a broken invariant): a bug or an impossible input, never silent.
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tnpu
