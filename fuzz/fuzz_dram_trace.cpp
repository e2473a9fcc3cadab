// libFuzzer harness of the DRAM trace readers (cpp/src/trace/dram_trace.cpp).
// Input: one control byte (format, monotonic stamps), then the file's bytes (plain text or gzip).
// Properties: only TraceFormatError / ConfigError may come out; a 1 MiB buffer and the smallest buffer (many
// refills, lines cut at every position) give the same records or the same error; line numbers increase.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "tnpu/error.hpp"
#include "tnpu/trace/dram_trace.hpp"

namespace {

struct Outcome {
  std::vector<tnpu::DramTraceRecord> records;
  std::string error;  // empty: clean parse
};

Outcome read_all(const std::string& path, const tnpu::DramTraceOptions& options) {
  Outcome out;
  try {
    tnpu::DramTraceReader reader(path, options);
    std::vector<tnpu::DramTraceRecord> batch(7);
    std::uint64_t last_line = 0;
    while (const std::size_t n = reader.next_batch(batch)) {
      for (std::size_t i = 0; i < n; ++i) {
        if (batch[i].line <= last_line) std::abort();  // records come back in file order
        last_line = batch[i].line;
        out.records.push_back(batch[i]);
      }
    }
    if (out.records.empty()) std::abort();  // a trace without requests must be an error
  } catch (const tnpu::TraceFormatError& e) {
    out.error = e.what();
    if (out.error.rfind(path, 0) != 0) std::abort();  // every message names the file
  } catch (const tnpu::ConfigError& e) {
    out.error = e.what();
  }
  // Anything else propagates: libFuzzer reports an uncaught exception as a crash.
  return out;
}

bool same(const Outcome& a, const Outcome& b) {
  if (a.error != b.error || a.records.size() != b.records.size()) return false;
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    const auto& x = a.records[i];
    const auto& y = b.records[i];
    if (x.command != y.command || x.address != y.address || x.stamp_cycles != y.stamp_cycles ||
        x.has_stamp != y.has_stamp || x.line != y.line) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* const kFormats[] = {"auto", "dramsim3", "ramulator1", "ramulator2"};
  const std::uint8_t control = data[0];
  const tnpu_fuzz::MemFile file(data + 1, size - 1);
  tnpu::DramTraceOptions options;
  options.format = kFormats[control & 3];
  options.monotonic_stamps = (control & 4) != 0;
  const Outcome big = read_all(file.path(), options);
  options.buffer_bytes = 2 * tnpu::DramTraceReader::kMaxLineBytes + 2;
  const Outcome small = read_all(file.path(), options);
  if (!same(big, small)) std::abort();
  return 0;
}
