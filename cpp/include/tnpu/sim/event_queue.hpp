#pragma once
// The event queue: a 4-ary min-heap ordered by (time, priority, insertion sequence). Deterministic by construction:
// two events never compare equal, so the same program always executes its events in the same order.
#include <cstdint>
#include <string_view>
#include <vector>

#include "tnpu/sim/time.hpp"

namespace tnpu {

// Named priorities for events at the same time, lowest value first. Each has the reason for its place.
enum class Priority : std::uint8_t {
  // Completions are delivered first, so that a resource freed at time t (a queue slot, a bus, an engine) is seen
  // as free by every module that acts at t; otherwise the outcome would depend on insertion order.
  kCompletion = 0,
  // Retries of rejected requests come after all completions at t have freed what they free.
  kRetry = 1,
  // Ordinary module activity: issuing requests, starting work, arbitration.
  kDefault = 2,
  // Statistics sampling sees the state after all model activity at t.
  kSample = 3,
  // Observers (Python hooks) run last at their time, so they see a consistent state: nothing else is due at t.
  kObserver = 4,
};

inline constexpr std::uint8_t kNumPriorities = 5;

[[nodiscard]] std::string_view priority_name(Priority p) noexcept;
[[nodiscard]] std::string_view priority_reason(Priority p) noexcept;

// Something that can be called back by the kernel. `arg` is the value given when the event was scheduled.
class EventHandler {
 public:
  EventHandler() = default;
  EventHandler(const EventHandler&) = default;
  EventHandler& operator=(const EventHandler&) = default;
  virtual ~EventHandler() = default;
  virtual void handle_event(std::uint64_t arg) = 0;
};

struct Event {
  std::uint64_t order;  // priority in the top 8 bits, insertion sequence in the low 56
  Picoseconds time;
  EventHandler* handler;
  std::uint64_t arg;
};

class EventQueue {
 public:
  static constexpr std::uint64_t kMaxSequence = (std::uint64_t{1} << 56) - 1;
  // One 128-bit comparison of (time, order) instead of two branches: the heap's inner loop is this comparison.
  __extension__ using Key = unsigned __int128;
  static Key key(Picoseconds time, std::uint64_t order) noexcept { return (Key{time} << 64) | order; }

  void push(Picoseconds time, Priority priority, EventHandler* handler, std::uint64_t arg) {
    push_ordered(time, reserve(priority), handler, arg);
  }
  // Takes the next insertion sequence for an event of this priority and returns its order word, without pushing
  // anything: push_ordered(t, order, ...) later puts the event exactly where push(t, priority, ...) would have put
  // it now. Throws SimulationError after 2^56 events.
  std::uint64_t reserve(Priority priority) {
    if (next_sequence_ > kMaxSequence) throw_exhausted();
    return (std::uint64_t{static_cast<std::uint8_t>(priority)} << 56) | next_sequence_++;
  }
  void push_ordered(Picoseconds time, std::uint64_t order, EventHandler* handler, std::uint64_t arg);
  // Precondition: !empty().
  [[nodiscard]] const Event& top() const noexcept { return heap_.front(); }
  [[nodiscard]] Key top_key() const noexcept { return key(heap_.front()); }
  // Removes and returns the first event. Precondition: !empty().
  Event pop() noexcept;
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

 private:
  [[noreturn]] static void throw_exhausted();
  static Key key(const Event& e) noexcept { return key(e.time, e.order); }
  static bool before(const Event& a, const Event& b) noexcept { return key(a) < key(b); }
  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace tnpu
