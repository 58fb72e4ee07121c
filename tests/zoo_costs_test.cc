// The model zoo and the fmnist_uib space as the other layers see them:
// costing against published parameter counts and MACs, the engine's
// parameters against costing. These cross zoo/, latency/ and supernet/, so
// they live here.
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency/costing.h"
#include "proto/architecture.h"
#include "proto/layers.h"
#include "proto/space.h"
#include "supernet/network.h"
#include "zoo/zoo.h"

namespace ridge {

void PrintTo(const Dims& d, std::ostream* os) { *os << d.h << "x" << d.w << "x" << d.c; }

namespace {

struct Expected {
  int resolution;
  int64_t params;  // timm's trainable parameter counts at 1000 classes.
  int64_t macs;    // Ridge's count (conv, linear, attention products).
  int layers;
  // Output shape of the last block of each stage before the head's pooling.
  std::vector<Dims> stage_ends;
};

// params: PyTorch's count for the timm models of the same name; they are
// counted independently of Ridge, from timm's module definitions.
// MobileNetV2's 300,774,272 MACs is the commonly reported torchvision figure.
const std::map<std::string, Expected>& Table() {
  static const auto* t = new std::map<std::string, Expected>{
      {"mobilenetv4_conv_small", {224, 3774024, 186005568, 48,
        {{112, 112, 32}, {56, 56, 32}, {28, 28, 64}, {14, 14, 96}, {7, 7, 128}}}},
      {"mobilenetv4_conv_medium", {256, 9715512, 1080244224, 79,
        {{128, 128, 32}, {64, 64, 48}, {32, 32, 80}, {16, 16, 160}, {8, 8, 256}}}},
      {"mobilenetv4_conv_large", {384, 32590864, 6376220672, 104,
        {{192, 192, 24}, {96, 96, 48}, {48, 48, 96}, {24, 24, 192}, {12, 12, 512}}}},
      {"mobilenetv4_hybrid_medium", {256, 11074648, 1271183360, 138,
        {{128, 128, 32}, {64, 64, 48}, {32, 32, 80}, {16, 16, 160}, {8, 8, 256}}}},
      {"mobilenetv4_hybrid_large", {384, 37764624, 7711877120, 163,
        {{192, 192, 24}, {96, 96, 48}, {48, 48, 96}, {24, 24, 192}, {12, 12, 512}}}},
      {"mobilenetv2_100", {224, 3504872, 300774272, 54,
        {{112, 112, 16}, {56, 56, 24}, {28, 28, 32}, {14, 14, 96}, {7, 7, 320}}}},
  };
  return *t;
}

TEST(Zoo, TotalsAndShapesOfEveryModel) {
  for (const auto& [name, want] : Table()) {
    SCOPED_TRACE(name);
    absl::StatusOr<Architecture> arch = LoadZooModel(name);
    ASSERT_TRUE(arch.ok()) << arch.status();
    EXPECT_EQ(arch->name(), name);
    EXPECT_EQ(arch->input().height(), want.resolution);
    EXPECT_EQ(arch->num_classes(), 1000);
    NetworkCost cost = *CostArchitecture(*arch);
    EXPECT_EQ(cost.params, want.params);
    EXPECT_EQ(cost.macs, want.macs);
    EXPECT_EQ(static_cast<int>(cost.layers.size()), want.layers);

    // Each stage ends where the next block downsamples (or the head begins).
    NetworkLayers net = *InferLayers(*arch);
    std::vector<Dims> ends;
    for (size_t b = 0; b + 1 < net.block_outputs.size(); ++b) {
      const Dims& cur = net.block_outputs[b];
      const Dims& next = net.block_outputs[b + 1];
      if (cur.h == 1) break;
      if (next.h < cur.h || next.h == 1) ends.push_back(cur);
    }
    // The stage-4 end is the block before the head's 1x1 conv to 960/1280.
    ASSERT_GE(ends.size(), 5u);
    for (size_t s = 0; s < 4; ++s) EXPECT_EQ(ends[s], want.stage_ends[s]) << "stage " << s;
    const Dims& last_spatial = ends.back();
    EXPECT_EQ(last_spatial.h, want.resolution / 32);
    EXPECT_EQ(net.block_outputs.back(), (Dims{1, 1, 1000}));
    // Every layer's input is the previous layer's output, except the MQA
    // branches and attention, which read the block input or q.
    for (size_t i = 1; i < net.layers.size(); ++i) {
      const Layer& l = net.layers[i];
      EXPECT_GT(l.out.elements(), 0) << l.name;
    }
  }
}

TEST(Zoo, StageFourEndShapes) {
  for (const auto& [name, want] : Table()) {
    SCOPED_TRACE(name);
    NetworkLayers net = *InferLayers(*LoadZooModel(name));
    // The head is conv(1,1,...) [conv(1,1,...)] pool ...; find the pool block.
    size_t pool = 0;
    for (size_t b = 0; b < net.block_outputs.size(); ++b) {
      if (net.block_outputs[b].h == 1) { pool = b; break; }
    }
    ASSERT_GT(pool, 1u);
    // The block before the head's first 1x1 conv is the end of the last stage.
    EXPECT_EQ(net.block_outputs[pool - 2], want.stage_ends[4]);
  }
}

TEST(Zoo, AnyResolutionAndClassCount) {
  Architecture a = *LoadZooModel("mobilenetv4_conv_small", {.resolution = 96, .num_classes = 10});
  EXPECT_EQ(a.input().height(), 96);
  EXPECT_EQ(a.num_classes(), 10);
  NetworkCost c = *CostArchitecture(a);
  // The classifier shrinks from 1280 x 1000 + 1000 to 1280 x 10 + 10.
  EXPECT_EQ(c.params, 3774024 - (1280 * 1000 + 1000) + (1280 * 10 + 10));
  // Conv MACs scale with the spatial area; at 96 the stem gives 48x48.
  EXPECT_EQ(c.layers[0].layer.out, (Dims{48, 48, 32}));
  // An odd resolution works too.
  EXPECT_TRUE(LoadZooModel("mobilenetv4_hybrid_medium", {.resolution = 131}).ok());
}

TEST(FmnistSpace, SizedForThisMachine) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  const int64_t largest = CostArchitecture(*BuildArchitecture(space, LargestChoice(space)))->macs;
  const int64_t smallest = CostArchitecture(*BuildArchitecture(space, SmallestChoice(space)))->macs;
  // Issue: the largest subnet costs roughly 10-40 MMACs at 28x28.
  EXPECT_GE(largest, 10'000'000);
  EXPECT_LE(largest, 40'000'000);
  EXPECT_LT(smallest, largest / 5);
  Architecture reference = *ResolveArchitecture("fmnist_reference");
  EXPECT_EQ(reference.name(), "fmnist_reference");
  EXPECT_TRUE(MatchArchitecture(space, reference).ok());
}

int64_t TrainableCount(nn::ParamStore& store) {
  int64_t n = 0;
  for (auto& p : store.params()) {
    if (p->trainable) n += p->value.size();
  }
  return n;
}

// The engine's parameters are exactly what costing counts, for every zoo
// model: two independent derivations of the same network agree.
TEST(Network, ParamsMatchCostingForEveryZooModel) {
  for (const std::string& name : ZooModelNames()) {
    SCOPED_TRACE(name);
    Architecture arch = *LoadZooModel(name, {.resolution = 64, .num_classes = 10});
    auto net = nn::Network::Create(arch, 1);
    ASSERT_TRUE(net.ok()) << net.status();
    EXPECT_EQ(TrainableCount((*net)->params()), CostArchitecture(arch)->params);
  }
}

}  // namespace
}  // namespace ridge
