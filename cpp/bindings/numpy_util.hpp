#pragma once
// Zero-copy hand-over of C++ vectors to numpy: the array's base is a capsule owning the moved vector.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tnpu/error.hpp"
#include "tnpu/sim/stats.hpp"

namespace tnpu::bindings {

namespace py = pybind11;

template <class T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto owner = std::make_unique<std::vector<T>>(std::move(v));
  const auto size = static_cast<py::ssize_t>(owner->size());
  T* data = owner->data();
  py::capsule base(owner.get(), [](void* p) { std::unique_ptr<std::vector<T>>(static_cast<std::vector<T>*>(p)); });
  owner.release();  // the capsule owns it now
  return py::array_t<T>(size, data, base);
}

// A read-only numpy view of a vector owned by the Python object `owner` (its base): no copy. Safe when the owner's
// vectors are never resized after the run (results), and the view keeps the owner alive.
template <class T>
py::array_t<T> view(const py::object& owner, const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()), v.data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

template <class T>
using InArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Copies a 1-D array into a vector; `expected` entries unless SIZE_MAX. Throws ConfigError naming `field`.
template <class T>
std::vector<T> to_vector(const InArray<T>& a, const char* field, std::size_t expected = SIZE_MAX) {
  if (a.ndim() != 1) throw ConfigError(std::string(field) + ": expected a 1-D array");
  if (expected != SIZE_MAX && static_cast<std::size_t>(a.size()) != expected) {
    throw ConfigError(std::string(field) + ": expected " + std::to_string(expected) + " entries, got " +
                      std::to_string(a.size()));
  }
  return std::vector<T>(a.data(), a.data() + a.size());
}

// Statistics rows as a list of (name, unit, description, value); counts as exact ints, the rest as floats.
inline py::list stats_to_list(const std::vector<StatRow>& rows) {
  py::list out;
  for (const StatRow& r : rows) {
    py::object value = r.integral ? py::object(py::int_(static_cast<std::uint64_t>(r.value)))
                                  : py::object(py::float_(r.value));
    out.append(py::make_tuple(r.name, r.unit, r.description, value));
  }
  return out;
}

}  // namespace tnpu::bindings
