#pragma once
// Data types of the datapath: they set the bytes per operand element and the MAC energy class.
// Contract: data_type_by_name() accepts exactly the names of data_types() and throws ConfigError otherwise.
#include <cstdint>
#include <string>
#include <string_view>

#include "tnpu/sim/registry.hpp"

namespace tnpu::compute {

enum class DataType : std::uint8_t { kFp32 = 0, kFp16 = 1, kBf16 = 2, kInt8 = 3 };

struct DataTypeInfo {
  std::string_view name;          // "fp32", "fp16", "bf16", "int8"
  std::uint32_t bytes;            // bytes per element
  std::string_view mac_energy_class;  // key of the MAC energy in the energy table ("fp32_mac", ...)
};

[[nodiscard]] const DataTypeInfo& data_type_info(DataType t) noexcept;
// Throws ConfigError naming `field` and listing the valid names.
[[nodiscard]] DataType data_type_by_name(std::string_view name, std::string_view field = "dtype");
// The data types by name (in enum order), for "did you mean" and tnpu._core.registry().
[[nodiscard]] const Registry<DataType>& data_types();

}  // namespace tnpu::compute
