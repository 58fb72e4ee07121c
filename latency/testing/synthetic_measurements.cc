#include "latency/testing/synthetic_measurements.h"

#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <utility>

#include "latency/costing.h"
#include "latency/roofline.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "zoo/zoo.h"

namespace ridge::latency_testing {

HardwareProfile Synthetic::Profile(const std::string& name, double macs, double bytes) {
  HardwareProfile p;
  p.set_name(name);
  p.set_peak_macs_per_sec(macs);
  p.set_peak_bytes_per_sec(bytes);
  p.set_bytes_per_element(4);
  return p;
}

HardwareProfile Synthetic::TrueProfile() {
  HardwareProfile p = Profile("hidden", 8e10, 2e10);
  for (auto [cls, eff] : {std::pair{CONV, 0.5}, {POINTWISE, 0.7}, {DEPTHWISE, 0.15},
                          {FULLY_CONNECTED, 0.3}}) {
    OpClassCeiling* c = p.add_ceilings();
    c->set_op_class(cls);
    c->set_efficiency(eff);
  }
  p.set_per_layer_overhead_sec(4e-6);
  return p;
}

HardwareProfile Synthetic::GoodBase() { return Profile("good_base", 8e10, 2e10); }
HardwareProfile Synthetic::WrongBase() { return Profile("wrong_base", 16e10, 1e10); }

MeasuredArch Synthetic::Measure(const Architecture& arch, bool additive) {
  NetworkCost cost = *CostArchitecture(arch, ElementType::kFp32);
  RooflineResult r = *PredictRoofline(cost, TrueProfile());
  MeasuredArch m;
  m.arch = arch;
  double sum = 0;
  const std::string id = ArchitectureId(arch);
  for (const LayerRoofline& t : r.layers) {
    const uint64_t h = Fnv1a64(id + t.cost->layer.name);
    const double noise = 0.02 * ((h % 2001) / 1000.0 - 1.0);
    const double sec = additive ? t.compute_sec + t.memory_sec + 4e-6 : t.time_sec;
    const double ms = sec * 1e3 * (1 + noise);
    m.layer_ms.push_back({t.cost->layer.name, ms});
    sum += ms;
  }
  m.latency_ms = sum * 1.05 + 0.1;
  return m;
}

Architecture Synthetic::Deploy(Architecture arch) {
  arch.mutable_input()->set_height(224);
  arch.mutable_input()->set_width(224);
  arch.mutable_input()->set_channels(3);
  arch.set_num_classes(1000);
  return arch;
}

void Synthetic::PrintScore(const std::string& name, const ModelScore& s) {
  std::printf("%-44s n=%d failed=%d rho=%.4f tau=%.4f mape=%.4f within10=%.2f\n", name.c_str(),
              s.n, s.failed, s.spearman, s.kendall, s.mape, s.within_10pct);
}

void Synthetic::SetUpTestSuite() {
  space_ = new SearchSpace(*LoadZooSpace("fmnist_uib"));
  std::mt19937_64 rng(20240611);
  std::vector<MeasuredArch> all;
  std::set<std::string> ids;
  while (all.size() < 80) {
    Architecture a = Deploy(*BuildArchitecture(*space_, SampleUniform(*space_, rng)));
    if (ids.insert(ArchitectureId(a)).second) all.push_back(Measure(a));
  }
  train_ = new std::vector<MeasuredArch>;
  held_out_ = new std::vector<MeasuredArch>;
  SplitHeldOut(all, 0.25, 1, train_, held_out_);
}

void Synthetic::TearDownTestSuite() {
  delete space_;
  delete train_;
  delete held_out_;
  space_ = nullptr;
  train_ = nullptr;
  held_out_ = nullptr;
}

SearchSpace* Synthetic::space_ = nullptr;
std::vector<MeasuredArch>* Synthetic::train_ = nullptr;
std::vector<MeasuredArch>* Synthetic::held_out_ = nullptr;

}  // namespace ridge::latency_testing
