#pragma once
// Verification and benchmark modes of the DRAM channel, set from tnpu._core._testing (not public API). A channel
// reads them when it is built, so they apply to the channels of simulations built afterwards.
#include <atomic>

namespace tnpu::dram {

struct TestingModes {
  // Step every cycle while work is queued, as a cycle-driven simulator does (tests/test_dram_identity.py asserts
  // that the event-driven wake-ups give the same results).
  std::atomic<bool> every_cycle{false};
  // Run ahead inside a wake-up without a kernel event per wake-up (off: the previous path, for benchmarks).
  std::atomic<bool> run_ahead{true};
  // Tell an initiator that its next offer is refused for certain (Target::refuse_ahead) instead of letting it make
  // the offer (off: every offer is made; tests compare both).
  std::atomic<bool> refuse_ahead{true};
  // The paced feeder: a controller pulls a trace replayer's requests itself (DramController::pace) instead of being
  // sent them (off: the replayer offers every request through the kernel; tests compare both).
  std::atomic<bool> paced{true};
};

inline TestingModes& testing_modes() {
  static TestingModes modes;
  return modes;
}

}  // namespace tnpu::dram
