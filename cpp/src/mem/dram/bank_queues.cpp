// DRAMsim3's per-bank command scheduling with its timing wheel (see bank_queues.hpp).
#include "tnpu/mem/dram/bank_queues.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "tnpu/error.hpp"

namespace tnpu::dram {

BankQueueScheduler::BankQueueScheduler(const DramSpec& spec, TimingState& timing, const RefreshPolicy& refresh,
                                       RowPolicy row, bool enabled)
    : t_(timing),
      refresh_(refresh),
      closed_page_(row == RowPolicy::kClosed),
      queue_size_(enabled ? spec.bank_queue_size : 0) {
  if (queue_size_ == 0) return;
  const std::size_t nbanks = t_.banks();
  bank_q_.assign(nbanks, {});
  nonempty_.assign((nbanks + 63) / 64, 0);
  full_.assign((nbanks + 63) / 64, 0);
  words_ = nonempty_.size();
  examine_.assign(words_, 0);
  changed_.assign(nonempty_.size(), 0);
  wheel_.assign(kWheel * nonempty_.size(), 0);
  parked_slot_.assign(nbanks, 0);
  for (std::size_t w = 0; w < 2; ++w) {
    txn_count_[w].assign(nbanks, 0);
    txn_mask_[w].assign((nbanks + 63) / 64, 0);
  }
  for (auto& q : bank_q_) q.reserve(queue_size_);
}

}  // namespace tnpu::dram
