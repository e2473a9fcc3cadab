// Streaming DRAM trace readers and writers (see dram_trace.hpp for the contract).
// The reader is a hand-written parser over one big buffer: memchr for line ends, no iostreams, no regex, no
// allocation per line.
#include "tnpu/trace/dram_trace.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <utility>

#include "tnpu/error.hpp"

#ifdef TNPU_HAVE_ZLIB
#include <zlib.h>
#endif

namespace tnpu {

namespace {

constexpr std::string_view kFormatNames[] = {"dramsim3", "ramulator1", "ramulator2"};

std::string system_message(int err) { return std::string(std::strerror(err)); }

// A quoted excerpt of untrusted text for an error message: at most 60 characters, non-printable bytes as \xNN.
std::string excerpt(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out;
  const std::size_t n = std::min(text.size(), kMax);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (text.size() > kMax) out += "...";
  return out;
}

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Splits `text` into at most kMaxTokens blank-separated tokens; returns the token count (kMaxTokens + 1 if there
// are more).
constexpr std::size_t kMaxTokens = 3;
std::size_t tokenize(std::string_view text, std::string_view (&tokens)[kMaxTokens]) noexcept {
  const char* p = text.data();
  const char* const e = p + text.size();
  std::size_t n = 0;
  for (;;) {
    while (p != e && is_blank(*p)) ++p;
    if (p == e) return n;
    const char* const start = p;
    while (p != e && !is_blank(*p)) ++p;
    if (n == kMaxTokens) return kMaxTokens + 1;
    tokens[n++] = std::string_view(start, static_cast<std::size_t>(p - start));
  }
}

enum class NumberStatus : std::uint8_t { kOk, kBad, kOverflow };

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool has_hex_prefix(std::string_view s) noexcept { return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'); }

// Hexadecimal digits, with an optional 0x/0X prefix when allowed.
NumberStatus parse_hex(std::string_view s, bool prefix_optional, std::uint64_t& value) noexcept {
  if (has_hex_prefix(s)) {
    s.remove_prefix(2);
  } else if (!prefix_optional) {
    return NumberStatus::kBad;
  }
  if (s.empty()) return NumberStatus::kBad;
  std::uint64_t v = 0;
  bool overflow = false;
  for (const char c : s) {
    const int d = hex_value(c);
    if (d < 0) return NumberStatus::kBad;
    if ((v >> 60) != 0) overflow = true;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  if (overflow) return NumberStatus::kOverflow;
  value = v;
  return NumberStatus::kOk;
}

NumberStatus parse_decimal(std::string_view s, std::uint64_t& value) noexcept {
  if (s.empty()) return NumberStatus::kBad;
  std::uint64_t v = 0;
  bool overflow = false;
  for (const char c : s) {
    if (c < '0' || c > '9') return NumberStatus::kBad;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) overflow = true;
    v = v * 10 + d;
  }
  if (overflow) return NumberStatus::kOverflow;
  value = v;
  return NumberStatus::kOk;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;
  }
  return true;
}

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

// The fast path: the canonical spelling of each format (single spaces, 0x-prefixed hex of at most 16 digits, a
// stamp of at most 19 digits, upper-case commands, nothing else on the line). It accepts only lines the general
// parser accepts with the same result, and returns false for everything else, which then goes through the general
// parser (and its error messages).
struct HexTable {
  std::uint8_t value[256];
  constexpr HexTable() : value() {
    for (auto& v : value) v = 0xff;
    for (int c = '0'; c <= '9'; ++c) value[c] = static_cast<std::uint8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) value[c] = static_cast<std::uint8_t>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c) value[c] = static_cast<std::uint8_t>(c - 'A' + 10);
  }
};
constexpr HexTable kHex{};

// Parses "0x" + 1..16 hex digits at p, stopping at the first non-hex byte; returns the end or nullptr.
inline const char* fast_hex(const char* p, const char* e, std::uint64_t& v) noexcept {
  if (e - p < 3 || p[0] != '0' || p[1] != 'x') return nullptr;
  p += 2;
  const char* const start = p;
  std::uint64_t x = 0;
  while (p != e) {
    const std::uint8_t d = kHex.value[static_cast<unsigned char>(*p)];
    if (d == 0xff) break;
    x = (x << 4) | d;
    ++p;
  }
  if (p == start || p - start > 16) return nullptr;
  v = x;
  return p;
}

inline bool fast_parse(DramTraceFormat f, const char* p, const char* e, Command& cmd, std::uint64_t& addr,
                       std::uint64_t& stamp) noexcept {
  switch (f) {
    case DramTraceFormat::kDramsim3: {
      p = fast_hex(p, e, addr);
      if (p == nullptr || e - p < 7 || *p++ != ' ') return false;
      if (std::memcmp(p, "READ ", 5) == 0) {
        cmd = Command::kRead;
        p += 5;
      } else if (e - p >= 7 && std::memcmp(p, "WRITE ", 6) == 0) {
        cmd = Command::kWrite;
        p += 6;
      } else {
        return false;
      }
      if (p == e || e - p > 19) return false;
      std::uint64_t v = 0;
      for (; p != e; ++p) {
        const auto d = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
        if (d > 9) return false;
        v = v * 10 + d;
      }
      stamp = v;
      return true;
    }
    case DramTraceFormat::kRamulator1: {
      p = fast_hex(p, e, addr);
      if (p == nullptr || e - p != 2 || p[0] != ' ') return false;
      if (p[1] == 'R') {
        cmd = Command::kRead;
      } else if (p[1] == 'W') {
        cmd = Command::kWrite;
      } else {
        return false;
      }
      return true;
    }
    case DramTraceFormat::kRamulator2: {
      if (e - p < 6 || p[2] != ' ') return false;
      if (p[0] == 'L' && p[1] == 'D') {
        cmd = Command::kRead;
      } else if (p[0] == 'S' && p[1] == 'T') {
        cmd = Command::kWrite;
      } else {
        return false;
      }
      return fast_hex(p + 3, e, addr) == e;
    }
  }
  return false;
}

constexpr std::string_view kDetectExpected =
    "a request line in a known format: dramsim3 `0xADDR READ|WRITE CYCLE`, ramulator1 `0xADDR R|W` or "
    "ramulator2 `LD|ST 0xADDR`";

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Byte sources.

class ByteSource {
 public:
  ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  virtual ~ByteSource() = default;
  // Reads up to n bytes into dst; returns 0 only at the end. Throws TraceFormatError on an I/O or data error.
  virtual std::size_t read(char* dst, std::size_t n) = 0;
  [[nodiscard]] virtual bool gzip() const noexcept = 0;
};

namespace {

class PlainSource final : public ByteSource {
 public:
  // `prefix`: the bytes already read to sniff the compression, handed out first (no rewind: pipes cannot).
  PlainSource(std::FILE* f, std::string path, std::string prefix)
      : file_(f), path_(std::move(path)), prefix_(std::move(prefix)) {}
  PlainSource(const PlainSource&) = delete;
  PlainSource& operator=(const PlainSource&) = delete;
  ~PlainSource() override { std::fclose(file_); }
  std::size_t read(char* dst, std::size_t n) override {
    if (!prefix_.empty() && n > 0) {
      const std::size_t k = std::min(n, prefix_.size());
      std::memcpy(dst, prefix_.data(), k);
      prefix_.erase(0, k);
      return k;
    }
    const std::size_t got = std::fread(dst, 1, n, file_);
    if (got == 0 && std::ferror(file_)) {
      throw TraceFormatError(path_ + ": cannot read the trace: " + system_message(errno));
    }
    return got;
  }
  [[nodiscard]] bool gzip() const noexcept override { return false; }

