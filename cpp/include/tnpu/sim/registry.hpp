#pragma once
// One registry type for every user-visible choice (issue 17): dataflows, schedulers, memory models, engines, DRAM
// standards and policies, trace formats, address mappings. Each entry has a name, a one-line description, its
// parameters (with unit and default) and a factory. An area builds its registry once, in one function, with one
// `add` line per entry (a function-local static: no static-initialisation order, nothing a static-library link
// could drop), and `tnpu._core.registry()` lists every area from `describe()`.
#include <algorithm>
#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tnpu/error.hpp"

namespace tnpu {

// One parameter of a registered choice: the config field a user sets, its unit ("" when dimensionless), its
// default as text and what it means.
struct ParamInfo {
  std::string name;
  std::string unit;
  std::string default_value;
  std::string description;
};

// A default value as ParamInfo text, taken from a default-constructed config struct so that the text cannot drift
// from the code: numbers as C++ streams print them (0.8, 100000), bools as true/false, strings as they are.
template <class T>
[[nodiscard]] std::string default_text(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_arithmetic_v<T>) {
    std::ostringstream out;
    out << +value;
    return out.str();
  } else {
    return std::string(value);
  }
}

// What a registry says of one entry (the factory aside): the rows of `tnpu._core.registry()`.
struct EntryInfo {
  std::string name;
  std::string description;
  std::vector<ParamInfo> params;
};

// Levenshtein distance, for "did you mean" in error messages (names are short).
[[nodiscard]] inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The nearest of `known` to `name` if it is close enough to be a typo (at most a third of its letters differ),
// else "".
[[nodiscard]] inline std::string nearest_name(std::string_view name, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = name.size() / 3 + 1;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(name, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

// Name -> (description, parameters, factory). `Factory` is whatever the area needs: a std::function returning a
// unique_ptr to the interface, a plain function pointer, or a value. Filled once, then read-only.
template <class Factory>
class Registry {
 public:
  struct Entry {
    EntryInfo info;
    Factory factory;
  };

  // `area` names the choice in messages ("dataflow", "scheduler", "DRAM standard").
  explicit Registry(std::string area) : area_(std::move(area)) {}

  // Adds an entry; a name registered twice is a bug and throws.
  Registry& add(std::string name, std::string description, std::vector<ParamInfo> params, Factory factory) {
    if (find(name) != nullptr) throw ConfigError(area_ + " registry: '" + name + "' registered twice");
    entries_.push_back(Entry{EntryInfo{std::move(name), std::move(description), std::move(params)},
                             std::move(factory)});
    return *this;
  }
  Registry& add(std::string name, std::string description, Factory factory) {
    return add(std::move(name), std::move(description), {}, std::move(factory));
  }

  // The entry called `name`, or nullptr.
  [[nodiscard]] const Entry* find(std::string_view name) const noexcept {
    for (const auto& e : entries_)
      if (e.info.name == name) return &e;
    return nullptr;
  }

  // The entry called `name`; otherwise throws ConfigError "<field>: unknown <area> 'x' (known: a, b); did you
  // mean 'y'?". `field` defaults to the area.
  [[nodiscard]] const Entry& at(std::string_view name, std::string_view field = {}) const {
    if (const Entry* e = find(name)) return *e;
    throw ConfigError(unknown_message(name, field));
  }

  // The message `at` throws, for callers that report it themselves.
  [[nodiscard]] std::string unknown_message(std::string_view name, std::string_view field = {}) const {
    std::string msg;
    if (!field.empty()) msg.append(field).append(": ");
    msg.append("unknown ").append(area_).append(" '").append(name).append("' (known: ");
    const auto known = names();
    for (std::size_t i = 0; i < known.size(); ++i) msg.append(i ? ", " : "").append(known[i]);
    msg.append(")");
    if (const auto near = nearest_name(name, known); !near.empty()) msg.append("; did you mean '" + near + "'?");
    return msg;
  }

  [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.push_back(e.info.name);
    return out;
  }
  [[nodiscard]] std::vector<EntryInfo> describe() const {
    std::vector<EntryInfo> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.push_back(e.info);
    return out;
  }
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }
  [[nodiscard]] const std::string& area() const noexcept { return area_; }

 private:
  std::string area_;
  std::vector<Entry> entries_;  // in registration order: the order users see
};

// An area's registry filled by `fill` (its register_builtin_* function). Call it to initialise a function-local
// static, which makes the registry built once, on first use, thread-safe and read-only after:
//   const DataflowRegistry& dataflows() {
//     static const auto registry = make_registry("dataflow", register_builtin_dataflows);
//     return registry;
//   }
template <class Factory>
[[nodiscard]] Registry<Factory> make_registry(std::string area, void (*fill)(Registry<Factory>&)) {
  Registry<Factory> registry(std::move(area));
  fill(registry);
  return registry;
}

}  // namespace tnpu
