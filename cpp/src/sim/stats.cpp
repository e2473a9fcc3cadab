#include <algorithm>
#include <cmath>
#include <sstream>

#include "tnpu/error.hpp"
#include "tnpu/sim/stats.hpp"

namespace tnpu {

Histogram::Histogram(double lo, double hi, std::size_t bins)
    : lo_(lo), hi_(hi), width_(0.0), bins_(bins, 0) {
  if (!(std::isfinite(lo) && std::isfinite(hi) && hi > lo)) {
    std::ostringstream msg;
    msg << "Histogram: needs finite lo < hi (got lo=" << lo << ", hi=" << hi << ")";
    throw ConfigError(msg.str());
  }
  if (bins == 0 || bins > (std::size_t{1} << 24)) {
    std::ostringstream msg;
    msg << "Histogram: bins must be between 1 and 2^24 (got " << bins << ")";
    throw ConfigError(msg.str());
  }
  width_ = (hi - lo) / static_cast<double>(bins);
  int e = 0;
  const double inv = 1.0 / width_;
  if (std::frexp(width_, &e) == 0.5 && std::isfinite(inv) && std::frexp(inv, &e) == 0.5 && inv * width_ == 1.0) {
    inv_width_ = inv;
  }
}

double Histogram::quantile(double q) const {
  if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("Histogram::quantile: q must be in [0, 1]");
  if (summary_.count == 0) return 0.0;
  const double target = q * static_cast<double>(summary_.count);
  double seen = static_cast<double>(underflow_);
  double result = summary_.max;
  if (target <= seen && underflow_ > 0) {
    result = summary_.min;
  } else {
    bool found = false;
    for (std::size_t i = 0; i < bins_.size(); ++i) {
      const auto c = static_cast<double>(bins_[i]);
      if (c > 0.0 && seen + c >= target) {
        const double frac = (target - seen) / c;
        result = lo_ + (static_cast<double>(i) + frac) * width_;
        found = true;
        break;
      }
      seen += c;
    }
    if (!found) result = summary_.max;
  }
  return std::clamp(result, summary_.min, summary_.max);
}

namespace {
void check_name(std::string_view name) {
  bool ok = !name.empty() && name.front() != '.' && name.back() != '.';
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) ok = false;
  }
  if (!ok) {
    throw ConfigError("statistics: invalid name '" + std::string(name) +
                      "' (expected lowercase letters, digits, '_' and '.', not starting or ending with '.')");
  }
}
}  // namespace

void StatsRegistry::add_entry(std::string_view name, std::string_view unit, std::string_view description, Kind kind,
                              std::size_t index) {
  std::string key(name);
  if (by_name_.contains(key)) throw ConfigError("statistics: '" + key + "' is registered twice");
  by_name_.emplace(key, entries_.size());
  entries_.push_back(Entry{std::move(key), std::string(unit), std::string(description), kind, index});
}

Counter& StatsRegistry::counter(std::string_view name, std::string_view unit, std::string_view description) {
  check_name(name);
  add_entry(name, unit, description, Kind::kCounter, counters_.size());
  return counters_.emplace_back();
}

Accumulator& StatsRegistry::accumulator(std::string_view name, std::string_view unit,
                                        std::string_view description) {
  check_name(name);
  add_entry(name, unit, description, Kind::kAccumulator, accumulators_.size());
  return accumulators_.emplace_back();
}

Histogram& StatsRegistry::histogram(std::string_view name, std::string_view unit, std::string_view description,
                                    double lo, double hi, std::size_t bins) {
  check_name(name);
  Histogram h(lo, hi, bins);  // validate before registering the name
  add_entry(name, unit, description, Kind::kHistogram, histograms_.size());
  return histograms_.emplace_back(std::move(h));
}

void StatsRegistry::formula(std::string_view name, std::string_view unit, std::string_view description,
                            std::function<double()> fn) {
  check_name(name);
  if (!fn) throw ConfigError("statistics: formula '" + std::string(name) + "' needs a function");
  add_entry(name, unit, description, Kind::kFormula, formulas_.size());
  formulas_.push_back(std::move(fn));
}

std::vector<StatRow> StatsRegistry::rows() const {
  std::vector<StatRow> out;
  out.reserve(entries_.size() * 2);
  const auto summary_rows = [&out](const Entry& e, const Accumulator& a, bool with_sum) {
    out.push_back({e.name + ".count", "count", e.description + " (samples)", static_cast<double>(a.count), true});
    if (with_sum) out.push_back({e.name + ".sum", e.unit, e.description + " (sum)", a.sum, false});
    out.push_back({e.name + ".mean", e.unit, e.description + " (mean)", a.mean(), false});
    out.push_back({e.name + ".min", e.unit, e.description + " (min)", a.count ? a.min : 0.0, false});
    out.push_back({e.name + ".max", e.unit, e.description + " (max)", a.count ? a.max : 0.0, false});
  };
  for (const Entry& e : entries_) {
    switch (e.kind) {
      case Kind::kCounter:
        out.push_back({e.name, e.unit, e.description, static_cast<double>(counters_[e.index].value), true});
        break;
      case Kind::kAccumulator: summary_rows(e, accumulators_[e.index], true); break;
      case Kind::kHistogram: {
        const Histogram& h = histograms_[e.index];
        summary_rows(e, h.summary(), false);
        out.push_back({e.name + ".p50", e.unit, e.description + " (median)", h.quantile(0.5), false});
        out.push_back({e.name + ".p99", e.unit, e.description + " (99th percentile)", h.quantile(0.99), false});
        out.push_back({e.name + ".underflow", "count", e.description + " (below the histogram range)",
                       static_cast<double>(h.underflow()), true});
        out.push_back({e.name + ".overflow", "count", e.description + " (above the histogram range)",
                       static_cast<double>(h.overflow()), true});
        break;
      }
      case Kind::kFormula: out.push_back({e.name, e.unit, e.description, formulas_[e.index](), false}); break;
    }
  }
  return out;
}

const Histogram* StatsRegistry::find_histogram(std::string_view name) const {
  const auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return nullptr;
  const Entry& e = entries_[it->second];
  return e.kind == Kind::kHistogram ? &histograms_[e.index] : nullptr;
}

}  // namespace tnpu
