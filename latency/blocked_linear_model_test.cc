#include "latency/blocked_linear_model.h"

#include <cmath>

#include "gtest/gtest.h"
#include "latency/model_scoring.h"
#include "latency/testing/synthetic_measurements.h"
#include "proto/architecture.h"

namespace ridge {
namespace {

using latency_testing::Synthetic;

TEST(BlockedLinearFeatures, PadChannelsToTheBlockByHand) {
  // 8x8x24 -> 1x1 conv to 40: at a block of 16 the kernel computes 32 -> 48.
  const Architecture arch = *ParseCanonicalEncoding("v1 8x8x24 classes=10 act=relu ls=0 : conv(1,1,40) pool fc");
  const std::vector<double> exact = *BlockedLinearModel::Features(arch, 1);
  const std::vector<double> padded = *BlockedLinearModel::Features(arch, 16);
  EXPECT_DOUBLE_EQ(exact[0] * 1e9, 64 * 40 * 24);   // Pointwise GMACs, exact.
  EXPECT_DOUBLE_EQ(padded[0] * 1e9, 64 * 48 * 32);  // Padded.
  EXPECT_DOUBLE_EQ(padded[1] * 1e6, (64 * 32 + 64 * 48) * 4.0);
  EXPECT_EQ(padded[2], 1);        // One pointwise layer.
  EXPECT_EQ(padded.back(), 1.0);  // The constant.
}

// A hidden machine that works on 16-channel blocks: per role a rate on padded
// MACs and bytes, a cost per layer, and a constant.
double BlockedTruth(const Architecture& arch) {
  const std::vector<double> f = *BlockedLinearModel::Features(arch, 16);
  double ms = 0.3;
  for (size_t r = 0; r + 1 < f.size(); r += 3) ms += (2.0 + r) * f[r] + 0.05 * f[r + 1] + 0.004 * f[r + 2];
  return ms;
}

class BlockedLinearTest : public Synthetic {
 protected:
  static std::vector<MeasuredArch> Remeasure(const std::vector<MeasuredArch>& from) {
    std::vector<MeasuredArch> out;
    for (const MeasuredArch& m : from) out.push_back({m.arch, BlockedTruth(m.arch), {}});
    return out;
  }
};

TEST_F(BlockedLinearTest, RecoversABlockedMachineAndNeedsTheRightBlock) {
  const std::vector<MeasuredArch> train = Remeasure(*train_), held_out = Remeasure(*held_out_);
  auto right = FitBlockedLinear(train, 16);
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_EQ((*right)->name(), "blocked_linear:16");
  const ModelScore s16 = *ScoreModel(**right, held_out);
  const ModelScore s1 = *ScoreModel(**FitBlockedLinear(train, 1), held_out);
  PrintScore("blocked_linear:16", s16);
  PrintScore("blocked_linear:1", s1);
  EXPECT_GE(s16.within_10pct, 0.95);
  EXPECT_LT(s16.mape, 0.03);
  EXPECT_LT(s16.mape, s1.mape);  // Exact channels miss the padding.
}

TEST(BlockedLinearFit, RefusesTooFewMeasurementsAndBadBlocks) {
  const Architecture arch = *ParseCanonicalEncoding("v1 8x8x24 classes=10 act=relu ls=0 : conv(1,1,40) pool fc");
  std::vector<MeasuredArch> two = {{arch, 1.0, {}}, {arch, 1.1, {}}};
  EXPECT_FALSE(FitBlockedLinear(two, 16).ok());
  two.push_back({arch, 1.2, {}});
  EXPECT_FALSE(FitBlockedLinear(two, 0).ok());
  EXPECT_TRUE(FitBlockedLinear(two, 8).ok());
}

}  // namespace
}  // namespace ridge
