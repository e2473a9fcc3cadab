#pragma once
// PeArray: an R x C systolic array of PEs (TNPU's PU-c) running GEMM tiles with a named dataflow.
// Contract: gemm() gives the cycles of one GEMM tile with the fill/stream/drain model of the dataflow (see
// dataflow.hpp); a tile larger than the array is folded. Pure: no simulation state is kept.
#include <cstdint>
#include <string>

#include "tnpu/compute/dataflow.hpp"

namespace tnpu::compute {

struct PeArrayConfig {
  std::uint64_t rows = 16;
  std::uint64_t cols = 16;
  std::string dataflow = "os";
  void validate(std::string_view field = "pe_array") const;  // throws ConfigError naming field.rows etc.
};

class PeArray {
 public:
  explicit PeArray(const PeArrayConfig& config);
  [[nodiscard]] GemmCost gemm(const GemmShape& shape) const { return dataflow_->cost(dims_, shape); }
  [[nodiscard]] const ArrayDims& dims() const noexcept { return dims_; }
  [[nodiscard]] std::uint64_t pes() const noexcept { return dims_.rows * dims_.cols; }
  [[nodiscard]] const Dataflow& dataflow() const noexcept { return *dataflow_; }

 private:
  ArrayDims dims_;
  const Dataflow* dataflow_;
};

}  // namespace tnpu::compute
