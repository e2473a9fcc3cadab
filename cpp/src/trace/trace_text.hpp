#pragma once
// Text helpers shared by the DRAM trace reader (dram_trace.cpp) and the trace formats (trace_formats.cpp): private
// to cpp/src/trace. No allocation except excerpt(), which builds error messages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tnpu::trace_text {

// A quoted excerpt of untrusted text for an error message: at most 60 characters, non-printable bytes as \xNN.
inline std::string excerpt(std::string_view text) {
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
inline std::size_t tokenize(std::string_view text, std::string_view (&tokens)[kMaxTokens]) noexcept {
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

inline bool has_hex_prefix(std::string_view s) noexcept {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

// Hexadecimal digits, with an optional 0x/0X prefix when allowed.
inline NumberStatus parse_hex(std::string_view s, bool prefix_optional, std::uint64_t& value) noexcept {
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

inline NumberStatus parse_decimal(std::string_view s, std::uint64_t& value) noexcept {
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

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;
  }
  return true;
}

// Fast paths (TraceFormatOps::fast_parse): hexadecimal digit values by byte.
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

}  // namespace tnpu::trace_text
