// The readers behind LoadDataset (supernet/dataset.h), one per format. Each
// validates its files and returns the images as they are on disk, before
// the splits are carved.
#ifndef RIDGE_SUPERNET_DATA_FORMATS_H_
#define RIDGE_SUPERNET_DATA_FORMATS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "supernet/dataset.h"

namespace ridge::nn {

struct RawDataset {
  Split train;  // The images meant for training; valid (and test) are carved from them.
  Split test;   // The format's own test images; empty if it has none.
  bool has_test = false;
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // Image folders only.
};

// dir/{train,t10k}-{images,labels}-idx{3,4}-ubyte(.gz).
absl::StatusOr<RawDataset> ReadIdxDir(const DatasetOptions& options);

// CIFAR-10 (data_batch_1..5.bin, test_batch.bin) or CIFAR-100 (train.bin,
// test.bin) binary records; pixels turned from the files' CHW into HWC.
absl::StatusOr<RawDataset> ReadCifarDir(const DatasetOptions& options);

// dir/<class>/*.{png,jpg,jpeg}, decoded, converted to options.channels and
// resized to options.height x options.width.
absl::StatusOr<RawDataset> ReadImageFolder(const DatasetOptions& options);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_DATA_FORMATS_H_
