#pragma once
// Streaming readers and writers of the DRAM request traces users already have (the formats are a registry:
// trace_format.hpp, trace_formats.cpp):
//   "dramsim3"   `0xADDR READ|WRITE CYCLE`  (DRAMsim3 trace CPU; CYCLE in memory clock cycles, decimal)
//   "ramulator1" `0xADDR R|W`               (Ramulator 1 `--mode=dram`)
//   "ramulator2" `LD|ST 0xADDR`             (Ramulator 2 LoadStoreTrace front end)
// Plain text or gzip (recognised by its magic bytes, not by the file name). A plain trace may be a pipe; a gzip
// trace must be a regular file (zlib reopens it by name).
//
// Contract:
// - Memory use is constant in the trace length: the file is read through one fixed buffer (DramTraceOptions::buffer_bytes, 1 MiB), never
//   loaded whole. A line longer than kMaxLineBytes is an error.
// - Lines: fields are separated by blanks (space, tab, CR, VT, FF); leading/trailing blanks (so a CR before the
//   LF) are ignored; a blank line and a line whose first non-blank character is '#' are skipped (they still count
//   for line numbers).
//   Canonical lines (single spaces, 0x-prefixed lower-case-x hex) take a fast path; the result is the same.
// - Addresses follow each peer's own reader: dramsim3 and ramulator1 addresses are hexadecimal with an optional
//   0x/0X prefix; ramulator2 addresses are hexadecimal with 0x/0X and decimal without it (as Ramulator 2 parses
//   them). An address must fit in 64 bits. dramsim3 commands: READ/WRITE in any case, also DRAMsim2's P_MEM_RD,
//   P_FETCH (read) and P_MEM_WR, BOFF (write). ramulator1 commands: R or W. ramulator2 commands: LD or ST.
// - dramsim3 stamps are decimal memory clock cycles, required on every line. Stamps may decrease (DRAMsim3 accepts
//   that: the request is then simply late); DramTraceOptions::monotonic_stamps makes a decrease an error.
// - Every malformed input throws tnpu::TraceFormatError `path:line: expected ..., got '...'`; a file without any
//   request line throws `path: empty trace ...`; an unreadable file throws TraceFormatError `path: cannot open
//   ...`. Nothing else escapes (no crash, no hang, whatever the bytes).
// - Not thread-safe; one reader per thread. Records come back in file order.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tnpu/sim/request.hpp"

namespace tnpu {

enum class DramTraceFormat : std::uint8_t { kDramsim3 = 0, kRamulator1 = 1, kRamulator2 = 2 };

// "dramsim3", "ramulator1", "ramulator2": the name of the format's entry in trace_formats().
[[nodiscard]] std::string_view format_name(DramTraceFormat f) noexcept;
// The inverse of format_name. Throws ConfigError listing the valid names.
[[nodiscard]] DramTraceFormat parse_format_name(std::string_view name);
// True when lines of this format carry a time stamp.
[[nodiscard]] bool format_has_stamp(DramTraceFormat f) noexcept;

// Whether zlib was found at build time (gzip traces readable and writable).
[[nodiscard]] bool gzip_supported() noexcept;

struct DramTraceRecord {
  Command command = Command::kRead;
  std::uint64_t address = 0;
  std::uint64_t stamp_cycles = 0;  // meaningful only when has_stamp
  bool has_stamp = false;
  std::uint64_t line = 0;  // 1-based line number in the (decompressed) file
};

struct DramTraceOptions {
  std::string format = "auto";     // a format name, or "auto": detected from the first request line
  bool monotonic_stamps = false;   // a decreasing stamp is an error
  // Size of the read buffer (memory use). At least 2 x kMaxLineBytes + 2; small values are for tests that want
  // many refills.
  std::size_t buffer_bytes = std::size_t{1} << 20;
};

// Classifies the first request line (blank and '#' lines skipped) of a file. Throws TraceFormatError if the file is
// empty, unreadable or its first request line fits no format.
[[nodiscard]] DramTraceFormat detect_format(const std::string& path);

class ByteSource;  // a plain or gzip file, read in blocks (private to dram_trace.cpp)
struct TraceFormatOps;  // trace_format.hpp

class DramTraceReader {
 public:
  static constexpr std::size_t kMaxLineBytes = 4096;

