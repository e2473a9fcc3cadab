#pragma once
// The discrete-event kernel: one event queue, one notion of now, no threads or coroutines.
// Contract: events execute in (time, priority, insertion) order; time never goes backwards; scheduling before now
// is an error (std::invalid_argument); the kernel calls into Python only through closures a binding registered.
#include <cstdint>
#include <functional>
#include <vector>

#include "tnpu/sim/event_queue.hpp"
#include "tnpu/sim/time.hpp"

namespace tnpu {

// An event's place in the kernel's order (its priority and insertion sequence), taken before the event itself is
// scheduled: see Kernel::reserve and Kernel::schedule_reserved.
struct EventTicket {
  std::uint64_t order = 0;
};

class Kernel {
 public:
  Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  Kernel(Kernel&&) = delete;
  Kernel& operator=(Kernel&&) = delete;
  ~Kernel() = default;

  [[nodiscard]] Picoseconds now() const noexcept { return now_; }

  // Schedules handler.handle_event(arg) at absolute time t. Throws std::invalid_argument if t < now().
  void schedule_at(Picoseconds t, EventHandler& handler, std::uint64_t arg = 0,
                   Priority priority = Priority::kDefault) {
    if (t < now_) throw_before_now(t);
    queue_.push(t, priority, &handler, arg);
  }
  // As schedule_at(now() + delay, ...). Throws std::overflow_error if the sum does not fit.
  void schedule_in(Picoseconds delay, EventHandler& handler, std::uint64_t arg = 0,
                   Priority priority = Priority::kDefault);
  // Takes the insertion sequence an event of this priority scheduled now would get, without scheduling it. A later
  // schedule_reserved(t, handler, arg, ticket) puts the event exactly where schedule_at(t, handler, arg, priority)
  // would have put it at the time of reserve(), provided it is scheduled before any event that comes after it in
  // the (time, priority, sequence) order has run (e.g. by the handler of an event that comes before it). Lets a
  // module keep one queued event for a FIFO of its own future events instead of one queued event each.
  [[nodiscard]] EventTicket reserve(Priority priority = Priority::kDefault) { return {queue_.reserve(priority)}; }
  // Throws std::invalid_argument if t < now().
  void schedule_reserved(Picoseconds t, EventHandler& handler, std::uint64_t arg, EventTicket ticket) {
    if (t < now_) throw_before_now(t);
    queue_.push_ordered(t, ticket.order, &handler, arg);
  }
  // Schedules a one-shot closure (slower than a handler: use it for hooks and tests, not hot paths).
  void call_at(Picoseconds t, std::function<void()> fn, Priority priority = Priority::kDefault);

  // Runs until no event is left or stop() is called. Returns the number of events executed by this call.
  std::uint64_t run();
  // Runs every event with time <= t, then sets now() to t (if not stopped earlier). Throws if t < now().
  std::uint64_t run_until(Picoseconds t);
  // Executes every event of the next time point (all priorities) and nothing after it. Returns false if the
  // queue was empty.
  bool step();
  // Asks the running loop to return after the current event (used when a hook fails).
  void stop() noexcept { stop_requested_ = true; }

