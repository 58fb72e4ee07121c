#include "zoo/zoo.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "proto/layers.h"

namespace ridge {

namespace {

using ::testing::HasSubstr;

TEST(Zoo, ListsTheSixModelsInOrder) {
  EXPECT_THAT(ZooModelNames(),
              ::testing::ElementsAre("mobilenetv4_conv_small", "mobilenetv4_conv_medium",
                                     "mobilenetv4_conv_large", "mobilenetv4_hybrid_medium",
                                     "mobilenetv4_hybrid_large", "mobilenetv2_100"));
}

TEST(Zoo, Errors) {
  absl::StatusOr<Architecture> a = LoadZooModel("resnet50");
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(a.status().message(), HasSubstr("unknown model 'resnet50'; the zoo has: mobilenetv4_conv_small"));
  a = LoadZooModel("mobilenetv2_100", {.resolution = -4});
  EXPECT_EQ(a.status().message(), "resolution: -4 must be in [1, 8192]");
  a = LoadZooModel("mobilenetv2_100", {.resolution = 16});
  EXPECT_THAT(a.status().message(), HasSubstr("cannot downsample a 1x1 feature map (the input 16x16"));
}

TEST(ResolveArchitecture, NameEncodingOrFile) {
  Architecture a = *ResolveArchitecture("mobilenetv2_100");
  EXPECT_EQ(a.name(), "mobilenetv2_100");
  Architecture b = *ResolveArchitecture(CanonicalEncoding(a));
  EXPECT_EQ(ArchitectureId(a), ArchitectureId(b));
  absl::StatusOr<Architecture> c = ResolveArchitecture("no_such_thing.textproto");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("--arch: 'no_such_thing.textproto' is neither a zoo model"));
}

// HW-NAS-Bench names an FBNet network by its op_idx_list: one index per
// layer into k3_e1, k3_e1_g2, k3_e3, k3_e6, k5_e1, k5_e1_g2, k5_e3, k5_e6, skip.
TEST(ResolveArchitecture, OpIndicesOfAnOpListSpace) {
  // Layer 0 k3_e1_g2, layer 1 skip (16 -> 24: a 1x1 conv), then k5_e6 everywhere.
  std::string list = "[1, 8";
  for (int i = 2; i < 22; ++i) list += ", 7";
  absl::StatusOr<Architecture> a = ResolveArchitecture("fbnet:" + list + "]");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(BlockToken(a->blocks(1)), "uib(0,3,1,16,1,2,1)");
  EXPECT_EQ(BlockToken(a->blocks(2)), "conv(1,1,24)");
  EXPECT_EQ(BlockToken(a->blocks(3)), "uib(0,5,1,24,6,1,1)");
  // The same list without brackets, separated by semicolons (a CSV cell
  // without quotes), is the same network.
  std::string bare = list.substr(1);
  std::replace(bare.begin(), bare.end(), ',', ';');
  EXPECT_EQ(CanonicalEncoding(*ResolveArchitecture("fbnet:" + bare)), CanonicalEncoding(*a));

  EXPECT_THAT(ResolveArchitecture("fbnet:[1,2,3]").status().message(),
              HasSubstr("--arch: 3 op indices; space 'fbnet' has 22 layers"));
  EXPECT_THAT(ResolveArchitecture("fbnet:" + list + ", 9]", {}, "arch").status().message(),
              HasSubstr("arch: more than 22 op indices"));
  std::string nine = list + "]";
  nine.replace(nine.size() - 2, 1, "9");
  EXPECT_THAT(ResolveArchitecture("fbnet:" + nine).status().message(),
              HasSubstr("op index 9 of layer 21 is not below the layer's 9 ops"));
  EXPECT_THAT(ResolveArchitecture("fbnet:[1,x]").status().message(), HasSubstr("'x' is not an op index"));
  EXPECT_THAT(ResolveArchitecture("fmnist_uib:[0]").status().message(),
              HasSubstr("space 'fmnist_uib' searches widths; op indices need fixed widths"));
}

}  // namespace
}  // namespace ridge
