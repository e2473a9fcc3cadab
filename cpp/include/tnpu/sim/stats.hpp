#pragma once
// Statistics: every statistic is registered once with a hierarchical name, a unit and a one-line description, in
// one registry per simulation. Ratios are derived when read (formulas), never stored.
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tnpu {

struct Counter {
  std::uint64_t value = 0;
  void inc(std::uint64_t n = 1) noexcept { value += n; }
};

// count / sum / min / max of a sampled quantity; the mean is derived.
struct Accumulator {
  std::uint64_t count = 0;
  double sum = 0.0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  void add(double x) noexcept {
    ++count;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  [[nodiscard]] double mean() const noexcept { return count ? sum / static_cast<double>(count) : 0.0; }
};

// Fixed-width bins over [lo, hi) plus underflow and overflow, with the exact count/sum/min/max beside them.
class Histogram {
 public:
  Histogram(double lo, double hi, std::size_t bins);
  void add(double x) noexcept {  // inline: on the path of every completed request
    summary_.add(x);
    if (x < lo_) {
      ++underflow_;
    } else if (x >= hi_) {
      ++overflow_;
    } else {
      const double offset = x - lo_;
      auto i = static_cast<std::size_t>(inv_width_ != 0.0 ? offset * inv_width_ : offset / width_);
      if (i >= bins_.size()) i = bins_.size() - 1;
      ++bins_[i];
    }
  }
  [[nodiscard]] const Accumulator& summary() const noexcept { return summary_; }
  [[nodiscard]] const std::vector<std::uint64_t>& bins() const noexcept { return bins_; }
  [[nodiscard]] double lo() const noexcept { return lo_; }
  [[nodiscard]] double hi() const noexcept { return hi_; }
  [[nodiscard]] std::uint64_t underflow() const noexcept { return underflow_; }
  [[nodiscard]] std::uint64_t overflow() const noexcept { return overflow_; }
  // The q-quantile (0 <= q <= 1), linearly interpolated inside its bin; clamped to [min, max]. 0 when empty.
  [[nodiscard]] double quantile(double q) const;

 private:
  double lo_, hi_, width_;
  // 1 / width_ when width_ is a power of two (then (x - lo) * it == (x - lo) / width_ exactly: both are the
  // correctly rounded value of the same real number); 0 otherwise (divide).
  double inv_width_ = 0.0;
  std::vector<std::uint64_t> bins_;
  std::uint64_t underflow_ = 0, overflow_ = 0;
  Accumulator summary_;
};

// One flattened, readable row of the registry.
struct StatRow {
  std::string name;
  std::string unit;
  std::string description;
  double value;
  bool integral;  // a count: exact as an integer
};

class StatsRegistry {
 public:
  enum class Kind : std::uint8_t { kCounter, kAccumulator, kHistogram, kFormula };

  // Each throws ConfigError on a malformed name (lowercase letters, digits, '_' and '.' only) or a duplicate.
  Counter& counter(std::string_view name, std::string_view unit, std::string_view description);
  Accumulator& accumulator(std::string_view name, std::string_view unit, std::string_view description);
  Histogram& histogram(std::string_view name, std::string_view unit, std::string_view description, double lo,
                       double hi, std::size_t bins);
  // A value derived when read (a ratio, a bandwidth). `fn` must stay valid as long as the registry is read.
  void formula(std::string_view name, std::string_view unit, std::string_view description,
               std::function<double()> fn);

  // Every statistic flattened, in registration order: an accumulator gives .count .sum .mean .min .max; a histogram
  // gives .count .mean .min .max .p50 .p99 .underflow .overflow.
  [[nodiscard]] std::vector<StatRow> rows() const;
  // nullptr if there is no histogram of that name.
  [[nodiscard]] const Histogram* find_histogram(std::string_view name) const;
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::string name, unit, description;
    Kind kind;
    std::size_t index;
  };
  void add_entry(std::string_view name, std::string_view unit, std::string_view description, Kind kind,
                 std::size_t index);
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::deque<Counter> counters_;  // deques keep addresses stable as statistics are added
  std::deque<Accumulator> accumulators_;
  std::deque<Histogram> histograms_;
  std::deque<std::function<double()>> formulas_;
};

}  // namespace tnpu