  // Opens the file; with format "auto" reads up to the first request line to detect it. Throws TraceFormatError
  // (unreadable, empty, undetectable, gzip without zlib) or ConfigError (unknown format name).
  explicit DramTraceReader(std::string path, const DramTraceOptions& options = {});
  DramTraceReader(const DramTraceReader&) = delete;
  DramTraceReader& operator=(const DramTraceReader&) = delete;
  DramTraceReader(DramTraceReader&&) noexcept;
  DramTraceReader& operator=(DramTraceReader&&) noexcept;
  ~DramTraceReader();

  // Fills `out` with the next request and returns true, or returns false at the end of the file (and from then on).
  // Throws TraceFormatError on a malformed line, and at the end if the file held no request at all.
  bool next(DramTraceRecord& out) {
    // (Inline: a record of the current batch, the common case; see fill_batch().)
    if (batch_next_ != batch_end_) {
      out = batch_[batch_next_++];
      ++records_;
      return true;
    }
    return next_slow(out);
  }
  // Fills up to out.size() records; returns how many (0 only at the end). Same errors as next().
  std::size_t next_batch(std::span<DramTraceRecord> out);

  [[nodiscard]] DramTraceFormat format() const noexcept { return format_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] bool gzip() const noexcept;
  // Records returned so far.
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  // Line number of the last line consumed (the batch is read ahead: its last record returned, while one is left).
  [[nodiscard]] std::uint64_t line() const noexcept {
    return batch_next_ != batch_end_ ? batch_[batch_next_ - 1].line : line_;
  }

 private:
  static constexpr std::size_t kBatchRecords = 256;

  // next() when the batch is used up: a new batch, or one line through the general parser.
  bool next_slow(DramTraceRecord& out);
  // Parses the canonical lines at begin_ into the batch (TraceFormatOps::fast_lines); false if the line at begin_
  // is not one (not canonical, a blank or '#' line, an error, or its LF is not in the buffer yet).
  bool fill_batch();
  // Returns the next line (without its LF), or false at the end. The view is valid until the next call.
  bool next_line(std::string_view& text);
  bool parse_line(std::string_view text, DramTraceRecord& out);
  [[noreturn]] void fail(std::string_view expected, std::string_view got) const;

  std::string path_;
  DramTraceFormat format_ = DramTraceFormat::kDramsim3;
  const TraceFormatOps* ops_ = nullptr;  // the entry of format_ in trace_formats()
  bool monotonic_stamps_ = false;
  std::unique_ptr<ByteSource> source_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unconsumed byte in buffer_
  std::size_t end_ = 0;    // one past the last valid byte in buffer_
  bool eof_ = false;       // the source has nothing more to give
  bool done_ = false;      // next() returned false
  std::uint64_t line_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t last_stamp_ = 0;
  // Records parsed ahead from canonical lines: batch_[batch_next_..batch_end_) are the next ones to return. line_,
  // last_stamp_ and begin_ are already past them; records_ counts only those returned. fill_batch() runs only when
  // the batch is used up, so the general path (next_line, parse_line) always sees the reader's state as if there
  // were no batch.
  std::vector<DramTraceRecord> batch_;
  std::size_t batch_next_ = 0;
  std::size_t batch_end_ = 0;
};

// Writes a trace in one of the formats, plain or gzip (gzip needs zlib). Addresses are written as 0x%llx (lower
// case), dramsim3 stamps in decimal. Contract: what write() gets, DramTraceReader reads back identically (stamps of
// unstamped formats are dropped). Throws ConfigError (gzip without zlib) or TraceFormatError `path: cannot ...`
// on an I/O failure. close() flushes and reports errors; the destructor closes silently.
class DramTraceWriter {
 public:
  DramTraceWriter(std::string path, DramTraceFormat format, bool gzip, int gzip_level = 6);
  DramTraceWriter(const DramTraceWriter&) = delete;
  DramTraceWriter& operator=(const DramTraceWriter&) = delete;
  ~DramTraceWriter();

  void write(Command command, std::uint64_t address, std::uint64_t stamp_cycles = 0);
  void close();
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }

 private:
  void flush_buffer();
  std::string path_;
  DramTraceFormat format_;
  const TraceFormatOps* ops_;  // the entry of format_ in trace_formats()
  bool gzip_;
  std::FILE* file_ = nullptr;
  void* gz_ = nullptr;  // gzFile when gzip_
  std::vector<char> buffer_;
  std::size_t used_ = 0;
  std::uint64_t records_ = 0;
};

}  // namespace tnpu
