#include "tnpu/compute/engine.hpp"

#include <utility>

namespace tnpu::compute {

namespace {

EngineSetup make_pe_array(const PeArrayConfig& config, const VectorUnitConfig& /*vector_unit*/) {
  auto array = std::make_shared<const PeArray>(config);
  const Dataflow& df = array->dataflow();
  auto granule = [&](char d) { return df.row_dim() == d ? config.rows : (df.col_dim() == d ? config.cols : 1); };
  EngineSetup e;
  e.cost = [a = array.get()](const GemmShape& g) { return a->gemm(g); };
  e.granule_m = granule('m');
  e.granule_k = granule('k');
  e.granule_n = granule('n');
  e.pes = array->pes();
  e.dataflow = std::string(df.name());
  e.owner = std::move(array);
  return e;
}

EngineSetup make_vector_unit(const PeArrayConfig& /*pe_array*/, const VectorUnitConfig& config) {
  auto unit = std::make_shared<const VectorUnit>(config);
  EngineSetup e;
  e.cost = [v = unit.get()](const GemmShape& g) { return v->gemm(g); };
  e.granule_n = config.lanes;
  e.pes = unit->lanes();
  e.dataflow = "vector";
  e.owner = std::move(unit);
  return e;
}

}  // namespace

void register_builtin_engines(EngineRegistry& registry) {
  const PeArrayConfig a;
  const VectorUnitConfig v;
  registry.add("pe_array", "PU-c: R x C systolic PE array with a dataflow",
               {{"pe_array.rows", "PEs", default_text(a.rows), "rows of the array (R)"},
                {"pe_array.cols", "PEs", default_text(a.cols), "columns of the array (C)"},
                {"pe_array.dataflow", "", a.dataflow, "the dataflow (a name of the 'dataflow' area)"}},
               make_pe_array);
  registry.add("vector_unit", "PU-f: a row of MAC lanes (matrix-vector products)",
               {{"vector_unit.lanes", "MACs", default_text(v.lanes), "MAC lanes (N)"}}, make_vector_unit);
}

const EngineRegistry& engines() {
  static const auto registry = make_registry("engine", register_builtin_engines);
  return registry;
}

}  // namespace tnpu::compute
