#pragma once
// CallbackMemory: a memory target whose timing comes from a callback, one call per request (a memory model
// prototyped in Python, through the bindings: tnpu.simulate(..., memory=obj)). The callback sees the request and
// the time and returns its latency; the target keeps the event bookkeeping.
// Contract: send() accepts every request (queueing and bandwidth are the callback's to model, in the latencies it
// returns; the initiators bound what is in flight) and completes it at now + latency, via the kernel, never from
// inside send(); completions at one time come in acceptance order. With max_request_bytes > 0 it takes multi-line
// requests (whole lines of line_bytes, line-aligned, at most max_request_bytes) as one call and one completion for
// the whole request (whole_bursts(): line_completed() is never called). A latency above max_latency_ps, or a
// callback that throws, stops the run with the exception (the bindings add which request it was).
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "tnpu/sim/module.hpp"
#include "tnpu/sim/request.hpp"

namespace tnpu::mem {

struct CallbackMemoryConfig {
  std::uint64_t max_request_bytes = 0;  // largest multi-line request (0: single requests of line_bytes or less)
  std::uint64_t line_bytes = 64;
  Picoseconds max_latency_ps = Picoseconds{1} << 50;  // about 19 minutes of simulated time
  void validate() const;                               // throws ConfigError naming the field
};

class CallbackMemory final : public Module, public Target, private EventHandler {
 public:
  // Returns the latency of `request`, accepted at `now`, in picoseconds.
  using AccessFn = std::function<Picoseconds(const Request& request, Picoseconds now)>;

  CallbackMemory(Simulation& sim, std::string_view name, const CallbackMemoryConfig& config, AccessFn access,
                 Module* parent = nullptr);
  bool send(const Request& request, Initiator& from) override;
  [[nodiscard]] std::uint64_t max_request_bytes(std::uint64_t /*address*/) const override {
    return config_.max_request_bytes;
  }
  [[nodiscard]] std::uint64_t line_bytes() const override {
    return config_.max_request_bytes > 0 ? config_.line_bytes : 0;
  }
  [[nodiscard]] bool whole_bursts() const override { return config_.max_request_bytes > 0; }
  [[nodiscard]] std::uint64_t calls() const noexcept { return requests_.value; }

 private:
  struct InFlight {
    Request request;
    Initiator* initiator = nullptr;
    Picoseconds accepted_ps = 0;
  };
  void handle_event(std::uint64_t slot) override;

  CallbackMemoryConfig config_;
  AccessFn access_;
  std::vector<InFlight> slots_;
  std::vector<std::uint64_t> free_;
  Counter& requests_;
  Counter& lines_;
  Counter& bytes_;
  Accumulator& latency_;
};

}  // namespace tnpu::mem
