#include "tnpu/sim/request.hpp"

namespace tnpu {

std::string_view command_name(Command c) noexcept {
  switch (c) {
    case Command::kRead: return "read";
    case Command::kWrite: return "write";
  }
  return "?";
}

}  // namespace tnpu
