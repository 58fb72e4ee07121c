// Test-only: synthetic measured architectures with a known ground truth, for
// the tests of the latency models fitted to measurements.
//
// The ground truth is a hidden roofline with per-class ceilings and a
// per-layer overhead times every layer (+-2% deterministic noise); the
// end-to-end time is sum * 1.05 + 0.1 ms.
#ifndef RIDGE_LATENCY_TESTING_SYNTHETIC_MEASUREMENTS_H_
#define RIDGE_LATENCY_TESTING_SYNTHETIC_MEASUREMENTS_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "latency/latency_model.h"
#include "latency/model_scoring.h"
#include "proto/architecture.pb.h"
#include "proto/hardware.pb.h"
#include "proto/search_space.pb.h"

namespace ridge::latency_testing {

// 80 distinct architectures sampled from the zoo's fmnist_uib space, deployed
// at 224x224x3 with 1000 classes, measured on the hidden machine and split
// 60 / 20 by SplitHeldOut(all, 0.25, seed 1). Tests derive their own fixture
// from this one, e.g. `class LookupTableTest : public Synthetic {};`.
class Synthetic : public ::testing::Test {
 public:
  // A profile with the given peaks, 4 bytes per element, nothing else.
  static HardwareProfile Profile(const std::string& name, double macs, double bytes);
  // The hidden machine.
  static HardwareProfile TrueProfile();
  // The same machine without ceilings or overhead, and one 2x off both ways.
  static HardwareProfile GoodBase();
  static HardwareProfile WrongBase();
  // The hidden per-layer times and end-to-end time of `arch`. With `additive`
  // the hidden machine overlaps nothing: compute + memory instead of the max.
  static MeasuredArch Measure(const Architecture& arch, bool additive = false);
  // `arch` at 224x224x3 input with 1000 classes.
  static Architecture Deploy(Architecture arch);
  // One line per score, so the test log shows how well each model did.
  static void PrintScore(const std::string& name, const ModelScore& s);

 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static SearchSpace* space_;
  static std::vector<MeasuredArch>* train_;
  static std::vector<MeasuredArch>* held_out_;
};

}  // namespace ridge::latency_testing

#endif  // RIDGE_LATENCY_TESTING_SYNTHETIC_MEASUREMENTS_H_
