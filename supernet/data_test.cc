#include <zlib.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supernet/batcher.h"
#include "supernet/dataset.h"
#include "supernet/idx.h"

namespace ridge::nn {
namespace {

using ::testing::HasSubstr;

std::string Tmp(const std::string& name) {
  return std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/" + name;
}

std::string IdxBytes(std::vector<uint32_t> dims, int payload, uint8_t type = 0x08) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) s += static_cast<char>((d >> shift) & 0xff);
  }
  for (int i = 0; i < payload; ++i) s += static_cast<char>(i % 251);
  return s;
}

void WritePlain(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

void WriteGz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), bytes.size());
  gzclose(f);
}

TEST(Idx, ReadsPlainAndGzipped) {
  std::string bytes = IdxBytes({3, 2, 2}, 12);
  WritePlain(Tmp("a.idx"), bytes);
  WriteGz(Tmp("a.idx.gz"), bytes);
  for (const std::string& p : {Tmp("a.idx"), Tmp("a.idx.gz")}) {
    absl::StatusOr<IdxArray> a = ReadIdx(p, 3);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->dims, (std::vector<int64_t>{3, 2, 2}));
    EXPECT_EQ(a->data.size(), 12u);
    EXPECT_EQ(a->data[5], 5);
  }
}

TEST(Idx, Errors) {
  WritePlain(Tmp("trunc.idx"), IdxBytes({3, 2, 2}, 7));
  absl::Status s = ReadIdx(Tmp("trunc.idx"), 3).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("truncated: expected 12 bytes of data, got 7"));

  WriteGz(Tmp("trunc.idx.gz"), IdxBytes({3, 2, 2}, 7));
  EXPECT_EQ(ReadIdx(Tmp("trunc.idx.gz"), 3).status().code(), absl::StatusCode::kDataLoss);

  // A tiny file that claims a gigabyte (the limit): refused as truncated,
  // reading only what is there (the fuzzer found the whole gigabyte
  // allocated up front).
  WritePlain(Tmp("bomb.idx"), IdxBytes({1024, 1024, 1024}, 10));
  s = ReadIdx(Tmp("bomb.idx"), 3).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("truncated: expected 1073741824 bytes of data, got 10"));

  WritePlain(Tmp("magic.idx"), "\x01\x02\x08\x03garbage");
  EXPECT_THAT(ReadIdx(Tmp("magic.idx"), 3).status().message(), HasSubstr("bad magic number"));

  WritePlain(Tmp("type.idx"), IdxBytes({3}, 3, 0x0d));
  EXPECT_THAT(ReadIdx(Tmp("type.idx"), 1).status().message(), HasSubstr("element type 0xd is not unsigned byte"));

  WritePlain(Tmp("rank.idx"), IdxBytes({3}, 3));
  EXPECT_THAT(ReadIdx(Tmp("rank.idx"), 3).status().message(), HasSubstr("has 1 dimensions, expected 3"));

  WritePlain(Tmp("bomb.idx"), IdxBytes({60000, 60000, 60000}, 0));
  EXPECT_THAT(ReadIdx(Tmp("bomb.idx"), 3).status().message(), HasSubstr("bytes, the limit"));

  WritePlain(Tmp("extra.idx"), IdxBytes({2}, 3));
  EXPECT_THAT(ReadIdx(Tmp("extra.idx"), 1).status().message(), HasSubstr("trailing bytes"));

  WritePlain(Tmp("empty.idx"), "");
  EXPECT_THAT(ReadIdx(Tmp("empty.idx"), 1).status().message(), HasSubstr("truncated: no 4-byte IDX header"));

  EXPECT_EQ(ReadIdx("/nonexistent/x.gz", 1).status().code(), absl::StatusCode::kNotFound);
}