 private:
  std::FILE* file_;
  std::string path_;
  std::string prefix_;
};

#ifdef TNPU_HAVE_ZLIB
class GzipSource final : public ByteSource {
 public:
  GzipSource(gzFile f, std::string path) : file_(f), path_(std::move(path)) {
    gzbuffer(file_, 1U << 18);
  }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;
  ~GzipSource() override { gzclose(file_); }
  std::size_t read(char* dst, std::size_t n) override {
    const auto want = static_cast<unsigned>(std::min<std::size_t>(n, 1U << 30));
    const int got = gzread(file_, dst, want);
    int err = Z_OK;
    const char* msg = gzerror(file_, &err);
    if (got < 0 || (err != Z_OK && err != Z_STREAM_END)) {
      throw TraceFormatError(path_ + ": corrupt or truncated gzip data: " + std::string(msg ? msg : "unknown error"));
    }
    return static_cast<std::size_t>(got);
  }
  [[nodiscard]] bool gzip() const noexcept override { return true; }

 private:
  gzFile file_;
  std::string path_;
};
#endif

std::unique_ptr<ByteSource> open_source(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw TraceFormatError(path + ": cannot open the trace: " + system_message(errno));
  char magic[2] = {0, 0};
  const std::size_t got = std::fread(magic, 1, 2, f);
  if (got < 2 && std::ferror(f)) {
    const int err = errno;
    std::fclose(f);
    throw TraceFormatError(path + ": cannot read the trace: " + system_message(err));
  }
  const bool is_gzip =
      got == 2 && static_cast<unsigned char>(magic[0]) == 0x1f && static_cast<unsigned char>(magic[1]) == 0x8b;
  if (!is_gzip) {
    return std::make_unique<PlainSource>(f, path, std::string(magic, got));
  }
  // zlib reopens the file by name, so the bytes read so far must still be there: a pipe cannot do that.
  const bool seekable = std::fseek(f, 0, SEEK_SET) == 0;
  std::fclose(f);
  if (!seekable) {
    throw TraceFormatError(path + ": gzip input must be a regular file, not a pipe; decompress it into the pipe "
                                  "instead (e.g. <(zcat trace.gz))");
  }
#ifdef TNPU_HAVE_ZLIB
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) throw TraceFormatError(path + ": cannot open the gzip trace: " + system_message(errno));
  return std::make_unique<GzipSource>(gz, path);
#else
  throw TraceFormatError(path +
                         ": is gzip-compressed, but tnpu was built without zlib; gunzip it first or rebuild "
                         "tnpu-sim with zlib (zlib1g-dev) installed");
#endif
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Format names.

std::string_view format_name(DramTraceFormat f) noexcept { return kFormatNames[static_cast<std::size_t>(f)]; }

std::vector<std::string> format_names() {
  return std::vector<std::string>(std::begin(kFormatNames), std::end(kFormatNames));
}

DramTraceFormat parse_format_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kFormatNames); ++i) {
    if (name == kFormatNames[i]) return static_cast<DramTraceFormat>(i);
  }
  std::string valid;
  for (const auto n : kFormatNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw ConfigError("trace format: unknown format '" + excerpt(name) + "'; expected one of: " + valid +
                    " (or auto)");
}

