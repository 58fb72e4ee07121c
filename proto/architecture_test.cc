#include "proto/architecture.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"

namespace ridge {
namespace {

using ::testing::HasSubstr;

constexpr char kEncoding[] =
    "v1 64x48x3 classes=10 act=hard_swish ls=1 : conv(3,2,16) fused(3,2,24,4) "
    "uib(3,5,2,40,2.5) mqa(4,16,2) uib(0,0,1,40,4) pool conv(1,1,128) fc";

TEST(CanonicalEncoding, RoundTrips) {
  absl::StatusOr<Architecture> a = ParseCanonicalEncoding(kEncoding);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->input().height(), 64);
  EXPECT_EQ(a->input().width(), 48);
  EXPECT_EQ(a->activation(), HARD_SWISH);
  EXPECT_TRUE(a->layer_scale());
  ASSERT_EQ(a->blocks_size(), 8);
  EXPECT_FLOAT_EQ(a->blocks(2).uib().expansion(), 2.5f);
  EXPECT_EQ(a->blocks(3).mqa().kv_stride(), 2);
  EXPECT_EQ(CanonicalEncoding(*a), kEncoding);
}

TEST(CanonicalEncoding, IgnoresNameAndTextprotoLayout) {
  Architecture a = *ParseCanonicalEncoding(kEncoding);
  Architecture b = a;
  b.set_name("renamed");
  EXPECT_EQ(CanonicalEncoding(a), CanonicalEncoding(b));
  EXPECT_EQ(ArchitectureId(a), ArchitectureId(b));
  // Through textproto and back: same encoding.
  Architecture c = *ParseTextProtoAs<Architecture>(ToTextProto(a), "roundtrip");
  EXPECT_EQ(CanonicalEncoding(c), kEncoding);
}

TEST(ArchitectureId, IsStableAcrossBuildsAndMachines) {
  // FNV-1a 64 of the encoding; this value must never change, since stored
  // results are keyed by it. Reference vectors: FNV-1a 64 of "" and "a".
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  Architecture a = *ParseCanonicalEncoding(kEncoding);
  EXPECT_EQ(ArchitectureId(a), absl::StrFormat("%016x", Fnv1a64(kEncoding)));
  EXPECT_EQ(ArchitectureId(a).size(), 16u);
}

TEST(ArchitectureId, DiffersWhenAnythingChanges) {
  Architecture a = *ParseCanonicalEncoding(kEncoding);
  const std::string id = ArchitectureId(a);
  Architecture b = a;
  b.mutable_blocks(2)->mutable_uib()->set_mid_dw_kernel(3);
  EXPECT_NE(ArchitectureId(b), id);
  b = a;
  b.mutable_input()->set_height(65);
  EXPECT_NE(ArchitectureId(b), id);
  b = a;
  b.set_layer_scale(false);
  EXPECT_NE(ArchitectureId(b), id);
}

TEST(CanonicalEncoding, GroupsAndExpandAlwaysAddTwoArgumentsOnlyWhenSet) {
  const std::string grouped = "v1 16x16x24 classes=10 act=relu ls=0 : uib(0,3,1,24,1,2,1) pool fc";
  absl::StatusOr<Architecture> a = ParseCanonicalEncoding(grouped);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->blocks(0).uib().groups(), 2);
  EXPECT_TRUE(a->blocks(0).uib().expand_always());
  EXPECT_EQ(CanonicalEncoding(*a), grouped);
  // A dense UIB keeps its five arguments, so no existing ID changes; groups 1
  // and groups 0 are one network.
  Architecture dense = *a;
  dense.mutable_blocks(0)->mutable_uib()->set_groups(1);
  dense.mutable_blocks(0)->mutable_uib()->set_expand_always(false);
  EXPECT_EQ(CanonicalEncoding(dense), "v1 16x16x24 classes=10 act=relu ls=0 : uib(0,3,1,24,1) pool fc");
  EXPECT_THAT(ParseCanonicalEncoding("v1 16x16x24 classes=10 act=relu ls=0 : uib(0,3,1,24,1,2,3) pool fc")
                  .status().message(),
              HasSubstr("expand_always (the 7th value) must be 0 or 1"));
}

TEST(CanonicalEncoding, MultiHeadAttentionAddsAFourthArgument) {
  const std::string mhsa = "v1 8x8x16 classes=2 act=relu ls=1 : mqa(2,8,1,1) pool fc";
  absl::StatusOr<Architecture> a = ParseCanonicalEncoding(mhsa);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->blocks(0).mqa().multi_head());
  EXPECT_EQ(CanonicalEncoding(*a), mhsa);
  a->mutable_blocks(0)->mutable_mqa()->set_multi_head(false);
  EXPECT_EQ(CanonicalEncoding(*a), "v1 8x8x16 classes=2 act=relu ls=1 : mqa(2,8,1) pool fc");
  EXPECT_THAT(ParseCanonicalEncoding("v1 8x8x16 classes=2 act=relu ls=1 : mqa(2,8,1,2) pool fc").status().message(),
              HasSubstr("multi_head (the 4th value) must be 0 or 1"));
}

TEST(ParseCanonicalEncoding, Errors) {
  EXPECT_THAT(ParseCanonicalEncoding("v2 1x1x1 classes=1 act=relu ls=0 : fc").status().message(),
              HasSubstr("must start with 'v1"));
  EXPECT_THAT(ParseCanonicalEncoding("v1 1x1 classes=1 act=relu ls=0 : fc").status().message(),
              HasSubstr("token '1x1' is not HxWxC"));
  EXPECT_THAT(ParseCanonicalEncoding("v1 8x8x3 classes=1 act=swish ls=0 : fc").status().message(),
              HasSubstr("token 'act=swish'"));
  EXPECT_THAT(ParseCanonicalEncoding("v1 8x8x3 classes=2 act=relu ls=0 : uib(3,3,1,8) pool fc")
                  .status().message(),
              HasSubstr("token 'uib(3,3,1,8)' has 4 arguments; uib takes 5"));
  EXPECT_THAT(ParseCanonicalEncoding("v1 8x8x3 classes=2 act=relu ls=0 : conv(3.5,1,8) pool fc")
                  .status().message(),
              HasSubstr("argument 1 (3.5) must be an integer"));
  EXPECT_THAT(ParseCanonicalEncoding("v1 8x8x3 classes=2 act=relu ls=0 : dense(3) fc").status().message(),
              HasSubstr("token 'dense(3)' is not a block"));
  // Parsed but invalid: validation names the field.
  EXPECT_THAT(ParseCanonicalEncoding("v1 8x8x3 classes=2 act=relu ls=0 : conv(4,1,8) pool fc")
                  .status().message(),
              HasSubstr("architecture.blocks[0].conv.kernel: 4 is not one of {1, 3, 5, 7}"));
}

}  // namespace
}  // namespace ridge