TEST(FashionMnist, SplitsAsDesigned) {
  DatasetOptions o;
  o.train_images = 0, o.valid_images = 0, o.test_images = 0;  // All of each.
  Dataset d = *LoadFashionMnist(o);
  EXPECT_EQ(d.train.count, 50000);
  EXPECT_EQ(d.valid.count, 10000);
  EXPECT_EQ(d.test.count, 10000);
  EXPECT_EQ(d.train.height, 28);
  for (int32_t label : d.valid.labels) EXPECT_TRUE(label >= 0 && label <= 9);
  // valid is the tail of the training file, disjoint from train.
  DatasetOptions small;
  small.train_images = 10, small.valid_images = 10, small.test_images = 10;
  Dataset s = *LoadFashionMnist(small);
  EXPECT_EQ(s.valid.pixels, std::vector<uint8_t>(d.valid.pixels.begin(), d.valid.pixels.begin() + 7840));
  EXPECT_THAT(LoadFashionMnist({.dir = "/nonexistent"}).status().message(), HasSubstr("/nonexistent/train-images"));
  DatasetOptions too_many;
  too_many.train_images = 55000;
  EXPECT_EQ(LoadFashionMnist(too_many).status().message(), "train_images: 55000 must be in [0, 50000]");
}

TEST(Batcher, SeededShufflingIsReproducible) {
  DatasetOptions o;
  o.train_images = 256, o.valid_images = 10, o.test_images = 10;
  Dataset d = *LoadFashionMnist(o);
  std::vector<int32_t> first, second, other;
  {
    Batcher b(d.train, {64, true, 5});
    EXPECT_EQ(b.batches_per_epoch(), 4);
    for (int i = 0; i < 8; ++i) {
      const Batch& batch = b.Next();
      EXPECT_EQ(batch.images.dims(), (Dims4{64, 1, 28, 28}));
      first.insert(first.end(), batch.labels.begin(), batch.labels.end());
    }
  }
  {
    Batcher b(d.train, {64, true, 5});
    for (int i = 0; i < 8; ++i) {
      const Batch& batch = b.Next();
      second.insert(second.end(), batch.labels.begin(), batch.labels.end());
    }
  }
  {
    Batcher b(d.train, {64, true, 6});
    for (int i = 0; i < 8; ++i) {
      const Batch& batch = b.Next();
      other.insert(other.end(), batch.labels.begin(), batch.labels.end());
    }
  }
  EXPECT_EQ(first.size(), 512u);
  // Each epoch holds every label of the split once.
  std::vector<int32_t> epoch(first.begin(), first.begin() + 256), sorted_split = d.train.labels;
  std::sort(epoch.begin(), epoch.end());
  std::sort(sorted_split.begin(), sorted_split.end());
  EXPECT_EQ(epoch, sorted_split);
  EXPECT_NE(std::vector<int32_t>(first.begin(), first.begin() + 256),
            std::vector<int32_t>(first.begin() + 256, first.end()));  // Reshuffled.
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
}

TEST(FillBatch, NormalizesAndAugments) {
  DatasetOptions o;
  o.train_images = 4, o.valid_images = 1, o.test_images = 1;
  Dataset d = *LoadFashionMnist(o);
  const int64_t idx[] = {0, 1};
  Batch plain, aug;
  FillBatch(d.train, idx, 2, nullptr, &plain);
  const float v = plain.images.data()[100];
  EXPECT_NEAR(v, (d.train.pixels[100] / 255.0f - d.norm.mean[0]) / d.norm.stddev[0], 1e-5);
  // Computed on the 50,000 train images (whatever train_images is), they are
  // within 0.001 of the constants Fashion-MNIST was normalised with before
  // (0.2860, 0.3530: all 60,000 training images).
  EXPECT_NEAR(d.norm.mean[0], 0.2860, 1e-3);
  EXPECT_NEAR(d.norm.stddev[0], 0.3530, 1e-3);
  EXPECT_EQ(d.valid.norm.mean, d.norm.mean);
  std::mt19937_64 rng(1);
  FillBatch(d.train, idx, 2, &rng, &aug);
  EXPECT_EQ(aug.labels, plain.labels);
}

}  // namespace
}  // namespace ridge::nn
