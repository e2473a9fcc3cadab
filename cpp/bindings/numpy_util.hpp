#pragma once
// Zero-copy hand-over of C++ vectors to numpy: the array's base is a capsule owning the moved vector.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <vector>

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

}  // namespace tnpu::bindings
