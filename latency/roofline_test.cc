#include "latency/roofline.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"

namespace ridge {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

// conv(3,2,16) on 32x32x3, pooling, fc to 10, at fp32.
NetworkCost SmallNet() {
  Architecture a = *ParseCanonicalEncoding("v1 32x32x3 classes=10 act=relu ls=0 : conv(3,2,16) pool fc");
  return *CostArchitecture(a, ElementType::kFp32);
}

HardwareProfile Profile() {
  HardwareProfile p;
  p.set_name("hand");
  p.set_peak_macs_per_sec(1e9);   // 1 GMAC/s
  p.set_peak_bytes_per_sec(1e8);  // 100 MB/s: ridge point 10 MACs/byte.
  p.set_bytes_per_element(4);
  return p;
}

// Worked by hand:
//   conv: 110592 MACs -> 110.592 us; bytes 1792 + 28672 = 30464 -> 304.64 us (memory-bound)
//   pool: 0 MACs; bytes (4096 + 16) * 4 = 16448 -> 164.48 us
//   fc:   160 MACs -> 0.16 us; bytes (160 + 10) * 4 + (16 + 10) * 4 = 784 -> 7.84 us
constexpr double kConvMem = 304.64e-6, kPoolMem = 164.48e-6, kFcMem = 7.84e-6;

TEST(Roofline, HandWorkedTotal) {
  NetworkCost cost = SmallNet();
  RooflineResult r = *PredictRoofline(cost, Profile());
  ASSERT_EQ(r.layers.size(), 3u);
  EXPECT_THAT(r.layers[0].compute_sec, DoubleNear(110.592e-6, 1e-12));
  EXPECT_THAT(r.layers[0].memory_sec, DoubleNear(kConvMem, 1e-12));
  EXPECT_FALSE(r.layers[0].compute_bound);
  EXPECT_THAT(r.layers[0].arithmetic_intensity, DoubleNear(110592.0 / 30464.0, 1e-12));
  EXPECT_THAT(r.total_sec, DoubleNear(kConvMem + kPoolMem + kFcMem, 1e-12));
  double shares = 0;
  for (const LayerRoofline& t : r.layers) shares += t.share;
  EXPECT_THAT(shares, DoubleNear(1.0, 1e-12));
  EXPECT_THAT(r.layers[1].share, DoubleNear(kPoolMem / r.total_sec, 1e-12));
}

TEST(Roofline, PerLayerOverhead) {
  NetworkCost cost = SmallNet();
  HardwareProfile p = Profile();
  p.set_per_layer_overhead_sec(1e-6);
  EXPECT_THAT(PredictRoofline(cost, p)->total_sec,
              DoubleNear(kConvMem + kPoolMem + kFcMem + 3e-6, 1e-12));
}

TEST(Roofline, CeilingMakesAClassComputeBound) {
  NetworkCost cost = SmallNet();
  HardwareProfile p = Profile();
  OpClassCeiling* c = p.add_ceilings();
  c->set_op_class(CONV);  // The 3x3 conv is CONV; the fc is FULLY_CONNECTED.
  c->set_efficiency(0.1);
  RooflineResult r = *PredictRoofline(cost, p);
  EXPECT_TRUE(r.layers[0].compute_bound);
  EXPECT_THAT(r.layers[0].time_sec, DoubleNear(1105.92e-6, 1e-12));
  EXPECT_THAT(r.total_sec, DoubleNear(1105.92e-6 + kPoolMem + kFcMem, 1e-12));
}

TEST(Roofline, WidthMismatchAndInvalidProfile) {
  NetworkCost cost = SmallNet();
  HardwareProfile p = Profile();
  p.set_bytes_per_element(1);
  EXPECT_THAT(PredictRoofline(cost, p).status().message(),
              HasSubstr("hardware.bytes_per_element: 1 does not match the fp32 costing (4 bytes)"));
  p = Profile();
  p.set_peak_bytes_per_sec(0);
  EXPECT_EQ(PredictRoofline(cost, p).status().message(), "hardware.peak_bytes_per_sec: 0 must be > 0");
}

TEST(RidgeSweep, ZeroIsMacsOnlyAndLatencyGrowsWithRidge) {
  NetworkCost cost = SmallNet();
  std::vector<SweepPoint> s = *RidgeSweep(cost, Profile(), *SweepRange(0, 500, 50));
  ASSERT_EQ(s.size(), 11u);
  EXPECT_THAT(s[0].latency_ms, DoubleNear((110592 + 160) / 1e9 * 1e3, 1e-12));
  EXPECT_THAT(s[0].compute_bound_share, DoubleNear(1.0, 1e-12));
  for (size_t i = 1; i < s.size(); ++i) EXPECT_GT(s[i].latency_ms, s[i - 1].latency_ms);
  // At ridge 10 the sweep equals the profile itself.
  std::vector<SweepPoint> ten = *RidgeSweep(cost, Profile(), {10});
  EXPECT_THAT(ten[0].latency_ms, DoubleNear((kConvMem + kPoolMem + kFcMem) * 1e3, 1e-9));
}

TEST(SweepRange, Errors) {
  EXPECT_EQ(SweepRange(0, 500, 25)->size(), 21u);
  EXPECT_EQ(SweepRange(-1, 5, 1).status().message(), "--min_ridge: -1 must be >= 0");
  EXPECT_EQ(SweepRange(5, 1, 1).status().message(), "--max_ridge: 1 must be >= --min_ridge (5)");
  EXPECT_THAT(SweepRange(0, 500, 0).status().message(), HasSubstr("--step: 0 must be > 0"));
  EXPECT_THAT(SweepRange(0, 1e9, 1).status().message(), HasSubstr("at most 10000 points"));
}

}  // namespace
}  // namespace ridge
