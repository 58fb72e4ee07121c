// A teacher's soft labels for a training split: its temperature-softened
// predictions on every image, for offline distillation (MobileNetV4 searched
// on a distillation set and distils its final models; Hinton et al. 2015).
//
// The file (`ridge train --save_soft_labels=FILE`) is binary, little-endian:
//   "RIDGESL1", u32 version (1), u32 classes, u64 count, f32 temperature,
//   u32 reserved (0), then `count` records of
//     i32 label, u64 FNV-1a of the image's pixels, f32 probs[classes],
//   then u32 CRC-32 of everything before it.
// Each record names the image it was made for, so a file is only ever used
// on the split (or a prefix of the split) it was made from.
#ifndef RIDGE_SUPERNET_SOFT_LABELS_H_
#define RIDGE_SUPERNET_SOFT_LABELS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "supernet/dataset.h"
#include "supernet/network.h"

namespace ridge::nn {

struct SoftLabels {
  int32_t classes = 0;
  float temperature = 1;
  std::vector<int32_t> labels;          // The split's label of each image.
  std::vector<uint64_t> pixel_hashes;   // FNV-1a 64 of each image's pixels.
  std::vector<float> probs;             // count x classes; each row sums to 1.

  int64_t count() const { return static_cast<int64_t>(labels.size()); }
  const float* row(int64_t i) const { return probs.data() + i * classes; }
};

// Limits that bound what a file may make the reader allocate.
inline constexpr int32_t kMaxSoftLabelClasses = 100000;
inline constexpr int64_t kMaxSoftLabelBytes = int64_t{2} << 30;

// FNV-1a 64 of image `i` of `split`.
uint64_t ImageHash(const Split& split, int64_t i);

// The teacher's softened predictions (inference mode, no augmentation) on
// every image of `split`. INVALID_ARGUMENT for a temperature outside (0, 100].
absl::StatusOr<SoftLabels> ComputeSoftLabels(const ForwardFn& teacher, const Split& split, float temperature);

// Writes atomically (common/files.h).
absl::Status WriteSoftLabels(const std::string& path, const SoftLabels& labels);

// Reads `path` and checks it whole: magic, version, sizes, CRC, every
// probability finite in [0, 1] with rows summing to 1 (within 1e-3), labels
// in range; then that it covers `split`: at least split.count records, and
// record i made from image i (same label and pixel hash). Errors name the
// file, the record or byte offset, and the rule; nothing partial is returned.
absl::StatusOr<SoftLabels> ReadSoftLabels(const std::string& path, const Split& split);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_SOFT_LABELS_H_
