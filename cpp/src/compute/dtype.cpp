#include "tnpu/compute/dtype.hpp"

#include <array>
#include <string>

#include "tnpu/error.hpp"

namespace tnpu::compute {

namespace {
constexpr std::array<DataTypeInfo, 4> kTypes{{
    {"fp32", 4, "fp32_mac"},
    {"fp16", 2, "fp16_mac"},
    {"bf16", 2, "bf16_mac"},
    {"int8", 1, "int8_mac"},
}};
}  // namespace

const DataTypeInfo& data_type_info(DataType t) noexcept { return kTypes[static_cast<std::size_t>(t)]; }

std::vector<std::string> data_type_names() {
  std::vector<std::string> out;
  for (const auto& t : kTypes) out.emplace_back(t.name);
  return out;
}

DataType data_type_by_name(std::string_view name, std::string_view field) {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].name == name) return static_cast<DataType>(i);
  }
  std::string known;
  for (const auto& t : kTypes) known += (known.empty() ? "" : ", ") + std::string(t.name);
  throw ConfigError(std::string(field) + ": unknown data type '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace tnpu::compute
