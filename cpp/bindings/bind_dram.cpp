// Bindings of the DRAM model: the typed spec (one field per DramConfig field), the timing-rule table, address
// decoding, and the DramController module.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "bindings.hpp"
#include "py_simulator.hpp"
#include "tnpu/error.hpp"
#include "tnpu/mem/address_map.hpp"
#include "tnpu/mem/dram_controller.hpp"
#include "tnpu/mem/dram_spec.hpp"
#include "tnpu/mem/dram_timing.hpp"

namespace tnpu::bindings {

namespace {

template <class T>
using Ref = std::unique_ptr<T, py::nodelete>;  // modules are owned by their Simulation, never by Python

using U64Array = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

}  // namespace

void bind_dram(py::module_& m) {
  py::class_<DramSpec> spec_cls(m, "DramSpec", "Typed DRAM configuration (use tnpu.dram.DramConfig).");
  spec_cls.def(py::init<>())
      .def("validate", &DramSpec::validate)
      .def_property_readonly("capacity_bytes", &DramSpec::capacity_bytes)
      .def_property_readonly("line_bytes", &DramSpec::line_bytes)
      .def_property_readonly("peak_bandwidth_gbps", &DramSpec::peak_bandwidth_gbps);
#define TNPU_FIELD(name) spec_cls.def_readwrite(#name, &DramSpec::name)
  TNPU_FIELD(standard);
  TNPU_FIELD(tck_ps);
  TNPU_FIELD(channels);
  TNPU_FIELD(ranks);
  TNPU_FIELD(bankgroups);
  TNPU_FIELD(banks_per_group);
  TNPU_FIELD(rows);
  TNPU_FIELD(columns);
  TNPU_FIELD(device_width);
  TNPU_FIELD(bus_width);
  TNPU_FIELD(burst_length);
  TNPU_FIELD(data_rate);
  TNPU_FIELD(tCL);
  TNPU_FIELD(tCWL);
  TNPU_FIELD(tRCD);
  TNPU_FIELD(tRCDWR);
  TNPU_FIELD(tRP);
  TNPU_FIELD(tRAS);
  TNPU_FIELD(tRC);
  TNPU_FIELD(tCCD_S);
  TNPU_FIELD(tCCD_L);
  TNPU_FIELD(tRRD_S);
  TNPU_FIELD(tRRD_L);
  TNPU_FIELD(tFAW);
  TNPU_FIELD(faw_window);
  TNPU_FIELD(t32AW);
  TNPU_FIELD(tPPD);
  TNPU_FIELD(tWTR_S);
  TNPU_FIELD(tWTR_L);
  TNPU_FIELD(tRTP);
  TNPU_FIELD(tWR);
  TNPU_FIELD(tRTRS);
  TNPU_FIELD(tRTW);
  TNPU_FIELD(write_rank_switch);
  TNPU_FIELD(tREFI);
  TNPU_FIELD(tRFC);
  TNPU_FIELD(vdd);
  TNPU_FIELD(idd0);
  TNPU_FIELD(idd2n);
  TNPU_FIELD(idd3n);
  TNPU_FIELD(idd4r);
  TNPU_FIELD(idd4w);
  TNPU_FIELD(idd5b);
  TNPU_FIELD(address_mapping);
  TNPU_FIELD(read_queue_size);
  TNPU_FIELD(write_queue_size);
  TNPU_FIELD(bank_queue_size);
  TNPU_FIELD(scheduler);
  TNPU_FIELD(page_policy);
  TNPU_FIELD(refresh_policy);
  TNPU_FIELD(refresh_precharge);
  TNPU_FIELD(write_drain);
  TNPU_FIELD(write_high_watermark);
  TNPU_FIELD(write_low_watermark);
  TNPU_FIELD(row_hit_cap);
  TNPU_FIELD(promote_activated);
  TNPU_FIELD(forward_writes);
  TNPU_FIELD(dual_command);
  TNPU_FIELD(wrap_addresses);
#undef TNPU_FIELD

  m.def(
      "dram_timing_rules",
      [](const DramSpec& s) {
        py::list out;
        for (const TimingRule& r : dram_timing_rules(s)) {
          out.append(py::make_tuple(std::string(dram_level_name(r.level)), std::string(dram_command_name(r.preceding)),
                                    std::string(dram_command_name(r.following)), r.latency, r.window, r.sibling,
                                    std::string(r.name)));
        }
        return out;
      },
      py::arg("spec"),
      "The timing rules of spec.standard: (level, preceding, following, latency_cycles, window, sibling, name).");
  m.def(
      "dram_decode",
      [](const DramSpec& s, const U64Array& addresses) {
        const AddressMap map(s);
        const auto n = addresses.size();
        py::array_t<std::uint32_t> out({n, py::ssize_t{6}});
        auto o = out.mutable_unchecked<2>();
        const std::uint64_t* a = addresses.data();
        for (py::ssize_t i = 0; i < n; ++i) {
          const DramAddress d = map.decode(a[i]);
          o(i, 0) = d.channel;
          o(i, 1) = d.rank;
          o(i, 2) = d.bankgroup;
          o(i, 3) = d.bank;
          o(i, 4) = d.row;
          o(i, 5) = d.column;
        }
        return out;
      },
      py::arg("spec"), py::arg("addresses"),
      "Decode byte addresses into columns channel, rank, bankgroup, bank, row, column (in bursts).");
  m.def(
      "dram_describe_mapping", [](const DramSpec& s) { return AddressMap(s).describe(); }, py::arg("spec"),
      "The mapping's fields, least significant first.");

  py::class_<DramController, Module, Target, Ref<DramController>>(
      m, "DramController", "Cycle-level DRAM memory system (one controller per channel); a Target.")
      .def(py::init([](PySimulator& s, const std::string& name, const DramSpec& spec, Module* parent) {
             return Ref<DramController>(&s.sim().make<DramController>(name, spec, parent));
           }),
           py::arg("sim"), py::arg("name"), py::arg("spec"), py::kw_only(), py::arg("parent") = nullptr,
           py::keep_alive<1, 2>())
      .def_property_readonly("tck_ps", [](const DramController& c) { return c.spec().tck_ps; })
      .def_property_readonly("outstanding", &DramController::outstanding)
      .def_property_readonly("energy_pj", &DramController::energy_pj)
      .def_property_readonly("command_energy_pj", &DramController::command_energy_pj)
      .def_property_readonly("background_energy_pj", &DramController::background_energy_pj)
      .def_property_readonly("wakeups", &DramController::wakeups)
      .def_property_readonly("line_bytes", &DramController::line_bytes)
      .def("max_request_bytes", &DramController::max_request_bytes, py::arg("address"),
           "Largest multi-line request (burst) starting at address: whole lines in one row of one bank.")
      .def(
          "lines_in_row", [](const DramController& c, std::uint64_t a) { return c.address_map().lines_in_row(a); },
          py::arg("address"), "Consecutive lines from address that stay in its channel, rank, bank and row.")
      .def_property_readonly("capacity_bytes", [](const DramController& c) { return c.address_map().capacity_bytes(); })
      .def_property_readonly("spec", [](const DramController& c) { return c.spec(); });
}

}  // namespace tnpu::bindings
