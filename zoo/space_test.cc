// The built-in fmnist_uib space and the choice <-> architecture mapping.
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/architecture.h"
#include "proto/space.h"
#include "proto/textproto.h"
#include "zoo/zoo.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

TEST(Space, SamplesRoundTripThroughArchitectures) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  std::mt19937_64 rng(11);
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    SpaceChoice c = SampleUniform(space, rng);
    absl::StatusOr<Architecture> arch = BuildArchitecture(space, c);
    ASSERT_TRUE(arch.ok()) << arch.status();
    ids.insert(ArchitectureId(*arch));
    absl::StatusOr<SpaceChoice> back = MatchArchitecture(space, *arch);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << CanonicalEncoding(*arch);
    EXPECT_EQ(CanonicalEncoding(*BuildArchitecture(space, *back)), CanonicalEncoding(*arch));
  }
  EXPECT_GT(ids.size(), 190u);  // Sampling covers a large space.
}

TEST(Space, SamplingIsReproducibleFromItsSeed) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  std::mt19937_64 a(5), b(5);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(SampleUniform(space, a) == SampleUniform(space, b));
}

TEST(Space, ArchitecturesOutsideAreNamed) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  Architecture a = *ResolveArchitecture("fmnist_reference");
  a.mutable_blocks(1)->mutable_uib()->set_expansion(3);
  EXPECT_THAT(MatchArchitecture(space, a).status().message(),
              HasSubstr("block 1 uib(0,3,1,32,3) does not fit stages[0].slots[0]"));
  Architecture mobilenet = *ResolveArchitecture("mobilenetv2_100");
  EXPECT_FALSE(MatchArchitecture(space, mobilenet).ok());
}

TEST(Space, StructureErrors) {
  SearchSpace space = *LoadZooSpace("fmnist_uib");
  SearchSpace bad = space;
  bad.mutable_stages(1)->mutable_slots(0)->set_optional(true);
  bad.mutable_stages(1)->mutable_slots(0)->set_stride(1);
  EXPECT_THAT(ValidateSpaceStructure(bad).message(),
              HasSubstr("search_space.stages[1].slots[0].optional: true is not allowed on a stage's first slot"));
  bad = space;
  bad.mutable_head()->RemoveLast();
  EXPECT_THAT(ValidateSpaceStructure(bad).message(), HasSubstr("must end with global_pool then classifier"));
  bad = space;
  bad.mutable_references(0)->mutable_blocks(0)->mutable_conv()->set_filters(16);
  EXPECT_THAT(ValidateSpaceStructure(bad).message(), HasSubstr("search_space.references[0]"));
}

// cifar_uib is fmnist_uib for 32x32 RGB images: its reference fits it.
TEST(Space, CifarSpaceTakes32x32Rgb) {
  SearchSpace space = *LoadZooSpace("cifar_uib");
  EXPECT_EQ(space.input().height(), 32);
  EXPECT_EQ(space.input().channels(), 3);
  Architecture ref = *ResolveArchitecture("cifar_reference");
  ASSERT_TRUE(MatchArchitecture(space, ref).ok()) << MatchArchitecture(space, ref).status();
  std::mt19937_64 rng(2);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(BuildArchitecture(space, SampleUniform(space, rng)).ok());
}

TEST(ResolveSearchSpace, NameFileAndErrors) {
  EXPECT_EQ(ResolveSearchSpace("fmnist_uib")->name(), "fmnist_uib");
  EXPECT_THAT(ResolveSearchSpace("imagenet_uib").status().message(),
              HasSubstr("--space: 'imagenet_uib' is neither a built-in space (fmnist_uib, fmnist_uib_coarse, "));
}

}  // namespace
}  // namespace ridge
