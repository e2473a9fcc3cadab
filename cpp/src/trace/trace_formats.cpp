// The DRAM trace formats users already have, one block of functions each, and their registry (trace_format.hpp):
//   "dramsim3"   `0xADDR READ|WRITE CYCLE`  (DRAMsim3 trace CPU; CYCLE in memory clock cycles, decimal)
//   "ramulator1" `0xADDR R|W`               (Ramulator 1 `--mode=dram`)
//   "ramulator2" `LD|ST 0xADDR`             (Ramulator 2 LoadStoreTrace front end)
#include "tnpu/trace/trace_format.hpp"

#include <charconv>
#include <cstring>
#include <vector>

#include "tnpu/error.hpp"
#include "trace_text.hpp"

namespace tnpu {

using namespace trace_text;  // NOLINT(google-build-using-namespace): the private helpers of this folder

void TraceLine::fail(std::string_view expected, std::string_view got) const {
  throw TraceFormatError(std::string(path) + ":" + std::to_string(line) + ": expected " + std::string(expected) +
                         ", got '" + excerpt(got) + "'");
}

namespace {

char* put(char* p, std::string_view s) noexcept {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_hex(char* p, char* e, std::uint64_t v) noexcept {
  *p++ = '0';
  *p++ = 'x';
  return std::to_chars(p, e, v, 16).ptr;
}

void check_address(const TraceLine& where, NumberStatus st, std::string_view token) {
  if (st == NumberStatus::kBad) where.fail("a hexadecimal address (0x...)", token);
  if (st == NumberStatus::kOverflow) where.fail("an address that fits in 64 bits", token);
}

bool is_ramulator2_command(std::string_view s) noexcept { return s == "LD" || s == "ST"; }

// TraceFormatOps::fast_lines for a format whose canonical fields Fields parses: a line is taken when its fields are
// canonical and followed by its LF (so each is what fast_parse of the line without its LF accepts), and its stamp
// keeps the monotonic rule; the first other line ends the run, unread.
template <const char* (*Fields)(const char*, const char*, DramTraceRecord&) noexcept>
std::size_t fast_lines(FastLines& b) noexcept {
  std::size_t n = 0;
  const char* p = b.p;
  for (; n < b.capacity; ++n) {
    DramTraceRecord& r = b.out[n];
    const char* const q = Fields(p, b.e, r);
    if (q == nullptr || q == b.e || *q != '\n') break;
    if (b.monotonic && b.has_previous && r.stamp_cycles < b.previous_stamp) break;
    if (r.has_stamp) b.previous_stamp = r.stamp_cycles;
    b.has_previous = true;
    r.line = b.first_line + n;
    p = q + 1;
  }
  b.p = p;
  return n;
}

// ---- dramsim3: `0xADDR READ|WRITE CYCLE`

// DRAMsim3's command words (its reader treats WRITE/write/P_MEM_WR/BOFF as writes); returns false if unknown.
bool dramsim3_command(std::string_view s, Command& c) noexcept {
  if (iequals(s, "READ") || s == "P_MEM_RD" || s == "P_FETCH") {
    c = Command::kRead;
    return true;
  }
  if (iequals(s, "WRITE") || s == "P_MEM_WR" || s == "BOFF") {
    c = Command::kWrite;
    return true;
  }
  return false;
}

bool dramsim3_recognise(const std::string_view* tok, std::size_t n) noexcept {
  Command c = Command::kRead;
  return n >= 2 && !is_ramulator2_command(tok[0]) && dramsim3_command(tok[1], c);
}

// The canonical fields of a dramsim3 line at p (bounded by e): their end, or nullptr.
const char* dramsim3_fields(const char* p, const char* e, DramTraceRecord& out) noexcept {
  p = fast_hex(p, e, out.address);
  if (p == nullptr || e - p < 6 || *p++ != ' ') return nullptr;  // (the bytes "READ " may be read)
  if (std::memcmp(p, "READ ", 5) == 0) {
    out.command = Command::kRead;
    p += 5;
  } else if (e - p >= 6 && std::memcmp(p, "WRITE ", 6) == 0) {
    out.command = Command::kWrite;
    p += 6;
  } else {
    return nullptr;
  }
  // 1..19 decimal digits (19 cannot overflow 64 bits).
  const char* const start = p;
  std::uint64_t v = 0;
  for (; p != e; ++p) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
    if (d > 9) break;
    v = v * 10 + d;
  }
  if (p == start || p - start > 19) return nullptr;
  out.stamp_cycles = v;
  out.has_stamp = true;
  return p;
}

bool dramsim3_fast(const char* p, const char* e, DramTraceRecord& out) noexcept {
  return dramsim3_fields(p, e, out) == e;
}

void dramsim3_parse(const std::string_view* tok, std::size_t n, std::string_view text, const TraceLine& where,
                    DramTraceRecord& out) {
  if (n < 2 || !dramsim3_command(tok[1], out.command)) {
    if (n >= 2) where.fail("READ or WRITE (dramsim3 `0xADDR READ|WRITE CYCLE`)", tok[1]);
    where.fail("`0xADDR READ|WRITE CYCLE` (dramsim3)", text);
  }
  if (n < 3) where.fail("a time stamp in memory cycles after the command (dramsim3 `0xADDR READ|WRITE CYCLE`)", text);
  if (n > 3) where.fail("end of line after the stamp (dramsim3 `0xADDR READ|WRITE CYCLE`)", text);
  std::uint64_t stamp = 0;
  const NumberStatus st = parse_decimal(tok[2], stamp);
  if (st == NumberStatus::kBad) where.fail("a decimal memory-cycle stamp", tok[2]);
  if (st == NumberStatus::kOverflow) where.fail("a stamp that fits in 64 bits", tok[2]);
  if (where.monotonic_stamps && where.has_previous_stamp && stamp < where.previous_stamp) {
    where.fail("a stamp >= " + std::to_string(where.previous_stamp) + " (the previous one; stamps must not decrease)",
               tok[2]);
  }
  out.stamp_cycles = stamp;
  out.has_stamp = true;
  check_address(where, parse_hex(tok[0], true, out.address), tok[0]);
}

char* dramsim3_write(char* p, char* e, Command command, std::uint64_t address, std::uint64_t stamp) noexcept {
  p = put_hex(p, e, address);
  p = put(p, command == Command::kWrite ? " WRITE " : " READ ");
  return std::to_chars(p, e, stamp).ptr;
}

// ---- ramulator1: `0xADDR R|W`

bool ramulator1_recognise(const std::string_view* tok, std::size_t n) noexcept {
  return n >= 2 && !is_ramulator2_command(tok[0]) && (tok[1] == "R" || tok[1] == "W");
}

// The canonical fields of a ramulator1 line at p (bounded by e): their end, or nullptr.
const char* ramulator1_fields(const char* p, const char* e, DramTraceRecord& out) noexcept {
  p = fast_hex(p, e, out.address);
  if (p == nullptr || e - p < 2 || p[0] != ' ') return nullptr;
  if (p[1] == 'R') {
    out.command = Command::kRead;
  } else if (p[1] == 'W') {
    out.command = Command::kWrite;
  } else {
    return nullptr;
  }
  out.stamp_cycles = 0;
  out.has_stamp = false;
  return p + 2;
}

bool ramulator1_fast(const char* p, const char* e, DramTraceRecord& out) noexcept {
  return ramulator1_fields(p, e, out) == e;
}

void ramulator1_parse(const std::string_view* tok, std::size_t n, std::string_view text, const TraceLine& where,
                      DramTraceRecord& out) {
  if (n != 2) where.fail("`0xADDR R|W` (ramulator1)", text);
  if (tok[1] == "R") {
    out.command = Command::kRead;
  } else if (tok[1] == "W") {
    out.command = Command::kWrite;
  } else {
    where.fail("R or W (ramulator1 `0xADDR R|W`)", tok[1]);
  }
  out.stamp_cycles = 0;
  out.has_stamp = false;
  check_address(where, parse_hex(tok[0], true, out.address), tok[0]);
}

char* ramulator1_write(char* p, char* e, Command command, std::uint64_t address, std::uint64_t /*stamp*/) noexcept {
  p = put_hex(p, e, address);
  return put(p, command == Command::kWrite ? " W" : " R");
}

// ---- ramulator2: `LD|ST 0xADDR`

bool ramulator2_recognise(const std::string_view* tok, std::size_t n) noexcept {
  return n >= 1 && is_ramulator2_command(tok[0]);
}

// The canonical fields of a ramulator2 line at p (bounded by e): their end, or nullptr.
const char* ramulator2_fields(const char* p, const char* e, DramTraceRecord& out) noexcept {
  if (e - p < 6 || p[2] != ' ') return nullptr;
  if (p[0] == 'L' && p[1] == 'D') {
    out.command = Command::kRead;
  } else if (p[0] == 'S' && p[1] == 'T') {
    out.command = Command::kWrite;
  } else {
    return nullptr;
  }
  out.stamp_cycles = 0;
  out.has_stamp = false;
  return fast_hex(p + 3, e, out.address);
}

bool ramulator2_fast(const char* p, const char* e, DramTraceRecord& out) noexcept {
  return ramulator2_fields(p, e, out) == e;
}

void ramulator2_parse(const std::string_view* tok, std::size_t n, std::string_view text, const TraceLine& where,
                      DramTraceRecord& out) {
  if (tok[0] == "LD") {
    out.command = Command::kRead;
  } else if (tok[0] == "ST") {
    out.command = Command::kWrite;
  } else {
    where.fail("LD or ST (ramulator2 `LD|ST 0xADDR`)", tok[0]);
  }
  if (n != 2) where.fail("`LD|ST 0xADDR` (ramulator2)", text);
  out.stamp_cycles = 0;
  out.has_stamp = false;
  const std::string_view addr = tok[1];
  const NumberStatus st =
      has_hex_prefix(addr) ? parse_hex(addr, false, out.address) : parse_decimal(addr, out.address);
  if (st == NumberStatus::kBad) where.fail("an address: hexadecimal with 0x, or decimal (ramulator2)", addr);
  check_address(where, st, addr);
}

char* ramulator2_write(char* p, char* e, Command command, std::uint64_t address, std::uint64_t /*stamp*/) noexcept {
  p = put(p, command == Command::kWrite ? "ST " : "LD ");
  return put_hex(p, e, address);
}

}  // namespace

void register_builtin_trace_formats(TraceFormatRegistry& registry) {
  const DramTraceOptions d;
  registry.add("dramsim3", "DRAMsim3 trace CPU: `0xADDR READ|WRITE CYCLE`, CYCLE in memory clock cycles",
               {{"monotonic_stamps", "", default_text(d.monotonic_stamps), "a decreasing stamp is an error"}},
               TraceFormatOps{DramTraceFormat::kDramsim3, "`0xADDR READ|WRITE CYCLE`", true, dramsim3_recognise,
                              dramsim3_fast, fast_lines<dramsim3_fields>, dramsim3_parse, dramsim3_write});
  registry.add("ramulator1", "Ramulator 1 --mode=dram: `0xADDR R|W`, untimed",
               TraceFormatOps{DramTraceFormat::kRamulator1, "`0xADDR R|W`", false, ramulator1_recognise,
                              ramulator1_fast, fast_lines<ramulator1_fields>, ramulator1_parse, ramulator1_write});
  registry.add("ramulator2", "Ramulator 2 LoadStoreTrace: `LD|ST 0xADDR` (or a decimal address), untimed",
               TraceFormatOps{DramTraceFormat::kRamulator2, "`LD|ST 0xADDR`", false, ramulator2_recognise,
                              ramulator2_fast, fast_lines<ramulator2_fields>,
                              ramulator2_parse, ramulator2_write});
}

const TraceFormatRegistry& trace_formats() {
  static const auto registry = [] {
    auto r = make_registry("trace format", register_builtin_trace_formats);
    for (std::size_t i = 0; i < r.entries().size(); ++i) {
      if (static_cast<std::size_t>(r.entries()[i].factory.id) != i) {
        throw ConfigError("trace format registry: '" + r.entries()[i].info.name + "' is not in DramTraceFormat order");
      }
    }
    return r;
  }();
  return registry;
}

const TraceFormatOps& trace_format(DramTraceFormat f) {
  return trace_formats().entries().at(static_cast<std::size_t>(f)).factory;
}

}  // namespace tnpu
