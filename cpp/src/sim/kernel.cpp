#include <sstream>
#include <stdexcept>
#include <utility>

#include "tnpu/error.hpp"
#include "tnpu/sim/kernel.hpp"

namespace tnpu {

std::string_view priority_name(Priority p) noexcept {
  switch (p) {
    case Priority::kCompletion: return "completion";
    case Priority::kRetry: return "retry";
    case Priority::kDefault: return "default";
    case Priority::kMemory: return "memory";
    case Priority::kSample: return "sample";
    case Priority::kObserver: return "observer";
  }
  return "?";
}

std::string_view priority_reason(Priority p) noexcept {
  switch (p) {
    case Priority::kCompletion:
      return "completions first, so a resource freed at t is seen as free by every module acting at t";
    case Priority::kRetry: return "retries of rejected requests after all completions at t have freed their slots";
    case Priority::kDefault: return "ordinary module activity: issuing requests, starting work, arbitration";
    case Priority::kMemory:
      return "memory-controller steps after the ordinary activity at t, so they see every request sent at t";
    case Priority::kSample: return "statistics sampling sees the state after all model activity at t";
    case Priority::kObserver:
      return "observers (Python hooks) last, so they see a consistent state with nothing else due at t";
  }
  return "?";
}

void EventQueue::throw_exhausted() { throw SimulationError("event queue: more than 2^56 events scheduled"); }

Kernel::Kernel() = default;

void Kernel::throw_before_now(Picoseconds t) const {
  std::ostringstream msg;
  msg << "Kernel: cannot schedule an event at " << t << " ps, before the current time " << now_ << " ps";
  throw std::invalid_argument(msg.str());
}

inline void Kernel::execute_next() {
  const Event e = queue_.pop();
  now_ = e.time;
  ++events_executed_;
  e.handler->handle_event(e.arg);
}

bool Kernel::continue_at_after(EventHandler& first, std::uint64_t first_arg, EventTicket first_ticket, Picoseconds t,
                               EventHandler& handler, std::uint64_t arg, Priority priority) {
  if (t < now_) throw_before_now(t);
  const std::uint64_t order = queue_.reserve(priority);
  // `first` would be the first event continue_at runs ahead: it runs ahead at all, nothing pending comes before
  // `first`, and `first` comes before the continued event. Otherwise: queued, then continue_at as usual.
  const EventQueue::Key first_key = EventQueue::key(now_, first_ticket.order);
  if (can_run_ahead(t) && first_key < EventQueue::key(t, order) && (queue_.empty() || first_key < queue_.top_key())) {
    return continue_ordered(t, order, handler, arg, &first, first_arg);
  }
  queue_.push_ordered(now_, first_ticket.order, &first, first_arg);
  return continue_ordered(t, order, handler, arg);
}

bool Kernel::continue_ordered(Picoseconds t, std::uint64_t order, EventHandler& handler, std::uint64_t arg,
                              EventHandler* first, std::uint64_t first_arg) {
  if (!can_run_ahead(t)) {
    queue_.push_ordered(t, order, &handler, arg);
    return false;
  }
  // What run_while would do before reaching the event: run every event ordered before it (all of them have a time
  // <= t <= limit), checking for a stop request before each, as its loop does. `first` (continue_at_after): the
  // first of them, not in the queue.
  const EventQueue::Key mine = EventQueue::key(t, order);
  const EventQueue::Key outer_limit = inline_limit_;
  inline_limit_ = mine;
  ++inline_depth_;
  try {
    if (first != nullptr) {
      ++events_executed_;
      first->handle_event(first_arg);
    }
    while (!queue_.empty() && queue_.top_key() < mine && !stop_requested_) execute_next();
  } catch (...) {
    --inline_depth_;
    inline_limit_ = outer_limit;
    queue_.push_ordered(t, order, &handler, arg);
    throw;
  }
  --inline_depth_;
  inline_limit_ = outer_limit;
  if (stop_requested_) {
    queue_.push_ordered(t, order, &handler, arg);
    return false;
  }
  now_ = t;
  ++inline_advances_;
  return true;
}

void Kernel::schedule_in(Picoseconds delay, EventHandler& handler, std::uint64_t arg, Priority priority) {
  if (delay > UINT64_MAX - now_) throw std::overflow_error("Kernel: now + delay does not fit in 64-bit picoseconds");
  queue_.push(now_ + delay, priority, &handler, arg);
}

void Kernel::call_at(Picoseconds t, std::function<void()> fn, Priority priority) {
  if (!fn) throw std::invalid_argument("Kernel: call_at needs a callable");
  std::uint64_t slot;
  if (!free_closure_slots_.empty()) {
    slot = free_closure_slots_.back();
    free_closure_slots_.pop_back();
    closures_[slot] = std::move(fn);
  } else {
    slot = closures_.size();
    closures_.push_back(std::move(fn));
  }
  try {
    schedule_at(t, closure_handler_, slot, priority);
  } catch (...) {
    closures_[slot] = nullptr;
    free_closure_slots_.push_back(slot);
    throw;
  }
}

void Kernel::ClosureHandler::handle_event(std::uint64_t slot) {
  // Move the closure out first: it may schedule further closures, which can reallocate the slot vector.
  std::function<void()> fn = std::move(kernel_.closures_[slot]);
  kernel_.closures_[slot] = nullptr;
  kernel_.free_closure_slots_.push_back(slot);
  fn();
}

class Kernel::RunGuard {
 public:
  explicit RunGuard(Kernel& k) : k_(k) {
    if (k_.running_) throw std::logic_error("Kernel: run(), run_until() or step() called while the kernel is running");
    k_.running_ = true;
    k_.stop_requested_ = false;
  }
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;
  ~RunGuard() { k_.running_ = false; }

 private:
  Kernel& k_;
};

std::uint64_t Kernel::run_while(Picoseconds limit) {
  const std::uint64_t before = events_executed_;
  limit_ = limit;
  while (!queue_.empty() && queue_.top().time <= limit && !stop_requested_) execute_next();
  return events_executed_ - before;
}

std::uint64_t Kernel::run() {
  RunGuard guard(*this);
  return run_while(UINT64_MAX);
}

std::uint64_t Kernel::run_until(Picoseconds t) {
  if (t < now_) {
    std::ostringstream msg;
    msg << "Kernel: run_until(" << t << " ps) is before the current time " << now_ << " ps";
    throw std::invalid_argument(msg.str());
  }
  RunGuard guard(*this);
  const std::uint64_t n = run_while(t);
  if (!stop_requested_) now_ = t;
  return n;
}

bool Kernel::step() {
  RunGuard guard(*this);
  if (queue_.empty()) return false;
  const Picoseconds t = queue_.top().time;
  run_while(t);
  return true;
}

}  // namespace tnpu
