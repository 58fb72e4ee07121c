#include "latency/mean_model.h"

#include "gtest/gtest.h"

namespace ridge {
namespace {

// A model that prices every architecture alike, or fails.
class Fixed : public LatencyModel {
 public:
  explicit Fixed(absl::StatusOr<double> ms, std::string name) : ms_(ms), name_(std::move(name)) {}
  absl::StatusOr<double> PredictMs(const Architecture&) const override { return ms_; }
  std::string name() const override { return name_; }

 private:
  absl::StatusOr<double> ms_;
  std::string name_;
};

MeanModel Mean(absl::StatusOr<double> a, absl::StatusOr<double> b) {
  std::vector<std::unique_ptr<LatencyModel>> models;
  models.push_back(std::make_unique<Fixed>(a, "a"));
  models.push_back(std::make_unique<Fixed>(b, "b"));
  return MeanModel(std::move(models));
}

TEST(MeanModel, AveragesThePredictionsAndNamesItsParts) {
  const MeanModel m = Mean(2.0, 3.0);
  EXPECT_DOUBLE_EQ(*m.PredictMs(Architecture()), 2.5);
  EXPECT_EQ(m.name(), "mean(a,b)");
}

TEST(MeanModel, APartThatCannotPriceFailsTheMean) {
  const MeanModel m = Mean(2.0, absl::NotFoundError("no table entry"));
  EXPECT_EQ(m.PredictMs(Architecture()).status().message(), "no table entry");
}

}  // namespace
}  // namespace ridge
