#pragma once
// A transaction queue of a DRAM channel (slot ids, oldest first): contiguous, so that it reads as a span, with its
// oldest entry leaving in O(1) (a moving head) and an entry near the front leaving by moving the ones before it.
// (A std::vector's erase moved every later entry: a memmove per transaction moved into its bank queue.)
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace tnpu::dram {

class TxnQueue {
 public:
  // Room for about `capacity` entries before the storage grows (it grows when more are queued, as a vector does).
  void reserve(std::size_t capacity) { buf_.resize(std::max<std::size_t>(4 * capacity, 16)); }
  [[nodiscard]] std::size_t size() const noexcept { return tail_ - head_; }
  [[nodiscard]] bool empty() const noexcept { return tail_ == head_; }
  [[nodiscard]] std::uint32_t operator[](std::size_t i) const noexcept { return buf_[head_ + i]; }
  [[nodiscard]] const std::uint32_t* data() const noexcept { return buf_.data() + head_; }
  [[nodiscard]] const std::uint32_t* begin() const noexcept { return data(); }
  [[nodiscard]] const std::uint32_t* end() const noexcept { return buf_.data() + tail_; }
  [[nodiscard]] std::span<const std::uint32_t> view() const noexcept { return {data(), size()}; }
  void push_back(std::uint32_t v) {
    if (tail_ == buf_.size()) make_room();
    buf_[tail_++] = v;
  }
  // Removes entry i (the order of the others is kept).
  void erase(std::size_t i) noexcept {
    std::uint32_t* const p = buf_.data();
    const std::size_t n = size();
    if (i < n / 2) {
      std::memmove(p + head_ + 1, p + head_, i * sizeof(std::uint32_t));  // (nothing to move for the oldest)
      ++head_;
    } else {
      std::memmove(p + head_ + i, p + head_ + i + 1, (n - i - 1) * sizeof(std::uint32_t));
      --tail_;
    }
    if (head_ == tail_) head_ = tail_ = 0;
  }

 private:
  void make_room() {
    const std::size_t n = size();
    if (head_ > 0) {  // the entries back to the start of the storage
      std::memmove(buf_.data(), buf_.data() + head_, n * sizeof(std::uint32_t));
      head_ = 0;
      tail_ = n;
    }
    if (tail_ == buf_.size()) buf_.resize(std::max<std::size_t>(2 * buf_.size(), 16));
  }
  std::vector<std::uint32_t> buf_;
  std::size_t head_ = 0, tail_ = 0;
};

}  // namespace tnpu::dram
