#pragma once
// Modules: the named parts of a simulated system (`tnpu.dram.ch0`). A module knows its parent and children, schedules
// events on the simulation's kernel and registers its statistics, prefixed with its own name, in the one registry.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tnpu/sim/kernel.hpp"
#include "tnpu/sim/stats.hpp"

namespace tnpu {

class Module;

// One simulation: a kernel, a statistics registry and the modules it owns. Not copyable or movable (modules keep a
// reference to it). Destroys its modules before its registry and kernel.
class Simulation {
 public:
  explicit Simulation(std::string root_name = "tnpu");
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  ~Simulation();

  [[nodiscard]] Kernel& kernel() noexcept { return kernel_; }
  [[nodiscard]] const Kernel& kernel() const noexcept { return kernel_; }
  [[nodiscard]] StatsRegistry& stats() noexcept { return stats_; }
  [[nodiscard]] const StatsRegistry& stats() const noexcept { return stats_; }
  [[nodiscard]] const std::string& root_name() const noexcept { return root_name_; }

  // Creates a module owned by this simulation and returns it.
  template <class T, class... Args>
  T& make(Args&&... args) {
    auto owned = std::make_unique<T>(*this, std::forward<Args>(args)...);
    T& ref = *owned;
    owned_.push_back(std::move(owned));
    return ref;
  }
  // Names of every module, in creation order.
  [[nodiscard]] std::vector<std::string> module_names() const;
  // Throws ConfigError if a module of that full name exists already.
  void register_module(Module& m);
  void unregister_module(const Module& m) noexcept;

 private:
  std::string root_name_;
  Kernel kernel_;
  StatsRegistry stats_;
  std::vector<Module*> modules_;
  std::vector<std::unique_ptr<Module>> owned_;
};

class Module {
 public:
  // `name` is the leaf name (letters, digits, '_'); the full name is parent's name + "." + name, or the
  // simulation's root name + "." + name without a parent.
  Module(Simulation& sim, std::string_view name, Module* parent = nullptr);
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] Module* parent() const noexcept { return parent_; }
  [[nodiscard]] const std::vector<Module*>& children() const noexcept { return children_; }
  [[nodiscard]] Simulation& simulation() const noexcept { return sim_; }
  [[nodiscard]] Kernel& kernel() const noexcept { return sim_.kernel(); }
  [[nodiscard]] Picoseconds now() const noexcept { return sim_.kernel().now(); }

 protected:
  Counter& add_counter(std::string_view leaf, std::string_view unit, std::string_view description);
  Accumulator& add_accumulator(std::string_view leaf, std::string_view unit, std::string_view description);
  Histogram& add_histogram(std::string_view leaf, std::string_view unit, std::string_view description, double lo,
                           double hi, std::size_t bins);
  void add_formula(std::string_view leaf, std::string_view unit, std::string_view description,
                   std::function<double()> fn);

 private:
  [[nodiscard]] std::string stat_name(std::string_view leaf) const;
  Simulation& sim_;
  Module* parent_;
  std::string name_;
  std::vector<Module*> children_;
};

}  // namespace tnpu
