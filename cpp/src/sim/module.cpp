#include <algorithm>

#include "tnpu/error.hpp"
#include "tnpu/sim/module.hpp"

namespace tnpu {

namespace {
void check_leaf(std::string_view name, std::string_view what) {
  bool ok = !name.empty();
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) ok = false;
  }
  if (!ok) {
    throw ConfigError(std::string(what) + ": invalid name '" + std::string(name) +
                      "' (expected lowercase letters, digits and '_')");
  }
}
}  // namespace

Simulation::Simulation(std::string root_name) : root_name_(std::move(root_name)) {
  check_leaf(root_name_, "Simulation");
}

Simulation::~Simulation() {
  // Modules go first (in reverse creation order): they hold references to the kernel and the registry.
  while (!owned_.empty()) owned_.pop_back();
}

std::vector<std::string> Simulation::module_names() const {
  std::vector<std::string> names;
  names.reserve(modules_.size());
  for (const Module* m : modules_) names.push_back(m->name());
  return names;
}

void Simulation::register_module(Module& m) {
  const bool taken = std::any_of(modules_.begin(), modules_.end(),
                                 [&m](const Module* other) { return other->name() == m.name(); });
  if (taken) throw ConfigError("Simulation: a module named '" + m.name() + "' exists already");
  modules_.push_back(&m);
}

void Simulation::unregister_module(const Module& m) noexcept {
  const auto it = std::find(modules_.begin(), modules_.end(), &m);
  if (it != modules_.end()) modules_.erase(it);
}

Module::Module(Simulation& sim, std::string_view name, Module* parent) : sim_(sim), parent_(parent) {
  check_leaf(name, "Module");
  name_ = (parent ? parent->name() : sim.root_name()) + "." + std::string(name);
  sim_.register_module(*this);
  if (parent_) parent_->children_.push_back(this);
}

Module::~Module() {
  if (parent_) {
    auto& siblings = parent_->children_;
    siblings.erase(std::remove(siblings.begin(), siblings.end(), this), siblings.end());
  }
  for (Module* child : children_) child->parent_ = nullptr;
  sim_.unregister_module(*this);
}

std::string Module::stat_name(std::string_view leaf) const { return name_ + "." + std::string(leaf); }

Counter& Module::add_counter(std::string_view leaf, std::string_view unit, std::string_view description) {
  return sim_.stats().counter(stat_name(leaf), unit, description);
}
Accumulator& Module::add_accumulator(std::string_view leaf, std::string_view unit, std::string_view description) {
  return sim_.stats().accumulator(stat_name(leaf), unit, description);
}
Histogram& Module::add_histogram(std::string_view leaf, std::string_view unit, std::string_view description,
                                 double lo, double hi, std::size_t bins) {
  return sim_.stats().histogram(stat_name(leaf), unit, description, lo, hi, bins);
}
void Module::add_formula(std::string_view leaf, std::string_view unit, std::string_view description,
                         std::function<double()> fn) {
  sim_.stats().formula(stat_name(leaf), unit, description, std::move(fn));
}

}  // namespace tnpu