bool format_has_stamp(DramTraceFormat f) noexcept { return f == DramTraceFormat::kDramsim3; }

bool gzip_supported() noexcept {
#ifdef TNPU_HAVE_ZLIB
  return true;
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------------------------------------------
// Reader.

DramTraceReader::DramTraceReader(std::string path, const DramTraceOptions& options)
    : path_(std::move(path)), monotonic_stamps_(options.monotonic_stamps) {
  const bool detect = options.format == "auto" || options.format.empty();
  if (!detect) format_ = parse_format_name(options.format);
  source_ = open_source(path_);
  if (options.buffer_bytes < 2 * kMaxLineBytes + 2) {
    throw ConfigError("DramTraceOptions.buffer_bytes: expected at least " + std::to_string(2 * kMaxLineBytes + 2) +
                      ", got " + std::to_string(options.buffer_bytes));
  }
  buffer_.resize(options.buffer_bytes);
  if (!detect) return;
  // Detection: classify the first request line, then leave it unconsumed so next() parses it.
  std::string_view text;
  for (;;) {
    if (!next_line(text)) {
      throw TraceFormatError(path_ + ": empty trace: expected at least one request line (blank lines and '#' "
                                     "comments do not count)");
    }
    std::string_view tokens[kMaxTokens];
    const std::size_t n = tokenize(text, tokens);
    if (n == 0 || tokens[0].front() == '#') continue;
    Command c = Command::kRead;
    if (tokens[0] == "LD" || tokens[0] == "ST") {
      format_ = DramTraceFormat::kRamulator2;
    } else if (n >= 2 && (tokens[1] == "R" || tokens[1] == "W")) {
      format_ = DramTraceFormat::kRamulator1;
    } else if (n >= 2 && dramsim3_command(tokens[1], c)) {
      format_ = DramTraceFormat::kDramsim3;
    } else {
      fail(kDetectExpected, text);
    }
    // Unread the line: it is still in the buffer (next_line may have moved it there while refilling, so take its
    // position from the view, not from before the call).
    begin_ = static_cast<std::size_t>(text.data() - buffer_.data());
    --line_;
    return;
  }
}

DramTraceFormat detect_format(const std::string& path) { return DramTraceReader(path).format(); }

DramTraceReader::DramTraceReader(DramTraceReader&&) noexcept = default;
DramTraceReader& DramTraceReader::operator=(DramTraceReader&&) noexcept = default;
DramTraceReader::~DramTraceReader() = default;

bool DramTraceReader::gzip() const noexcept { return source_ && source_->gzip(); }

void DramTraceReader::fail(std::string_view expected, std::string_view got) const {
  throw TraceFormatError(path_ + ":" + std::to_string(line_) + ": expected " + std::string(expected) + ", got '" +
                         excerpt(got) + "'");
}

bool DramTraceReader::next_line(std::string_view& text) {
  for (;;) {
    const char* const base = buffer_.data();
    const std::size_t avail = end_ - begin_;
    const void* nl = avail ? std::memchr(base + begin_, '\n', avail) : nullptr;
    if (nl != nullptr) {
      const auto stop = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
      text = std::string_view(base + begin_, stop - begin_);
      begin_ = stop + 1;
      ++line_;
      if (text.size() > kMaxLineBytes) {
        fail("a line of at most " + std::to_string(kMaxLineBytes) + " bytes", text);
      }
      return true;
    }
    if (avail > kMaxLineBytes) {
      ++line_;
      fail("a line of at most " + std::to_string(kMaxLineBytes) + " bytes", std::string_view(base + begin_, avail));
    }
    if (eof_) {
      if (avail == 0) return false;
      text = std::string_view(base + begin_, avail);  // last line without a LF
      begin_ = end_;
      ++line_;
      return true;
    }
    // Refill: keep the partial line, read behind it.
    if (begin_ != 0) {
      std::memmove(buffer_.data(), base + begin_, avail);
      begin_ = 0;
      end_ = avail;
    }
    const std::size_t got = source_->read(buffer_.data() + end_, buffer_.size() - end_);
    if (got == 0) eof_ = true;
    end_ += got;
  }
}

bool DramTraceReader::parse_line(std::string_view text, DramTraceRecord& out) {
  std::uint64_t stamp = 0;
  if (fast_parse(format_, text.data(), text.data() + text.size(), out.command, out.address, stamp) &&
      !(monotonic_stamps_ && records_ > 0 && stamp < last_stamp_)) {
    const bool stamped = format_has_stamp(format_);
    out.stamp_cycles = stamped ? stamp : 0;
    out.has_stamp = stamped;
    if (stamped) last_stamp_ = stamp;
    out.line = line_;
    return true;
  }
  std::string_view tok[kMaxTokens];
  const std::size_t n = tokenize(text, tok);
  if (n == 0 || tok[0].front() == '#') return false;
  std::string_view addr_tok;
  NumberStatus st = NumberStatus::kOk;
  switch (format_) {
    case DramTraceFormat::kDramsim3: {
      if (n < 2 || !dramsim3_command(tok[1], out.command)) {
        if (n >= 2) fail("READ or WRITE (dramsim3 `0xADDR READ|WRITE CYCLE`)", tok[1]);
        fail("`0xADDR READ|WRITE CYCLE` (dramsim3)", text);
      }
      if (n < 3) fail("a time stamp in memory cycles after the command (dramsim3 `0xADDR READ|WRITE CYCLE`)", text);
      if (n > 3) fail("end of line after the stamp (dramsim3 `0xADDR READ|WRITE CYCLE`)", text);
      st = parse_decimal(tok[2], stamp);
      if (st == NumberStatus::kBad) fail("a decimal memory-cycle stamp", tok[2]);
      if (st == NumberStatus::kOverflow) fail("a stamp that fits in 64 bits", tok[2]);
      if (monotonic_stamps_ && records_ > 0 && stamp < last_stamp_) {
        fail("a stamp >= " + std::to_string(last_stamp_) + " (the previous one; stamps must not decrease)", tok[2]);
      }
      last_stamp_ = stamp;
      out.stamp_cycles = stamp;
      out.has_stamp = true;
      addr_tok = tok[0];
      st = parse_hex(addr_tok, true, out.address);
      break;
    }
    case DramTraceFormat::kRamulator1: {
      if (n != 2) fail("`0xADDR R|W` (ramulator1)", text);
      if (tok[1] == "R") {
        out.command = Command::kRead;
      } else if (tok[1] == "W") {
        out.command = Command::kWrite;
      } else {
        fail("R or W (ramulator1 `0xADDR R|W`)", tok[1]);
      }
      out.stamp_cycles = 0;
      out.has_stamp = false;
      addr_tok = tok[0];
      st = parse_hex(addr_tok, true, out.address);
      break;
    }
    case DramTraceFormat::kRamulator2: {
      if (tok[0] == "LD") {
        out.command = Command::kRead;
      } else if (tok[0] == "ST") {
        out.command = Command::kWrite;
      } else {
        fail("LD or ST (ramulator2 `LD|ST 0xADDR`)", tok[0]);
      }
      if (n != 2) fail("`LD|ST 0xADDR` (ramulator2)", text);
      out.stamp_cycles = 0;
      out.has_stamp = false;
      addr_tok = tok[1];
      st = has_hex_prefix(addr_tok) ? parse_hex(addr_tok, false, out.address) : parse_decimal(addr_tok, out.address);
      if (st == NumberStatus::kBad) fail("an address: hexadecimal with 0x, or decimal (ramulator2)", addr_tok);
      break;
    }
  }
  if (st == NumberStatus::kBad) fail("a hexadecimal address (0x...)", addr_tok);
  if (st == NumberStatus::kOverflow) fail("an address that fits in 64 bits", addr_tok);
  out.line = line_;
  return true;
}

bool DramTraceReader::next(DramTraceRecord& out) {
  if (done_) return false;
  std::string_view text;
  while (next_line(text)) {
    if (parse_line(text, out)) {
      ++records_;
      return true;
    }
  }
  if (records_ == 0) {
    throw TraceFormatError(path_ + ": empty trace: expected at least one request line (blank lines and '#' "
                                   "comments do not count)");
  }
  done_ = true;
  return false;
}

std::size_t DramTraceReader::next_batch(std::span<DramTraceRecord> out) {
  std::size_t n = 0;
  while (n < out.size() && next(out[n])) ++n;
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Writer.

DramTraceWriter::DramTraceWriter(std::string path, DramTraceFormat format, bool gzip, int gzip_level)
    : path_(std::move(path)), format_(format), gzip_(gzip), buffer_(std::size_t{1} << 20) {
  if (gzip_) {
#ifdef TNPU_HAVE_ZLIB
    if (gzip_level < 1 || gzip_level > 9) {
      throw ConfigError("DramTraceWriter.gzip_level: expected 1..9, got " + std::to_string(gzip_level));
    }
    const std::string mode = "wb" + std::to_string(gzip_level);
    gzFile gz = gzopen(path_.c_str(), mode.c_str());
    if (gz == nullptr) throw TraceFormatError(path_ + ": cannot create the trace: " + system_message(errno));
    gz_ = gz;
#else
    (void)gzip_level;
    throw ConfigError(path_ + ": gzip output needs zlib, and tnpu was built without it");
#endif
  } else {
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) throw TraceFormatError(path_ + ": cannot create the trace: " + system_message(errno));
  }
}

DramTraceWriter::~DramTraceWriter() {
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; close() reports errors
  }
}

