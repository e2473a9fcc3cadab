#include "tnpu/compute/pe_array.hpp"

#include <string>

#include "tnpu/error.hpp"

namespace tnpu::compute {

void PeArrayConfig::validate(std::string_view field) const {
  const std::string f(field);
  if (rows == 0) throw ConfigError(f + ".rows: must be at least 1 (got 0)");
  if (cols == 0) throw ConfigError(f + ".cols: must be at least 1 (got 0)");
  if (rows > 65536 || cols > 65536) throw ConfigError(f + ".rows/cols: at most 65536 each");
  (void)dataflow_by_name(dataflow, f + ".dataflow");
}

PeArray::PeArray(const PeArrayConfig& config)
    : dims_{config.rows, config.cols}, dataflow_(&dataflow_by_name(config.dataflow)) {
  config.validate();
}

}  // namespace tnpu::compute
