#include "tnpu/sim/request.hpp"

#include <string>

#include "tnpu/error.hpp"

namespace tnpu {

std::string_view command_name(Command c) noexcept {
  switch (c) {
    case Command::kRead: return "read";
    case Command::kWrite: return "write";
  }
  return "?";
}

std::uint64_t request_lines(const Request& request, std::uint64_t line_bytes, std::uint64_t max_request_bytes,
                            std::string_view target) {
  if (max_request_bytes == 0 || request.size_bytes <= line_bytes) return 1;
  if (request.size_bytes > max_request_bytes || request.size_bytes % line_bytes != 0 ||
      request.address % line_bytes != 0) {
    throw ConfigError(std::string(target) + ": a multi-line request of " + std::to_string(request.size_bytes) +
                      " B at " + std::to_string(request.address) + " must be whole, aligned lines of " +
                      std::to_string(line_bytes) + " B, at most " + std::to_string(max_request_bytes) + " B");
  }
  return request.size_bytes / line_bytes;
}

}  // namespace tnpu
