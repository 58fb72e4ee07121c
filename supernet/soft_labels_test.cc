// The soft-label file: a round trip, and every kind of bad file refused with
// the file, the record or byte, and the rule named.
#include "supernet/soft_labels.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ridge::nn {
namespace {

using ::testing::HasSubstr;

Split RandomSplit(int64_t count, uint32_t seed) {
  Split s;
  s.count = count, s.height = 4, s.width = 4;
  s.norm = {{0.2860f}, {0.3530f}};  // Fashion-MNIST's, as the expected values below assume.
  std::mt19937 rng(seed);
  for (int64_t i = 0; i < count * 16; ++i) s.pixels.push_back(static_cast<uint8_t>(rng()));
  for (int64_t i = 0; i < count; ++i) s.labels.push_back(static_cast<int32_t>(rng() % 10));
  return s;
}

// A teacher whose logits are the images' first ten pixel values.
ForwardFn FakeTeacher() {
  auto logits = std::make_shared<Tensor>();
  return [logits](const Tensor& images, const ForwardContext&) -> absl::StatusOr<const Tensor*> {
    const int64_t n = images.dims().n;
    logits->Resize(Dims4{n, 10, 1, 1});
    for (int64_t i = 0; i < n; ++i) {
      for (int j = 0; j < 10; ++j) logits->data()[i * 10 + j] = images.data()[i * 16 + j];
    }
    return logits.get();
  };
}

std::string Path(const std::string& name) { return std::string(std::getenv("TEST_TMPDIR")) + "/" + name; }

// Rewrites the file's trailing CRC after an edit, so the check under test is
// the one that fires.
void Patch(const std::string& path, size_t offset, const void* bytes, size_t n) {
  std::string data = *ReadFileToString(path, 1 << 30);
  std::memcpy(data.data() + offset, bytes, n);
  const uint32_t crc = crc32(0L, reinterpret_cast<const Bytef*>(data.data()), data.size() - 4);
  std::memcpy(data.data() + data.size() - 4, &crc, 4);
  std::ofstream(path, std::ios::binary) << data;
}

constexpr size_t kHeader = 32, kRecord = 4 + 8 + 40;

class SoftLabelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    split_ = RandomSplit(300, 1);
    absl::StatusOr<SoftLabels> labels = ComputeSoftLabels(FakeTeacher(), split_, 2.0f);
    ASSERT_TRUE(labels.ok()) << labels.status();
    labels_ = *labels;
    path_ = Path(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(WriteSoftLabels(path_, labels_).ok());
  }
  Split split_;
  SoftLabels labels_;
  std::string path_;
};

TEST_F(SoftLabelsTest, RoundTripsAndServesAPrefixOfTheSplit) {
  EXPECT_EQ(labels_.count(), 300);
  EXPECT_EQ(labels_.classes, 10);
  absl::StatusOr<SoftLabels> read = ReadSoftLabels(path_, split_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->probs, labels_.probs);
  EXPECT_EQ(read->labels, split_.labels);
  EXPECT_EQ(read->temperature, 2.0f);
  // Row 0 is softmax(pixels / 2).
  double sum = 0;
  for (int j = 0; j < 10; ++j) sum += std::exp((split_.pixels[j] / 255.0 - 0.2860) / 0.3530 / 2);
  EXPECT_NEAR(read->row(0)[0], std::exp((split_.pixels[0] / 255.0 - 0.2860) / 0.3530 / 2) / sum, 1e-6);
  // A run on fewer images (a prefix of the split) reads the same file.
  Split prefix = split_;
  prefix.count = 100;
  EXPECT_TRUE(ReadSoftLabels(path_, prefix).ok());
}

TEST_F(SoftLabelsTest, RefusesAFileOfAnotherSplitOrTooFewRecords) {
  absl::StatusOr<SoftLabels> other = ReadSoftLabels(path_, RandomSplit(300, 2));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other.status().message(), HasSubstr(path_ + ": record 0 was made for another image"));
  Split bigger = RandomSplit(400, 1);
  std::memcpy(bigger.pixels.data(), split_.pixels.data(), split_.pixels.size());
  std::memcpy(bigger.labels.data(), split_.labels.data(), 300 * sizeof(int32_t));
  EXPECT_THAT(ReadSoftLabels(path_, bigger).status().message(),
              HasSubstr("has 300 records; the train split has 400 images"));
}

TEST_F(SoftLabelsTest, RefusesCorruptOrMalformedFiles) {
  // Not a soft-label file at all.
  std::ofstream(Path("text")) << "hello";
  EXPECT_THAT(ReadSoftLabels(Path("text"), split_).status().message(), HasSubstr("not a soft-label file"));
  // Truncated: the header's sizes no longer match.
  std::string data = *ReadFileToString(path_, 1 << 30);
  std::ofstream(Path("short"), std::ios::binary) << data.substr(0, data.size() - 7);
  EXPECT_THAT(ReadSoftLabels(Path("short"), split_).status().message(), HasSubstr("(truncated or padded)"));
  // A flipped byte: the CRC.
  data[kHeader + 20] ^= 1;
  std::ofstream(Path("flipped"), std::ios::binary) << data;
  EXPECT_EQ(ReadSoftLabels(Path("flipped"), split_).status().code(), absl::StatusCode::kDataLoss);
  // A label out of range, with a valid CRC.
  const int32_t bad_label = 10;
  Patch(path_, kHeader + 5 * kRecord, &bad_label, 4);
  EXPECT_THAT(ReadSoftLabels(path_, split_).status().message(), HasSubstr("record 5: label 10 is not in [0, 10)"));
}

TEST_F(SoftLabelsTest, RefusesProbabilitiesThatAreNotADistribution) {
  const float nan = std::nanf("");
  Patch(path_, kHeader + 7 * kRecord + 12 + 4 * 3, &nan, 4);
  EXPECT_THAT(ReadSoftLabels(path_, split_).status().message(),
              HasSubstr("record 7: probability 3 is nan; must be in [0, 1]"));
  ASSERT_TRUE(WriteSoftLabels(path_, labels_).ok());
  const float half = 0.5f;
  Patch(path_, kHeader + 9 * kRecord + 12, &half, 4);
  EXPECT_THAT(ReadSoftLabels(path_, split_).status().message(), HasSubstr("record 9: probabilities sum to"));
  // Absurd sizes in the header are refused before anything is allocated.
  ASSERT_TRUE(WriteSoftLabels(path_, labels_).ok());
  const uint64_t huge = uint64_t{1} << 40;
  Patch(path_, 16, &huge, 8);
  EXPECT_THAT(ReadSoftLabels(path_, split_).status().message(), HasSubstr("byte 16: 1099511627776 records"));
  const float cold = 0;
  ASSERT_TRUE(WriteSoftLabels(path_, labels_).ok());
  Patch(path_, 24, &cold, 4);
  EXPECT_THAT(ReadSoftLabels(path_, split_).status().message(), HasSubstr("byte 24: temperature 0 must be in (0, 100]"));
  EXPECT_EQ(ComputeSoftLabels(FakeTeacher(), split_, -1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ridge::nn
