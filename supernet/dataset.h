// Fashion-MNIST in memory, split as docs/design.md §3 says: `train` is the
// first 50,000 training images (shared weights), `valid` the last 10,000
// (rewards, proxy accuracy), `test` the 10,000 test images (reported only).
#ifndef RIDGE_SUPERNET_DATASET_H_
#define RIDGE_SUPERNET_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ridge::nn {

inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// Images of one split: count x 28 x 28 bytes, and labels 0..9.
struct Split {
  int64_t count = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
};

struct Dataset {
  Split train, valid, test;
};

struct DatasetOptions {
  std::string dir = kFashionMnistDir;
  // Images kept per split (0 = all of it); small values keep tests fast.
  int64_t train_images = 50000;
  int64_t valid_images = 10000;
  int64_t test_images = 10000;
};

// Loads and splits Fashion-MNIST. Errors name the file and the problem.
// INVALID_ARGUMENT if train_images + valid_images exceed the 60,000 images.
absl::StatusOr<Dataset> LoadFashionMnist(const DatasetOptions& options = {});

// The per-pixel normalization used for every split (Fashion-MNIST's mean and
// standard deviation of the training images).
inline constexpr float kPixelMean = 0.2860f;
inline constexpr float kPixelStd = 0.3530f;

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_DATASET_H_
