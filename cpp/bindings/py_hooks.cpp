#include "py_hooks.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "tnpu/error.hpp"

namespace tnpu::bindings {

namespace {

// A new reference from a C-API call, or the pending Python error as error_already_set.
py::object checked(PyObject* p) {
  if (p == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(p);
}

std::string type_name(PyObject* o) { return Py_TYPE(o)->tp_name; }

std::string short_repr(PyObject* o) {
  std::string s;
  try {
    s = py::repr(py::handle(o)).cast<std::string>();
  } catch (py::error_already_set&) {
    s = "<unprintable>";
  }
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// Adds a note (Python 3.11 add_note) to the exception in flight; never fails.
void add_note(py::error_already_set& e, const std::string& note) {
  try {
    py::object value = e.value();
    if (py::hasattr(value, "add_note")) value.attr("add_note")(note);
  } catch (py::error_already_set&) {  // a note is a courtesy: the original error matters
  }
}

// An int (a Python int or anything with __index__, e.g. numpy integers; not bool) as int64; false if it is not one
// or does not fit.
bool as_int64(PyObject* r, std::int64_t& out, bool& overflow) {
  overflow = false;
  if (PyBool_Check(r) || !PyIndex_Check(r)) return false;
  py::object idx = checked(PyNumber_Index(r));
  int of = 0;
  const long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &of);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  overflow = of != 0;
  out = static_cast<std::int64_t>(v);
  return true;
}

}  // namespace

py::dtype ready_dtype() {
  // Registered on first use (registering imports numpy; importing tnpu._core does not).
  static const bool registered = [] {
    PYBIND11_NUMPY_DTYPE(ReadyRow, task_id, instance, layer, phase, task_class, ready_ps);
    return true;
  }();
  (void)registered;
  return py::dtype::of<ReadyRow>();
}

// ---------------------------------------------------------------------------------------------------------------
// Scheduling policy

PyPolicy::PyPolicy(const py::object& run, const TaskSet& tasks, const std::vector<std::string>& engine_names)
    : tasks_(tasks) {
  pick_ = run.attr("pick");
  if (!PyCallable_Check(pick_.ptr())) throw py::type_error("scheduler policy: pick is not callable");
  label_ = py::str(run.attr("label")).cast<std::string>();
  ready_ = run.attr("ready");
  ready_view_ = run.attr("ready_view");
  running_ = run.attr("running");
  finished_ = run.attr("finished");
  const std::size_t n = tasks.size();
  auto array = [](const py::object& o, const char* what, std::size_t size, std::size_t itemsize) {
    if (!py::isinstance<py::array>(o)) throw ConfigError(std::string("scheduler policy: ") + what + " is not an array");
    auto a = py::reinterpret_borrow<py::array>(o);
    if (a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) < size || !(a.flags() & py::array::c_style) ||
        !a.writeable() || static_cast<std::size_t>(a.itemsize()) != itemsize) {
      throw ConfigError(std::string("scheduler policy: ") + what + " must be a writeable contiguous 1-D array of " +
                        std::to_string(size) + " entries of " + std::to_string(itemsize) + " bytes");
    }
    return a;
  };
  py::array rows = array(ready_, "ready", n, sizeof(ReadyRow));
  if (!rows.dtype().equal(ready_dtype())) throw ConfigError("scheduler policy: ready must have READY_DTYPE");
  py::array running = array(running_, "running", engine_names.size(), sizeof(std::int64_t));
  if (!running.dtype().equal(py::dtype::of<std::int64_t>())) {
    throw ConfigError("scheduler policy: running must be int64");
  }
  py::array finished = array(finished_, "finished", n, 1);
  buffers_.rows = {static_cast<ReadyRow*>(rows.mutable_data()), static_cast<std::size_t>(rows.shape(0))};
  buffers_.running = {static_cast<std::int64_t*>(running.mutable_data()), static_cast<std::size_t>(running.shape(0))};
  buffers_.finished = {static_cast<std::uint8_t*>(finished.mutable_data()),
                       static_cast<std::size_t>(finished.shape(0))};
  for (const std::string& e : engine_names) {
    engine_names_.push_back(py::str(e));
    engine_labels_.push_back(e);
  }
}

SchedulerConfig PyPolicy::config(std::uint32_t window) {
  SchedulerConfig c;
  c.name = "python:" + label_;
  c.window = window;
  c.external = [this, window](const Kernel& kernel) -> std::unique_ptr<Scheduler> {
    return std::make_unique<CallbackScheduler>(
        kernel, window,
        [this](std::uint32_t engine, std::span<const ReadyRow> rows, Picoseconds now) {
          return pick(engine, rows, now);
        },
        buffers_);
  };
  return c;
}

std::string PyPolicy::describe(std::uint32_t engine, std::span<const ReadyRow> rows, Picoseconds now) const {
  std::string s = "scheduler policy " + label_ + ": deciding what engine '" + engine_labels_[engine] +
                  "' starts at " + std::to_string(now) + " ps among " + std::to_string(rows.size()) +
                  " ready task" + (rows.size() == 1 ? "" : "s") + ": ";
  const std::size_t shown = std::min<std::size_t>(rows.size(), 4);
  for (std::size_t i = 0; i < shown; ++i) {
    s += (i ? ", " : "") + std::string("row ") + std::to_string(i) + " = " + tasks_.describe(rows[i].task_id);
  }
  if (rows.size() > shown) s += ", ...";
  return s;
}

std::int64_t PyPolicy::pick(std::uint32_t engine, std::span<const ReadyRow> rows, Picoseconds now) {
  py::gil_scoped_acquire gil;
  py::object result;
  try {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    py::object view = checked(PySequence_GetSlice(ready_view_.ptr(), 0, static_cast<Py_ssize_t>(rows.size())));
    py::object t = checked(PyLong_FromUnsignedLongLong(now));
    std::array<PyObject*, 3> args{engine_names_[engine].ptr(), view.ptr(), t.ptr()};
    result = checked(PyObject_Vectorcall(pick_.ptr(), args.data(), args.size(), nullptr));
  } catch (py::error_already_set& e) {
    add_note(e, "tnpu: raised in " + describe(engine, rows, now));
    throw;
  }
  if (result.is_none()) return -1;
  std::int64_t row = 0;
  bool overflow = false;
  if (!as_int64(result.ptr(), row, overflow)) {
    throw py::type_error(label_ + ".pick returned " + short_repr(result.ptr()) + " (" + type_name(result.ptr()) +
                         "); expected the row of `ready` to start (an int) or None to start nothing [" +
                         describe(engine, rows, now) + "]");
  }
  if (overflow || row < 0 || static_cast<std::uint64_t>(row) >= rows.size()) {
    throw py::index_error(label_ + ".pick returned row " + short_repr(result.ptr()) + ", but `ready` has rows 0.." +
                          std::to_string(rows.size() - 1) + " (return None to start nothing now) [" +
                          describe(engine, rows, now) + "]");
  }
  return row;
}

// ---------------------------------------------------------------------------------------------------------------
// Memory target

PyMemory::PyMemory(const py::object& model, std::uint64_t line_bytes) : model_(model) {
  label_ = py::str(py::type::of(model).attr("__name__")).cast<std::string>();
  if (!py::hasattr(model, "access") || !PyCallable_Check(model.attr("access").ptr())) {
    throw py::type_error("memory=" + label_ +
                         ": expected an object with a method access(addr, bytes, is_write, now_ps) -> latency_ps");
  }
  access_ = model.attr("access");
  config_.line_bytes = line_bytes;
  py::object mrb = py::getattr(model, "max_request_bytes", py::int_(0));
  std::int64_t v = 0;
  bool overflow = false;
  if (!as_int64(mrb.ptr(), v, overflow) || overflow || v < 0 ||
      static_cast<std::uint64_t>(v) % line_bytes != 0) {
    throw py::value_error("memory=" + label_ + ": max_request_bytes must be an int >= 0 and a multiple of the " +
                          std::to_string(line_bytes) + "-byte request, got " + short_repr(mrb.ptr()));
  }
  config_.max_request_bytes = static_cast<std::uint64_t>(v);
}

void PyMemory::install(workload::MemoryModelConfig& config) {
  config.model = "external";
  config.external = [this](Simulation& sim) -> Target& {
    return sim.make<mem::CallbackMemory>(
        "external", config_, [this](const Request& r, Picoseconds now) { return access(r, now); });
  };
}

Picoseconds PyMemory::access(const Request& request, Picoseconds now) {
  py::gil_scoped_acquire gil;
  const bool write = request.command == Command::kWrite;
  auto where = [&] {
    return "memory model " + label_ + ": access(addr=" + std::to_string(request.address) +
           ", bytes=" + std::to_string(request.size_bytes) + ", is_write=" + (write ? "True" : "False") +
           ", now_ps=" + std::to_string(now) + ")";
  };
  py::object result;
  try {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    py::object a = checked(PyLong_FromUnsignedLongLong(request.address));
    py::object b = checked(PyLong_FromUnsignedLong(request.size_bytes));
    py::object t = checked(PyLong_FromUnsignedLongLong(now));
    std::array<PyObject*, 4> args{a.ptr(), b.ptr(), write ? Py_True : Py_False, t.ptr()};
    result = checked(PyObject_Vectorcall(access_.ptr(), args.data(), args.size(), nullptr));
  } catch (py::error_already_set& e) {
    add_note(e, "tnpu: raised in " + where());
    throw;
  }
  std::int64_t latency = 0;
  bool overflow = false;
  if (!as_int64(result.ptr(), latency, overflow)) {
    throw py::type_error(where() + " returned " + short_repr(result.ptr()) + " (" + type_name(result.ptr()) +
                         "); expected the latency in picoseconds as an int >= 0 (round a float)");
  }
  if (overflow || latency < 0 || static_cast<std::uint64_t>(latency) > config_.max_latency_ps) {
    throw py::value_error(where() + " returned " + short_repr(result.ptr()) + "; expected a latency in 0.." +
                          std::to_string(config_.max_latency_ps) + " ps");
  }
  return static_cast<Picoseconds>(latency);
}

}  // namespace tnpu::bindings
