#pragma once
// The DRAM trace formats as a registry (sim/registry.hpp): each entry says how to recognise, parse (fast and
// general) and write one line of its format, so the reader and the writer hold no per-format code. Entries are
// registered in DramTraceFormat order and `id` equals the entry's index.
//
// Contract: `recognise` is true for the first request line of a file in this format and false for every other
// format's (the formats' recognisers are mutually exclusive, so detection does not depend on order); `fast_parse`
// accepts only the canonical spelling (single spaces, 0x-prefixed hex of at most 16 digits, a stamp of at most 19
// digits, upper-case commands) and returns false for everything else, which then goes through `parse` with the
// same result for what both accept; `fast_lines` takes consecutive canonical lines, each with its LF, exactly as
// `fast_parse` of each would (it stops before the first line `fast_parse` would not take, or that has no LF before
// the end of the bytes given); `parse` throws TraceFormatError through TraceLine::fail; `write` writes one
// line without its LF into at least kMaxTraceRecordBytes bytes and returns its end. Adding a format: its functions
// in trace_formats.cpp, its enumerator in DramTraceFormat and one `add` line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tnpu/sim/registry.hpp"
#include "tnpu/trace/dram_trace.hpp"

namespace tnpu {

// Where the general parser is, for its error messages and the stamp check.
struct TraceLine {
  std::string_view path;
  std::uint64_t line = 0;
  bool monotonic_stamps = false;
  bool has_previous_stamp = false;
  std::uint64_t previous_stamp = 0;
  // Throws TraceFormatError "path:line: expected <expected>, got '<excerpt of got>'".
  [[noreturn]] void fail(std::string_view expected, std::string_view got) const;
};

// A run of canonical lines parsed at once (TraceFormatOps::fast_lines), for DramTraceReader's batches.
struct FastLines {
  const char* p;                 // in: the first unread byte; out: the first byte of the first line not taken
  const char* e;                 // one past the last byte available (a line is taken only if its LF is before e)
  DramTraceRecord* out;          // out[0..capacity): the records, in order (line = first_line, first_line + 1, ...)
  std::size_t capacity;
  std::uint64_t first_line;      // the line number of the line at p
  // The monotonic-stamp rule (DramTraceOptions::monotonic_stamps): with `monotonic`, a line whose stamp is below
  // previous_stamp, when has_previous, is not taken (the general parser reports it). Updated for each line taken.
  bool monotonic;
  bool has_previous;
  std::uint64_t previous_stamp;
};

inline constexpr std::size_t kMaxTraceRecordBytes = 63;  // "0x" + 16 hex digits + " WRITE " + 20 digits < 63

struct TraceFormatOps {
  DramTraceFormat id;
  std::string_view syntax;  // "`0xADDR READ|WRITE CYCLE`"
  bool has_stamp;           // lines carry a time stamp (memory clock cycles)
  // tokens[0..min(n, 3)) of a line; n = 4 means more than three.
  bool (*recognise)(const std::string_view* tokens, std::size_t n) noexcept;
  // On success fills command, address, stamp_cycles and has_stamp of `out` (not line).
  bool (*fast_parse)(const char* p, const char* e, DramTraceRecord& out) noexcept;
  // Takes the canonical lines at batch.p (at most batch.capacity) and returns how many (FastLines).
  std::size_t (*fast_lines)(FastLines& batch) noexcept;
  // Fills command, address, stamp_cycles and has_stamp of `out` from a non-blank line's tokens (as recognise).
  void (*parse)(const std::string_view* tokens, std::size_t n, std::string_view text, const TraceLine& where,
                DramTraceRecord& out);
  char* (*write)(char* p, char* e, Command command, std::uint64_t address, std::uint64_t stamp) noexcept;
};

using TraceFormatRegistry = Registry<TraceFormatOps>;
void register_builtin_trace_formats(TraceFormatRegistry& registry);
// The process-wide registry of formats (built on first use; thread-safe).
[[nodiscard]] const TraceFormatRegistry& trace_formats();
// The entry of format `f` (O(1)).
[[nodiscard]] const TraceFormatOps& trace_format(DramTraceFormat f);

}  // namespace tnpu