  [[nodiscard]] bool empty() const noexcept { return queue_.empty(); }
  [[nodiscard]] std::size_t pending() const noexcept { return queue_.size(); }
  // Time of the next event. Precondition: !empty().
  [[nodiscard]] Picoseconds next_time() const noexcept { return queue_.top().time; }
  // Time of the next pending event, or the maximum time when none is pending (a cheap peek).
  [[nodiscard]] Picoseconds next_event_time() const noexcept {
    return queue_.empty() ? kNoEvent : queue_.top().time;
  }
  // Tail continuation of an event handler: the same as schedule_at(t, handler, arg, priority) followed by returning
  // from the handler, except that, when it can, the kernel runs (nested, in their exact order) every pending event
  // that would run before that event, sets now() to t and returns true: the caller then does that event's work
  // inline. Otherwise (not running, t beyond the current run's limit, stop requested, called from inside another
  // continue_at's nested events, or one of those events throws) the event is queued in the very place it would
  // have had and it returns false (or rethrows). Exact by construction: events run in the order they would have.
  // Precondition: called from an event handler of this kernel that does nothing after it returns false, and on
  // true nothing but the work of the event it stands for. Throws std::invalid_argument if t < now().
  bool continue_at(Picoseconds t, EventHandler& handler, std::uint64_t arg = 0,
                   Priority priority = Priority::kDefault) {
    if (t < now_) throw_before_now(t);
    const std::uint64_t order = queue_.reserve(priority);
    // (Inline, the common case of a module running ahead alone: nothing pending comes before the event, so there is
    // nothing to run nested; continue_ordered would only advance the time. Exactly its result.)
    if (can_run_ahead(t) && (queue_.empty() || !(queue_.top_key() < EventQueue::key(t, order)))) {
      now_ = t;
      ++inline_advances_;
      return true;
    }
    return continue_ordered(t, order, handler, arg);
  }
  // schedule_reserved(now(), first, first_arg, first_ticket) followed by continue_at(t, handler, arg, priority)
  // (same precondition): the same events in the same order, except that when `first` is the first event that
  // continue_at runs ahead (nested, as it would), it runs without going through the queue (it still counts as an
  // executed event). For a handler that took an event's place with reserve() and would schedule it at its tail.
  bool continue_at_after(EventHandler& first, std::uint64_t first_arg, EventTicket first_ticket, Picoseconds t,
                         EventHandler& handler, std::uint64_t arg, Priority priority);
  // For a handler's tail (the same precondition as continue_at): true if the work of an event that would be
  // scheduled now at (now(), priority) can be done right away instead, in the caller, because nothing would run
  // before that event: the kernel is running, inline running is enabled, no stop was requested, no pending event
  // comes first (one at the same time and priority was scheduled earlier, so it would), and neither does the event
  // an enclosing continue_at() is running ahead to. Counts as an inline advance when true.
  [[nodiscard]] bool run_now(Priority priority) noexcept {
    if (!inline_enabled_ || !running_ || stop_requested_) return false;
    const EventQueue::Key last = EventQueue::key(now_, (std::uint64_t{static_cast<std::uint8_t>(priority)} << 56) |
                                                           EventQueue::kMaxSequence);
    if ((!queue_.empty() && queue_.top_key() <= last) || inline_limit_ <= last) return false;
    ++inline_advances_;
    return true;
  }
  // With false, continue_at() never runs anything inline: every event goes through the queue (the
  // same simulation, slower; tests and benchmarks compare both paths). Default true.
  void set_inline_enabled(bool enabled) noexcept { inline_enabled_ = enabled; }
  [[nodiscard]] bool inline_enabled() const noexcept { return inline_enabled_; }
  // Number of successful continue_at() calls (events run inline instead of through the queue).
  [[nodiscard]] std::uint64_t inline_advances() const noexcept { return inline_advances_; }
  static constexpr Picoseconds kNoEvent = UINT64_MAX;
  [[nodiscard]] std::uint64_t events_executed() const noexcept { return events_executed_; }
  [[nodiscard]] bool running() const noexcept { return running_; }

 private:
  class ClosureHandler final : public EventHandler {
   public:
    explicit ClosureHandler(Kernel& k) : kernel_(k) {}
    void handle_event(std::uint64_t slot) override;

   private:
    Kernel& kernel_;
  };
  class RunGuard;

  void execute_next();
  // continue_at with the event's order already taken (its checks done): runs ahead or queues it.
  bool continue_ordered(Picoseconds t, std::uint64_t order, EventHandler& handler, std::uint64_t arg,
                        EventHandler* first = nullptr, std::uint64_t first_arg = 0);
  [[nodiscard]] bool can_run_ahead(Picoseconds t) const noexcept {
    return inline_enabled_ && running_ && !stop_requested_ && t <= limit_ && inline_depth_ == 0;
  }
  [[noreturn]] void throw_before_now(Picoseconds t) const;
  std::uint64_t run_while(Picoseconds limit);

  EventQueue queue_;
  Picoseconds now_ = 0;
  std::uint64_t events_executed_ = 0;
  std::uint64_t inline_advances_ = 0;
  Picoseconds limit_ = 0;  // the running loop's time limit (run: max, run_until: t, step: the step's time)
  std::uint32_t inline_depth_ = 0;  // continue_at calls running nested events
  // The key of the event the innermost continue_at() is running ahead to (none: the maximum): run_now() stays before.
  EventQueue::Key inline_limit_ = ~EventQueue::Key{0};
  bool inline_enabled_ = true;
  bool running_ = false;
  bool stop_requested_ = false;
  ClosureHandler closure_handler_{*this};
  std::vector<std::function<void()>> closures_;
  std::vector<std::uint64_t> free_closure_slots_;
};

}  // namespace tnpu
