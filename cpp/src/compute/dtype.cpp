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

const Registry<DataType>& data_types() {
  static const Registry<DataType> registry = [] {
    Registry<DataType> r("data type");
    for (std::size_t i = 0; i < kTypes.size(); ++i) {
      const DataTypeInfo& t = kTypes[i];
      r.add(std::string(t.name),
            std::to_string(t.bytes) + " byte(s) per operand element; MAC energy '" + std::string(t.mac_energy_class) +
                "' of the energy table",
            static_cast<DataType>(i));
    }
    return r;
  }();
  return registry;
}

DataType data_type_by_name(std::string_view name, std::string_view field) {
  return data_types().at(name, field).factory;
}

}  // namespace tnpu::compute
