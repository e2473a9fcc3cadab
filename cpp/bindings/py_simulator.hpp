#pragma once
// The Python-facing simulator: a Simulation plus the state that Python hooks need (kept out of the C++ core).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "tnpu/sim/module.hpp"

namespace tnpu::bindings {

namespace py = pybind11;

class PySimulator {
 public:
  explicit PySimulator(std::string root_name);
  PySimulator(const PySimulator&) = delete;
  PySimulator& operator=(const PySimulator&) = delete;
  ~PySimulator();

  [[nodiscard]] Simulation& sim() noexcept { return *sim_; }
  [[nodiscard]] const Simulation& sim() const noexcept { return *sim_; }

  std::uint64_t run(std::optional<Picoseconds> until);
  bool step();
  void call_at(Picoseconds t, py::function fn);
  [[nodiscard]] py::list stats_rows() const;
  [[nodiscard]] py::tuple histogram(const std::string& name) const;

 private:
  void rethrow_hook_error();
  std::unique_ptr<Simulation> sim_;
  std::unordered_map<std::uint64_t, py::object> hooks_;
  std::uint64_t next_hook_id_ = 0;
  std::exception_ptr hook_error_;
};

}  // namespace tnpu::bindings
