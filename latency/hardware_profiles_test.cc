#include "latency/hardware_profiles.h"

#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/local_cpu.h"

namespace ridge {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

TEST(HardwareProfiles, PaperRidgePointsAreKept) {
  // MobileNetV4 paper, Table 16.
  const std::map<std::string, double> paper = {
      {"pixel6_cpu", 31.2}, {"s23_cpu", 39.7}, {"pixel4_dsp", 347.3}, {"pixel8_edgetpu", 433.8}};
  for (const auto& [name, ridge] : paper) {
    absl::StatusOr<HardwareProfile> p = ResolveHardware(name);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_THAT(RidgePoint(*p), DoubleNear(ridge, ridge * 0.005)) << name;
    EXPECT_EQ(p->bytes_per_element(), 1) << name;  // The paper's targets ran int8.
    EXPECT_FALSE(p->source().empty()) << name;
  }
}

TEST(HardwareProfiles, EveryBuiltinIsValidAndNamedAsItsFile) {
  std::vector<HardwareProfile> all = *BuiltinHardwareProfiles(/*measure_local=*/false);
  std::vector<std::string> names = BuiltinHardwareNames();
  ASSERT_EQ(all.size() + 1, names.size());
  EXPECT_EQ(names.back(), "local_cpu");
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].name(), names[i]);
}

TEST(HardwareProfiles, LocalCpuIsMeasured) {
  LocalCpuOptions options;
  options.fma_seconds = 0.005;
  options.triad_elements = 1 << 20;
  options.repeats = 1;
  LocalCpuMeasurement m = *MeasureLocalCpu(options);
  EXPECT_GT(m.peak_macs_per_sec, 1e8);
  EXPECT_GT(m.triad_bytes_per_sec, 1e8);
  HardwareProfile p = LocalCpuProfile(m);
  EXPECT_EQ(p.name(), "local_cpu");
  EXPECT_EQ(p.bytes_per_element(), 4);
  EXPECT_THAT(p.source(), HasSubstr("measured"));
}

TEST(ResolveHardware, FileAndErrors) {
  std::string dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
  std::string good = dir + "/mine.textproto", bad = dir + "/bad.textproto";
  std::ofstream(good) << "name: \"mine\" peak_macs_per_sec: 1e10 peak_bytes_per_sec: 1e9 bytes_per_element: 2\n";
  std::ofstream(bad) << "name: \"bad\" peak_macs_per_sec: -1 peak_bytes_per_sec: 1e9 bytes_per_element: 2\n";
  absl::StatusOr<HardwareProfile> p = ResolveHardware(good);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(RidgePoint(*p), DoubleNear(10, 1e-9));
  EXPECT_THAT(ResolveHardware(bad).status().message(),
              HasSubstr("--hardware: " + bad + ".peak_macs_per_sec: -1 must be > 0"));
  absl::StatusOr<HardwareProfile> missing = ResolveHardware("tpu_v9");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'tpu_v9' is neither a built-in profile"));
}

}  // namespace
}  // namespace ridge
