#include "zoo/zoo.h"

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

}  // namespace
}  // namespace ridge
