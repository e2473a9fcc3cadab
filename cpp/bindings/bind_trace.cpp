// Bindings of the DRAM trace area: format detection, the streaming reader (chunks into numpy arrays), the writer
// and the TraceReplayer module. Python never sees one line at a time.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "py_simulator.hpp"
#include "tnpu/error.hpp"
#include "tnpu/trace/dram_trace.hpp"
#include "tnpu/trace/trace_replayer.hpp"

namespace tnpu::bindings {

namespace {

template <class T>
using Ref = std::unique_ptr<T, py::nodelete>;  // modules are owned by their Simulation, never by Python

using U8Array = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;
using U64Array = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

// The Python-facing reader and writer: the C++ object plus a busy flag. The flag is tested and set with the GIL
// held, before the GIL is released, so two Python threads can never use one reader or writer at the same time
// (that would be a data race); the second gets a RuntimeError instead.
struct PyTraceReader {
  PyTraceReader(const std::string& path, const DramTraceOptions& o) : reader(path, o) {}
  DramTraceReader reader;
  bool busy = false;
};

struct PyTraceWriter {
  PyTraceWriter(const std::string& path, DramTraceFormat f, bool gzip, int level) : writer(path, f, gzip, level) {}
  DramTraceWriter writer;
  bool busy = false;
};

class BusyGuard {
 public:
  BusyGuard(bool& flag, const char* what) : flag_(flag) {
    if (flag_) throw std::runtime_error(std::string(what) + ": already in use by another thread");
    flag_ = true;
  }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;
  ~BusyGuard() { flag_ = false; }

 private:
  bool& flag_;
};

// Reads up to max_records records into four new arrays (command 0 read / 1 write, address, stamp, line).
py::tuple read_chunk(PyTraceReader& self, std::size_t max_records) {
  constexpr std::size_t kMaxChunk = std::size_t{1} << 28;  // 7 GB of arrays: anything bigger is a mistake
  if (max_records == 0 || max_records > kMaxChunk) {
    throw ConfigError("read_chunk.max_records: expected 1.." + std::to_string(kMaxChunk) + ", got " +
                      std::to_string(max_records));
  }
  const BusyGuard busy(self.busy, "DramTraceReader");
  DramTraceReader& reader = self.reader;
  const auto n = static_cast<py::ssize_t>(max_records);
  py::array_t<std::uint8_t> commands(n);
  py::array_t<std::uint64_t> addresses(n);
  py::array_t<std::uint64_t> stamps(n);
  py::array_t<std::uint64_t> lines(n);
  std::uint8_t* c = commands.mutable_data();
  std::uint64_t* a = addresses.mutable_data();
  std::uint64_t* s = stamps.mutable_data();
  std::uint64_t* l = lines.mutable_data();
  std::size_t got = 0;
  {
    // Safe to release: the reader and the four buffers are owned here and touched by this thread only.
    py::gil_scoped_release release;
    DramTraceRecord r;
    while (got < max_records && reader.next(r)) {
      c[got] = static_cast<std::uint8_t>(r.command);
      a[got] = r.address;
      s[got] = r.has_stamp ? r.stamp_cycles : 0;
      l[got] = r.line;
      ++got;
    }
  }
  if (got == max_records) return py::make_tuple(commands, addresses, stamps, lines);
  const py::slice head(0, static_cast<py::ssize_t>(got), 1);
  return py::make_tuple(commands[head], addresses[head], stamps[head], lines[head]);
}

void write_arrays(PyTraceWriter& self, const U8Array& commands, const U64Array& addresses,
                  const std::optional<U64Array>& stamps) {
  const BusyGuard busy(self.busy, "DramTraceWriter");
  DramTraceWriter& writer = self.writer;
  if (commands.ndim() != 1 || addresses.ndim() != 1 || (stamps && stamps->ndim() != 1)) {
    throw ConfigError("write: commands, addresses and stamps must be one-dimensional arrays");
  }
  const auto n = static_cast<std::size_t>(commands.size());
  if (static_cast<std::size_t>(addresses.size()) != n || (stamps && static_cast<std::size_t>(stamps->size()) != n)) {
    throw ConfigError("write: commands, addresses and stamps must have the same length (got " +
                      std::to_string(commands.size()) + ", " + std::to_string(addresses.size()) +
                      (stamps ? ", " + std::to_string(stamps->size()) : std::string()) + ")");
  }
  const std::uint8_t* c = commands.data();
  // numpy may hand over misaligned data (a field of a packed structured array): read bytes, never a uint64_t*.
  const auto* a = static_cast<const char*>(static_cast<const void*>(addresses.data()));
  const auto* s = stamps ? static_cast<const char*>(static_cast<const void*>(stamps->data())) : nullptr;
  constexpr std::size_t kWord = sizeof(std::uint64_t);
  for (std::size_t i = 0; i < n; ++i) {
    if (c[i] > 1) {
      throw ConfigError("write: commands[" + std::to_string(i) + "] must be 0 (read) or 1 (write), got " +
                        std::to_string(c[i]));
    }
  }
  // Safe to release: the arrays are kept alive by the caller's references and are only read here.
  py::gil_scoped_release release;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t address = 0;
    std::uint64_t stamp = 0;
    std::memcpy(&address, a + i * kWord, kWord);
    if (s != nullptr) std::memcpy(&stamp, s + i * kWord, kWord);
    writer.write(c[i] != 0 ? Command::kWrite : Command::kRead, address, stamp);
  }
}

}  // namespace

