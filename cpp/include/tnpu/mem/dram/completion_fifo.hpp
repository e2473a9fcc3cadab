#pragma once
// The completion FIFO of a DRAM channel: finished lines in completion order, each with whether its initiator is
// called back (a kernel event) or not (a line of a burst whose completion nobody waits for).
#include <cstdint>
#include <limits>
#include <vector>

namespace tnpu::dram {

// A FIFO of (cycle, slot) with monotone cycles; grows by doubling (only while the controller warms up).
class CompletionFifo {
 public:
  CompletionFifo() : items_(16) {}
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  struct Item {
    std::uint64_t cycle;
    std::uint32_t slot;
    bool visible;  // the initiator is called back (else a line of a burst whose completion nobody waits for)
  };
  void push(std::uint64_t cycle, std::uint32_t slot, bool visible) {
    if (size_ == items_.size()) grow();
    items_[(head_ + size_) & (items_.size() - 1)] = Item{cycle, slot, visible};
    ++size_;
  }
  [[nodiscard]] const Item& front() const noexcept { return items_[head_]; }
  [[nodiscard]] const Item& back() const noexcept { return items_[(head_ + size_ - 1) & (items_.size() - 1)]; }
  void pop() noexcept {
    head_ = (head_ + 1) & (items_.size() - 1);
    --size_;
  }
  // Cycle of the first visible item (kNever-like max if none).
  [[nodiscard]] std::uint64_t first_visible_cycle() const noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      const Item& it = items_[(head_ + i) & (items_.size() - 1)];
      if (it.visible) return it.cycle;
    }
    return std::numeric_limits<std::uint64_t>::max();
  }
  std::uint64_t event_cycle = std::numeric_limits<std::uint64_t>::max();  // its kernel event, if one is pending

 private:
  void grow() {
    std::vector<Item> bigger(items_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = items_[(head_ + i) & (items_.size() - 1)];
    items_.swap(bigger);
    head_ = 0;
  }
  std::vector<Item> items_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace tnpu::dram
