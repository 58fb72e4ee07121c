#include "supernet/dataset.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "supernet/idx.h"

namespace ridge::nn {
namespace {

absl::StatusOr<Split> LoadPair(const std::string& dir, const std::string& prefix) {
  const std::string images_path = absl::StrCat(dir, "/", prefix, "-images-idx3-ubyte.gz");
  const std::string labels_path = absl::StrCat(dir, "/", prefix, "-labels-idx1-ubyte.gz");
  ASSIGN_OR_RETURN(IdxArray images, ReadIdx(images_path, 3));
  ASSIGN_OR_RETURN(IdxArray labels, ReadIdx(labels_path, 1));
  if (images.dims[0] != labels.dims[0]) {
    return absl::InvalidArgumentError(absl::StrCat(images_path, ": ", images.dims[0], " images but ",
                                                   labels_path, " has ", labels.dims[0], " labels"));
  }
  Split s;
  s.count = images.dims[0], s.height = images.dims[1], s.width = images.dims[2];
  s.pixels = std::move(images.data);
  s.labels.reserve(s.count);
  for (int64_t i = 0; i < s.count; ++i) {
    if (labels.data[i] > 9) {
      return absl::InvalidArgumentError(
          absl::StrCat(labels_path, ": label ", int{labels.data[i]}, " at index ", i, " is not in 0..9"));
    }
    s.labels.push_back(labels.data[i]);
  }
  return s;
}

Split Slice(const Split& s, int64_t begin, int64_t count) {
  Split out;
  out.count = count, out.height = s.height, out.width = s.width;
  const int64_t px = s.height * s.width;
  out.pixels.assign(s.pixels.begin() + begin * px, s.pixels.begin() + (begin + count) * px);
  out.labels.assign(s.labels.begin() + begin, s.labels.begin() + begin + count);
  return out;
}

}  // namespace

absl::StatusOr<Dataset> LoadFashionMnist(const DatasetOptions& o) {
  ASSIGN_OR_RETURN(Split train_file, LoadPair(o.dir, "train"));
  ASSIGN_OR_RETURN(Split test_file, LoadPair(o.dir, "t10k"));
  const int64_t valid_total = 10000, train_total = train_file.count - valid_total;
  if (o.train_images < 0 || o.train_images > train_total) {
    return absl::InvalidArgumentError(absl::StrCat("train_images: ", o.train_images, " must be in [0, ", train_total, "]"));
  }
  if (o.valid_images < 0 || o.valid_images > valid_total) {
    return absl::InvalidArgumentError(absl::StrCat("valid_images: ", o.valid_images, " must be in [0, ", valid_total, "]"));
  }
  if (o.test_images < 0 || o.test_images > test_file.count) {
    return absl::InvalidArgumentError(absl::StrCat("test_images: ", o.test_images, " must be in [0, ", test_file.count, "]"));
  }
  Dataset d;
  d.train = Slice(train_file, 0, o.train_images ? o.train_images : train_total);
  d.valid = Slice(train_file, train_total, o.valid_images ? o.valid_images : valid_total);
  d.test = Slice(test_file, 0, o.test_images ? o.test_images : test_file.count);
  return d;
}

}  // namespace ridge::nn
