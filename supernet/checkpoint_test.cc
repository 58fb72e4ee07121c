#include "supernet/checkpoint.h"

#include <fstream>

#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/textproto.h"

namespace ridge::nn {
namespace {

using ::testing::HasSubstr;

std::string Tmp(const std::string& name) {
  return std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/" + name;
}

struct Fixture {
  ParamStore store;
  std::unique_ptr<Optimizer> opt;
  explicit Fixture(float fill, int64_t size = 5) {
    store.Add("a.weight", {size}, fill, true);
    store.Add("a.bn.scale", {3}, fill + 1, false);
    opt = std::make_unique<Optimizer>(&store, OptimizerOptions{});
    for (auto& p : store.params()) std::fill(p->grad.begin(), p->grad.end(), 1.0f);
    opt->Step(0.1f);  // Non-zero momentum state.
  }
};

TEST(Checkpoint, RoundTripsWeightsStateAndHeader) {
  Fixture a(2.0f), b(0.0f);
  CheckpointHeader h{"standalone", "v1 spec", "k=v", 40, 2};
  ASSERT_TRUE(WriteCheckpoint(Tmp("ok.ckpt"), h, a.store, a.opt.get()).ok());
  absl::StatusOr<CheckpointHeader> read = ReadCheckpoint(Tmp("ok.ckpt"), &b.store, b.opt.get());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->spec, "v1 spec");
  EXPECT_EQ(read->step, 40);
  EXPECT_EQ(read->epoch, 2);
  EXPECT_EQ(b.store.params()[0]->value, a.store.params()[0]->value);
  EXPECT_EQ(*b.opt->State()[0].second, *a.opt->State()[0].second);
  EXPECT_EQ(ReadCheckpointHeader(Tmp("ok.ckpt"))->kind, "standalone");
}

TEST(Checkpoint, CorruptTruncatedAndForeignFilesAreRefused) {
  Fixture a(2.0f);
  ASSERT_TRUE(WriteCheckpoint(Tmp("c.ckpt"), {"standalone", "s", "", 1, 1}, a.store, a.opt.get()).ok());
  std::string bytes = *ReadFileToString(Tmp("c.ckpt"), 1 << 20);

  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  std::ofstream(Tmp("flip.ckpt"), std::ios::binary) << flipped;
  absl::Status s = ReadCheckpointHeader(Tmp("flip.ckpt")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));

  std::ofstream(Tmp("short.ckpt"), std::ios::binary) << bytes.substr(0, bytes.size() - 9);
  EXPECT_FALSE(ReadCheckpointHeader(Tmp("short.ckpt")).ok());

  std::ofstream(Tmp("text.ckpt"), std::ios::binary) << "hello, not a checkpoint";
  EXPECT_THAT(ReadCheckpointHeader(Tmp("text.ckpt")).status().message(), HasSubstr("not a Ridge checkpoint"));

  std::string future = bytes;
  future[8] = 9;  // Version field.
  std::ofstream(Tmp("future.ckpt"), std::ios::binary) << future;
  EXPECT_THAT(ReadCheckpointHeader(Tmp("future.ckpt")).status().message(),
              HasSubstr("checkpoint version 9 is not the supported version 1"));
}

TEST(Checkpoint, MismatchedNetworkIsRefusedAndNothingIsApplied) {
  Fixture a(2.0f), other(7.0f, /*size=*/6);
  ASSERT_TRUE(WriteCheckpoint(Tmp("m.ckpt"), {"standalone", "s", "", 1, 1}, a.store, a.opt.get()).ok());
  absl::Status s = ReadCheckpoint(Tmp("m.ckpt"), &other.store, other.opt.get()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("parameter 'a.weight' has 5 values; the network expects 6"));
  for (auto& p : other.store.params()) {
    for (float v : p->value) EXPECT_NE(v, 2.0f);  // Untouched.
  }
}

TEST(Checkpoint, WriteIsAtomic) {
  Fixture a(2.0f);
  ASSERT_TRUE(WriteCheckpoint(Tmp("at.ckpt"), {"standalone", "s", "", 1, 1}, a.store, nullptr).ok());
  EXPECT_FALSE(std::ifstream(Tmp("at.ckpt.tmp")).good());  // Renamed into place.
  EXPECT_EQ(WriteCheckpoint("/nonexistent/dir/x.ckpt", {}, a.store, nullptr).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace ridge::nn
