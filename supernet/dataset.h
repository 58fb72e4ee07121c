// Datasets in memory (docs/data.md): Fashion-MNIST and other IDX files,
// CIFAR-10/100's binary release, and folders of PNG/JPEG images, each cut
// into the three splits of docs/design.md §3: `train` (shared weights),
// `valid` (rewards, proxy accuracy) and `test` (reported only).
#ifndef RIDGE_SUPERNET_DATASET_H_
#define RIDGE_SUPERNET_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ridge::nn {

inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// Bounds on what a dataset may hold: every image in memory, as bytes.
inline constexpr int64_t kMaxImageSide = 4096;  // Height or width of one image, on disk or resized.
inline constexpr int64_t kMaxImageChannels = 4;  // Grey, grey+alpha, RGB, RGBA.
inline constexpr int64_t kMaxDatasetBytes = int64_t{1}
                                            << 30;  // All loaded pixels (as idx.h's files).
inline constexpr int64_t kMaxImageFiles = 1000000;  // Files of an image folder.
inline constexpr int64_t kMaxImageFileBytes = int64_t{64} << 20;  // One PNG or JPEG file.
inline constexpr int64_t kMaxDatasetClasses = 100000;

// Per-channel statistics of pixel values scaled to [0, 1].
struct Normalization {
  std::vector<float> mean, stddev;
};

// The images of one split, each height x width x channels bytes in HWC
// order (a pixel's channels together), which is how the NHWC activation
// tensors lay them out, so batches copy pixels without a transpose; and
// labels 0..classes-1.
struct Split {
  int64_t count = 0, height = 0, width = 0, channels = 1;
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  // The train split's statistics (the same in every split of a dataset, so
  // all are normalised alike); FillBatch uses them. Empty in a split built
  // by hand: pixels are then only scaled to [0, 1].
  Normalization norm;
  int64_t image_bytes() const { return height * width * channels; }
};

enum class DataFormat { kIdx, kCifar10, kCifar100, kImageFolder };

// "idx", "cifar10", "cifar100", "image_folder".
std::string DataFormatName(DataFormat format);
// The inverse; INVALID_ARGUMENT naming the value and the allowed names.
absl::StatusOr<DataFormat> ParseDataFormat(const std::string& name);

struct Dataset {
  Split train, valid, test;
  int64_t num_classes = 0;
  // Image folders: the class folders' names, by label; else empty.
  std::vector<std::string> class_names;
  // The train split's per-channel statistics (as every split carries).
  Normalization norm;
  // "cifar10 in /data/cifar": what errors and logs call it.
  std::string description;
};

struct DatasetOptions {
  DataFormat format = DataFormat::kIdx;
  std::string dir = kFashionMnistDir;
  // Images kept per split (0 = all of it); small values keep tests fast.
  // Each split is the same images whatever these are: a smaller count
  // keeps a prefix.
  int64_t train_images = 0;
  int64_t valid_images = 0;
  int64_t test_images = 0;
  // Image folders: the size every image is resized to, and 1 (grey) or 3
  // (RGB) channels. Required there; other formats take their files' shape.
  int64_t height = 0, width = 0, channels = 0;
  // IDX: the classes (labels 0..num_classes-1); 0 = the largest label + 1.
  int64_t num_classes = 0;
  // Seeds the shuffle that carves valid (CIFAR, image folders) and test
  // (image folders) out of the training images.
  uint64_t split_seed = 0;
};

// Loads `options.dir` in its format and splits it:
//  - IDX: valid is the last sixth of the train files (Fashion-MNIST's
//    10,000 of 60,000, as before), in file order; test is the t10k files.
//  - CIFAR: valid is a tenth of the training records, carved by a shuffle
//    seeded with split_seed; test is the test file.
//  - Image folders: valid and test are each a tenth of all images, carved
//    by that shuffle.
// Mean and standard deviation per channel come from the whole train split
// (before train_images trims it), so a shorter run normalises as a full
// one and a checkpoint evaluates the same under any --train_images. This
// holds for Fashion-MNIST too, rather than its old fixed 0.2860 / 0.3530
// (all 60,000 training images, valid included): one rule for every format,
// nothing learnt from valid, and inputs that move by only ~0.0015 std.
// Errors name the file (and record or byte offset) and the rule.
absl::StatusOr<Dataset> LoadDataset(const DatasetOptions& options = {});

// Fashion-MNIST's callers: the same as LoadDataset with the IDX format.
inline absl::StatusOr<Dataset> LoadFashionMnist(const DatasetOptions& options = {}) {
  return LoadDataset(options);
}

// OK if a network taking height x width x channels images and `classes`
// outputs fits `data`; else INVALID_ARGUMENT naming the `kind` ("space",
// "architecture") and its `name`, both shapes, and the input { } and
// num_classes such a network must have instead.
absl::Status CheckInputFits(const Dataset& data, int64_t height, int64_t width, int64_t channels,
                            int64_t classes, const std::string& kind, const std::string& name);

// Per-channel mean and standard deviation of `split`'s pixels in [0, 1]. A
// channel that is (nearly) constant gets standard deviation 1, so
// normalising never divides by zero.
Normalization ComputeNormalization(const Split& split);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_DATASET_H_