void bind_trace(py::module_& m) {
  m.def("gzip_supported", &gzip_supported, "Whether this build reads and writes gzip traces (zlib found).");
  m.def(
      "detect_trace_format",
      [](const std::string& path) {
        DramTraceFormat f{};
        {
          py::gil_scoped_release release;  // file I/O only
          f = detect_format(path);
        }
        return std::string(format_name(f));
      },
      py::arg("path"), "Format name of a DRAM trace, from its first request line.");

  m.def(
      "scan_dram_trace",
      [](const std::string& path, const std::string& format, bool monotonic_stamps) {
        DramTraceOptions o;
        o.format = format;
        o.monotonic_stamps = monotonic_stamps;
        std::uint64_t reads = 0, writes = 0, lo = UINT64_MAX, hi = 0, first_stamp = 0, last_stamp = 0,
                      max_stamp = 0;
        std::string fmt;
        bool gz = false;
        {
          // Safe to release: only the reader and local counters are touched.
          py::gil_scoped_release release;
          DramTraceReader reader(path, o);
          DramTraceRecord r;
          while (reader.next(r)) {
            (r.command == Command::kRead ? reads : writes) += 1;
            lo = std::min(lo, r.address);
            hi = std::max(hi, r.address);
            if (reads + writes == 1) first_stamp = r.stamp_cycles;
            last_stamp = r.stamp_cycles;
            max_stamp = std::max(max_stamp, r.stamp_cycles);
          }
          fmt = std::string(format_name(reader.format()));
          gz = reader.gzip();
        }
        py::dict d;
        d["format"] = fmt;
        d["gzip"] = gz;
        d["requests"] = reads + writes;
        d["reads"] = reads;
        d["writes"] = writes;
        d["min_address"] = lo;
        d["max_address"] = hi;
        const bool stamped = fmt == format_name(DramTraceFormat::kDramsim3);
        d["first_stamp_cycles"] = stamped ? py::object(py::int_(first_stamp)) : py::object(py::none());
        d["last_stamp_cycles"] = stamped ? py::object(py::int_(last_stamp)) : py::object(py::none());
        d["max_stamp_cycles"] = stamped ? py::object(py::int_(max_stamp)) : py::object(py::none());
        return d;
      },
      py::arg("path"), py::kw_only(), py::arg("format") = "auto", py::arg("monotonic_stamps") = false,
      "Read a whole trace in C++ and summarise it (counts, address range, stamps). Releases the GIL.");

  py::class_<PyTraceReader>(m, "DramTraceReader",
                              "Streaming reader of a DRAM trace (plain or gzip); constant memory.")
      .def(py::init([](const std::string& path, const std::string& format, bool monotonic_stamps,
                       std::size_t buffer_bytes) {
             DramTraceOptions o;
             o.format = format;
             o.monotonic_stamps = monotonic_stamps;
             o.buffer_bytes = buffer_bytes;
             // Safe to release: opening and detection touch only the file and the new C++ object.
             py::gil_scoped_release release;
             return std::make_unique<PyTraceReader>(path, o);
           }),
           py::arg("path"), py::kw_only(), py::arg("format") = "auto", py::arg("monotonic_stamps") = false,
           py::arg("buffer_bytes") = DramTraceOptions{}.buffer_bytes)
      .def_property_readonly("format",
                             [](const PyTraceReader& r) { return std::string(format_name(r.reader.format())); })
      .def_property_readonly("has_stamps", [](const PyTraceReader& r) { return format_has_stamp(r.reader.format()); })
      .def_property_readonly("path", [](const PyTraceReader& r) { return r.reader.path(); })
      .def_property_readonly("gzip", [](const PyTraceReader& r) { return r.reader.gzip(); })
      .def_property_readonly("records", [](const PyTraceReader& r) { return r.reader.records(); })
      .def_property_readonly("line", [](const PyTraceReader& r) { return r.reader.line(); })
      .def_property_readonly("busy", [](const PyTraceReader& r) { return r.busy; },
                             "True while a read_chunk() call (in some thread) is running.")
      .def("read_chunk", &read_chunk, py::arg("max_records"),
           "(commands u8, addresses u64, stamps u64, lines u64) of up to max_records next records; empty at the "
           "end. Releases the GIL.");

  py::class_<PyTraceWriter>(m, "DramTraceWriter", "Writes a DRAM trace in one format, plain or gzip.")
      .def(py::init([](const std::string& path, const std::string& format, bool gzip, int gzip_level) {
             return std::make_unique<PyTraceWriter>(path, parse_format_name(format), gzip, gzip_level);
           }),
           py::arg("path"), py::arg("format"), py::kw_only(), py::arg("gzip") = false, py::arg("gzip_level") = 6)
      .def("write", &write_arrays, py::arg("commands"), py::arg("addresses"), py::arg("stamps") = py::none(),
           "Append records from arrays (commands 0 read / 1 write). Releases the GIL.")
      .def("close",
           [](PyTraceWriter& w) {
             const BusyGuard busy(w.busy, "DramTraceWriter");
             w.writer.close();
           })
      .def_property_readonly("records", [](const PyTraceWriter& w) { return w.writer.records(); });

  py::class_<TraceReplayer, Module, Ref<TraceReplayer>>(
      m, "TraceReplayer", "Streams a DRAM trace file into a target with DRAMsim3/Ramulator issue semantics.")
      .def(py::init([](PySimulator& s, const std::string& name, Target& target, const std::string& path,
                       const std::string& format, Picoseconds tck_ps, std::uint32_t size_bytes,
                       std::uint64_t capacity_bytes, bool wrap, bool monotonic_stamps, std::uint32_t source,
                       bool paced, Module* parent) {
             DramTraceOptions o;
             o.format = format;
             o.monotonic_stamps = monotonic_stamps;
             TraceReplayerConfig c;
             c.tck_ps = tck_ps;
             c.size_bytes = size_bytes;
             c.capacity_bytes = capacity_bytes;
             c.wrap = wrap;
             c.source = source;
             c.paced = paced;
             c.validate();
             std::optional<DramTraceReader> reader;
             {
               // Safe to release: opening the file touches no Python object (a FIFO may block here).
               py::gil_scoped_release release;
               reader.emplace(path, o);
             }
             return Ref<TraceReplayer>(
                 &s.sim().make<TraceReplayer>(name, target, std::move(*reader), c, parent));
           }),
           py::arg("sim"), py::arg("name"), py::arg("target"), py::arg("path"), py::kw_only(),
           py::arg("format") = "auto", py::arg("tck_ps"), py::arg("size_bytes") = 64, py::arg("capacity_bytes") = 0,
           py::arg("wrap") = false, py::arg("monotonic_stamps") = false, py::arg("source") = 0,
           py::arg("paced") = false, py::arg("parent") = nullptr, py::keep_alive<1, 2>(), py::keep_alive<1, 4>())
      .def_property_readonly("paced", &TraceReplayer::paced,
                             "The target pulls the requests (paced=True and the target can: a DRAM controller).")
      .def_property_readonly("done", &TraceReplayer::done)
      .def_property_readonly("requests", &TraceReplayer::requests)
      .def_property_readonly("reads", &TraceReplayer::reads)
      .def_property_readonly("writes", &TraceReplayer::writes)
      .def_property_readonly("bytes", &TraceReplayer::bytes)
      .def_property_readonly("completed", &TraceReplayer::completed)
      .def_property_readonly("rejections", &TraceReplayer::rejections)
      .def_property_readonly("first_issue_ps", &TraceReplayer::first_issue_ps)
      .def_property_readonly("last_complete_ps", &TraceReplayer::last_complete_ps)
      .def_property_readonly("cycles", &TraceReplayer::cycles)
      .def_property_readonly("bandwidth_gbps", &TraceReplayer::bandwidth_gbps)
      .def_property_readonly("tck_ps", [](const TraceReplayer& r) { return r.config().tck_ps; })
      .def_property_readonly("format",
                             [](const TraceReplayer& r) { return std::string(format_name(r.reader().format())); })
      .def_property_readonly("avg_read_latency_cycles",
                             [](const TraceReplayer& r) { return r.read_latency_cycles().summary().mean(); })
      .def_property_readonly("max_read_latency_cycles",
                             [](const TraceReplayer& r) {
                               const auto& s = r.read_latency_cycles().summary();
                               return s.count ? s.max : 0.0;
                             })
      .def(
          "read_latency_quantile_cycles",
          [](const TraceReplayer& r, double q) {
            if (!(q >= 0.0 && q <= 1.0)) throw ConfigError("read_latency_quantile_cycles.q: expected 0..1");
            return r.read_latency_cycles().quantile(q);
          },
          py::arg("q"));
}

}  // namespace tnpu::bindings
