#include "latency/latency_model.h"

#include <memory>

#include "gtest/gtest.h"

namespace ridge {
namespace {

TEST(EndToEndCorrection, DefaultIsIdentity) {
  EndToEndCorrection c;
  EXPECT_EQ(c.Apply(3.5), 3.5);
}

TEST(EndToEndCorrection, IsAffine) {
  EndToEndCorrection c;
  c.scale = 1.05;
  c.offset_ms = 0.1;
  EXPECT_DOUBLE_EQ(c.Apply(2.0), 1.05 * 2.0 + 0.1);
  EXPECT_DOUBLE_EQ(c.Apply(0.0), 0.1);
}

class ConstantModel : public LatencyModel {
 public:
  absl::StatusOr<double> PredictMs(const Architecture&) const override { return 2.5; }
  std::string name() const override { return "constant"; }
};

TEST(LatencyModel, IsUsedThroughTheBase) {
  std::unique_ptr<LatencyModel> model = std::make_unique<ConstantModel>();
  EXPECT_EQ(*model->PredictMs(Architecture()), 2.5);
  EXPECT_EQ(model->name(), "constant");
  MeasuredArch m;
  EXPECT_EQ(m.latency_ms, 0);
  EXPECT_TRUE(m.layer_ms.empty());
}

}  // namespace
}  // namespace ridge
