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
#include "tnpu/sim/interface.hpp"
#include "tnpu/trace/trace_format.hpp"
#include "trace_text.hpp"

#ifdef TNPU_HAVE_ZLIB
#include <zlib.h>
#endif

namespace tnpu {

using namespace trace_text;  // NOLINT(google-build-using-namespace): the private helpers of this folder

namespace {

std::string system_message(int err) { return std::string(std::strerror(err)); }

// What detection expects: every format's syntax.
std::string detect_expected() {
  std::string out = "a request line in a known format:";
  const auto& formats = trace_formats().entries();
  for (std::size_t i = 0; i < formats.size(); ++i) {
    out += (i == 0 ? " " : (i + 1 == formats.size() ? " or " : ", ")) + formats[i].info.name + " " +
           std::string(formats[i].factory.syntax);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Byte sources.

class ByteSource : public NonCopyableInterface<ByteSource> {
 public:
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

std::string_view format_name(DramTraceFormat f) noexcept {
  const auto& formats = trace_formats().entries();
  const auto i = static_cast<std::size_t>(f);
  return i < formats.size() ? std::string_view(formats[i].info.name) : std::string_view("?");
}

DramTraceFormat parse_format_name(std::string_view name) {
  if (const auto* f = trace_formats().find(name)) return f->factory.id;
  throw ConfigError(trace_formats().unknown_message(excerpt(name), "trace format") +
                    " (\"auto\" detects the format)");
}

bool format_has_stamp(DramTraceFormat f) noexcept { return trace_format(f).has_stamp; }

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
  if (!detect) {
    format_ = parse_format_name(options.format);
    ops_ = &trace_format(format_);
  }
  source_ = open_source(path_);
  if (options.buffer_bytes < 2 * kMaxLineBytes + 2) {
    throw ConfigError("DramTraceOptions.buffer_bytes: expected at least " + std::to_string(2 * kMaxLineBytes + 2) +
                      ", got " + std::to_string(options.buffer_bytes));
  }
  buffer_.resize(options.buffer_bytes);
  batch_.resize(kBatchRecords);
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
    for (const auto& f : trace_formats().entries()) {
      if (f.factory.recognise(tokens, n)) ops_ = &f.factory;
    }
    if (ops_ == nullptr) fail(detect_expected(), text);
    format_ = ops_->id;
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
  TraceLine{path_, line_, false, false, 0}.fail(expected, got);
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
  if (ops_->fast_parse(text.data(), text.data() + text.size(), out) &&
      !(monotonic_stamps_ && records_ > 0 && out.stamp_cycles < last_stamp_)) {
    if (out.has_stamp) last_stamp_ = out.stamp_cycles;
    out.line = line_;
    return true;
  }
  std::string_view tok[kMaxTokens];
  const std::size_t n = tokenize(text, tok);
  if (n == 0 || tok[0].front() == '#') return false;
  ops_->parse(tok, n, text, TraceLine{path_, line_, monotonic_stamps_, records_ > 0, last_stamp_}, out);
  if (out.has_stamp) last_stamp_ = out.stamp_cycles;
  out.line = line_;
  return true;
}

bool DramTraceReader::fill_batch() {
  FastLines b{buffer_.data() + begin_, buffer_.data() + end_, batch_.data(), batch_.size(), line_ + 1,
              monotonic_stamps_, records_ > 0, last_stamp_};
  const std::size_t n = ops_->fast_lines(b);
  if (n == 0) return false;
  begin_ = static_cast<std::size_t>(b.p - buffer_.data());
  line_ += n;
  last_stamp_ = b.previous_stamp;
  batch_next_ = 0;
  batch_end_ = n;
  return true;
}

bool DramTraceReader::next_slow(DramTraceRecord& out) {
  if (done_) return false;
  if (fill_batch()) return next(out);
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
    : path_(std::move(path)), format_(format), ops_(&trace_format(format)), gzip_(gzip), buffer_(std::size_t{1} << 20) {
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
  if (buffer_.size() - used_ < kMaxTraceRecordBytes + 1) flush_buffer();
  char* p = ops_->write(buffer_.data() + used_, buffer_.data() + buffer_.size(), command, address, stamp_cycles);
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
