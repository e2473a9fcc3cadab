#include "tnpu/mem/callback_memory.hpp"

#include <string>

#include "tnpu/error.hpp"

namespace tnpu::mem {

void CallbackMemoryConfig::validate() const {
  if (line_bytes == 0) throw ConfigError("external memory: line_bytes must be at least 1");
  if (max_request_bytes % line_bytes != 0) {
    throw ConfigError("external memory: max_request_bytes must be a multiple of the line (" +
                      std::to_string(line_bytes) + " B), got " + std::to_string(max_request_bytes));
  }
}

CallbackMemory::CallbackMemory(Simulation& sim, std::string_view name, const CallbackMemoryConfig& config,
                               AccessFn access, Module* parent)
    : Module(sim, name, parent),
      config_((config.validate(), config)),
      access_(std::move(access)),
      requests_(add_counter("requests", "count", "requests accepted (one callback call each)")),
      lines_(add_counter("lines", "count", "lines of the requests accepted")),
      bytes_(add_counter("bytes", "B", "bytes moved by accepted requests")),
      latency_(add_accumulator("latency", "ps", "latency the callback returned")) {
  if (!access_) throw ConfigError("external memory: no access callback");
}

bool CallbackMemory::send(const Request& request, Initiator& from) {
  const std::uint64_t lines = request_lines(request, config_.line_bytes, config_.max_request_bytes, "external memory");
  const Picoseconds t = now();
  const Picoseconds latency = access_(request, t);
  if (latency > config_.max_latency_ps) {
    throw ConfigError("external memory: latency " + std::to_string(latency) + " ps for the request at address " +
                      std::to_string(request.address) + " is above the limit of " +
                      std::to_string(config_.max_latency_ps) + " ps");
  }
  std::uint64_t slot;
  if (free_.empty()) {
    slot = slots_.size();
    slots_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  InFlight& f = slots_[slot];
  f.request = request;
  f.request.flags &= ~Request::kNotifyLines;  // one completion for the whole request
  f.initiator = &from;
  f.accepted_ps = t;
  requests_.inc();
  lines_.inc(lines);
  bytes_.inc(request.size_bytes);
  latency_.add(static_cast<double>(latency));
  kernel().schedule_at(t + latency, *this, slot, Priority::kCompletion);
  return true;
}

void CallbackMemory::handle_event(std::uint64_t slot) {
  const InFlight f = slots_[slot];
  free_.push_back(slot);
  f.initiator->complete(f.request);
}

}  // namespace tnpu::mem
