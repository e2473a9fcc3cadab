#pragma once
// The event queue: a 4-ary min-heap ordered by (time, priority, insertion sequence). Deterministic by construction:
// two events never compare equal, so the same program always executes its events in the same order.
#include <cstdint>
#include <string_view>
#include <vector>

#include "tnpu/sim/interface.hpp"
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
  // Memory-controller steps come after the ordinary activity at t, so a request sent at t is seen by the step at
  // t whichever event was scheduled first (as DRAMsim3's front end adds transactions before the controller ticks).
  kMemory = 3,
  // Statistics sampling sees the state after all model activity at t.
  kSample = 4,
  // Observers (Python hooks) run last at their time, so they see a consistent state: nothing else is due at t.
  kObserver = 5,
};

inline constexpr std::uint8_t kNumPriorities = 6;

[[nodiscard]] std::string_view priority_name(Priority p) noexcept;
[[nodiscard]] std::string_view priority_reason(Priority p) noexcept;

// Something that can be called back by the kernel. `arg` is the value given when the event was scheduled.
class EventHandler : public CopyableInterface<EventHandler> {
 public:
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
  void push_ordered(Picoseconds time, std::uint64_t order, EventHandler* handler, std::uint64_t arg) {
    const Event e{order, time, handler, arg};
    const Key k = key(e);
    // sift up from the new last position (e stays in registers: no reload of the element just stored)
    std::size_t i = heap_.size();
    heap_.emplace_back();
    while (i > 0) {
      const std::size_t parent = (i - 1) / kArity;
      if (!(k < key(heap_[parent]))) break;
      store(heap_[i], load(heap_[parent]));
      i = parent;
    }
    store(heap_[i], e);
  }
  // Precondition: !empty().
  [[nodiscard]] const Event& top() const noexcept { return heap_.front(); }
  [[nodiscard]] Key top_key() const noexcept { return key(heap_.front()); }
  // Removes and returns the first event. Precondition: !empty().
  Event pop() noexcept {
    Event first = load(heap_.front());
    const Event last = load(heap_.back());
    const Key last_key = key(last);
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n != 0) {
      // sift the former last element down from the root
      std::size_t i = 0;
      for (;;) {
        const std::size_t c0 = i * kArity + 1;
        if (c0 >= n) break;
        std::size_t best = c0;
        Key best_key = key(heap_[c0]);
        const std::size_t cend = c0 + kArity < n ? c0 + kArity : n;
        for (std::size_t c = c0 + 1; c < cend; ++c) {
          const Key ck = key(heap_[c]);
          if (ck < best_key) {
            best = c;
            best_key = ck;
          }
        }
        if (!(best_key < last_key)) break;
        store(heap_[i], load(heap_[best]));
        i = best;
      }
      store(heap_[i], last);
    }
    in_registers(first);
    return first;
  }
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

 private:
  static constexpr std::size_t kArity = 4;  // 4-ary: shallower than binary, and the children share a cache line
  [[noreturn]] static void throw_exhausted();
  // Events are copied field by field through registers. An event is written as four 8-byte stores; copying it with
  // 16-byte vector loads shortly after (a small queue: push, then pop a few events later) defeats the CPU's
  // store-to-load forwarding and stalls for a dozen cycles or more. The empty asm statement keeps the compiler from
  // merging the four 8-byte accesses into vector ones again (or spilling and reloading them that way).
  static void in_registers(Event& e) noexcept {
#if defined(__GNUC__)
    __asm__("" : "+r"(e.order), "+r"(e.time), "+r"(e.handler), "+r"(e.arg));
#else
    (void)e;
#endif
  }
  static Event load(const Event& src) noexcept {
    Event e{src.order, src.time, src.handler, src.arg};
    in_registers(e);
    return e;
  }
  static void store(Event& dst, Event e) noexcept {
    in_registers(e);
    dst.order = e.order;
    dst.time = e.time;
    dst.handler = e.handler;
    dst.arg = e.arg;
  }
  static Key key(const Event& e) noexcept { return key(e.time, e.order); }
  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace tnpu