void DramTraceWriter::flush_buffer() {
  if (used_ == 0) return;
  bool ok = true;
  if (gzip_) {
#ifdef TNPU_HAVE_ZLIB
    ok = gzwrite(static_cast<gzFile>(gz_), buffer_.data(), static_cast<unsigned>(used_)) == static_cast<int>(used_);
#endif
  } else {
    ok = std::fwrite(buffer_.data(), 1, used_, file_) == used_;
  }
  used_ = 0;
  if (!ok) throw TraceFormatError(path_ + ": cannot write the trace: " + system_message(errno));
}

void DramTraceWriter::write(Command command, std::uint64_t address, std::uint64_t stamp_cycles) {
  if (file_ == nullptr && gz_ == nullptr) throw TraceFormatError(path_ + ": write() after close()");
  constexpr std::size_t kMaxRecord = 64;  // "LD " / "0x" + 16 hex digits + " WRITE " + 20 digits + "\n" < 64
  if (buffer_.size() - used_ < kMaxRecord) flush_buffer();
  char* p = buffer_.data() + used_;
  char* const e = buffer_.data() + buffer_.size();
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  auto put_hex = [&p, e](std::uint64_t v) {
    *p++ = '0';
    *p++ = 'x';
    p = std::to_chars(p, e, v, 16).ptr;
  };
  const bool write_cmd = command == Command::kWrite;
  switch (format_) {
    case DramTraceFormat::kDramsim3:
      put_hex(address);
      put(write_cmd ? " WRITE " : " READ ");
      p = std::to_chars(p, e, stamp_cycles).ptr;
      break;
    case DramTraceFormat::kRamulator1:
      put_hex(address);
      put(write_cmd ? " W" : " R");
      break;
    case DramTraceFormat::kRamulator2:
      put(write_cmd ? "ST " : "LD ");
      put_hex(address);
      break;
  }
  *p++ = '\n';
  used_ = static_cast<std::size_t>(p - buffer_.data());
  ++records_;
}

void DramTraceWriter::close() {
  if (file_ == nullptr && gz_ == nullptr) return;
  std::string error;
  try {
    flush_buffer();
  } catch (const TraceFormatError& e) {
    error = e.what();
  }
  if (gzip_) {
#ifdef TNPU_HAVE_ZLIB
    if (gzclose(static_cast<gzFile>(gz_)) != Z_OK && error.empty()) {
      error = path_ + ": cannot finish the gzip trace";
    }
#endif
    gz_ = nullptr;
  } else {
    if (std::fclose(file_) != 0 && error.empty()) error = path_ + ": cannot close the trace: " + system_message(errno);
    file_ = nullptr;
  }
  if (!error.empty()) throw TraceFormatError(error);
}

}  // namespace tnpu
