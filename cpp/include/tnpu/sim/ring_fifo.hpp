#pragma once
// RingFifo: a first-in first-out queue in one power-of-two ring that only grows: no allocation per element (a
// std::deque allocates a node every few elements of a large type) and no pointer chasing.
#include <cstddef>
#include <utility>
#include <vector>

namespace tnpu {

template <class T>
class RingFifo {
 public:
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Preconditions: !empty().
  [[nodiscard]] T& front() noexcept { return buf_[head_]; }
  [[nodiscard]] const T& front() const noexcept { return buf_[head_]; }
  [[nodiscard]] T& back() noexcept { return buf_[(head_ + size_ - 1) & mask_]; }
  void pop_front() noexcept {
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  void push_back(const T& value) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & mask_] = value;
    ++size_;
  }

 private:
  void grow() {
    std::vector<T> bigger(buf_.empty() ? 16 : 2 * buf_.size());
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(buf_[(head_ + i) & mask_]);
    buf_ = std::move(bigger);
    head_ = 0;
    mask_ = buf_.size() - 1;
  }
  std::vector<T> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace tnpu
