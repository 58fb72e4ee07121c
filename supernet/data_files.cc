// The binary formats: IDX directories and CIFAR's binary release.
#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "supernet/data_formats.h"
#include "supernet/idx.h"

namespace ridge::nn {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string Shape(const Split& s) { return absl::StrCat(s.height, "x", s.width, "x", s.channels); }

// The first existing file of the convention: prefix-kind-idx<rank>-ubyte,
// gzipped or not; if none, the gzipped rank-`ranks[0]` name, which ReadIdx
// then reports it cannot open.
std::string FindIdxFile(const std::string& dir, const std::string& prefix, const std::string& kind,
                        std::initializer_list<int> ranks) {
  for (int rank : ranks) {
    for (const char* ext : {".gz", ""}) {
      std::string path = absl::StrCat(dir, "/", prefix, "-", kind, "-idx", rank, "-ubyte", ext);
      if (Exists(path)) return path;
    }
  }
  return absl::StrCat(dir, "/", prefix, "-", kind, "-idx", *ranks.begin(), "-ubyte.gz");
}

// One IDX image file and its labels. With `classes` > 0 every label must be
// below it; `max_label` grows to the largest label seen.
absl::StatusOr<Split> ReadIdxPair(const std::string& dir, const std::string& prefix,
                                  int64_t classes, int64_t* max_label) {
  const std::string images_path = FindIdxFile(dir, prefix, "images", {3, 4});
  const std::string labels_path = FindIdxFile(dir, prefix, "labels", {1});
  ASSIGN_OR_RETURN(IdxArray images, ReadIdx(images_path, 3, 4));
  ASSIGN_OR_RETURN(IdxArray labels, ReadIdx(labels_path, 1));
  if (images.dims[0] != labels.dims[0]) {
    return absl::InvalidArgumentError(absl::StrCat(images_path, ": ", images.dims[0],
                                                   " images but ", labels_path, " has ",
                                                   labels.dims[0], " labels"));
  }
  Split s;
  s.count = images.dims[0], s.height = images.dims[1], s.width = images.dims[2];
  s.channels = images.dims.size() == 4 ? images.dims[3] : 1;
  if (s.height > kMaxImageSide || s.width > kMaxImageSide || s.channels > kMaxImageChannels) {
    return absl::InvalidArgumentError(absl::StrCat(images_path, ": images of ", Shape(s),
                                                   " exceed the limit of ", kMaxImageSide, "x",
                                                   kMaxImageSide, "x", kMaxImageChannels));
  }
  s.pixels = std::move(images.data);
  s.labels.reserve(s.count);
  for (int64_t i = 0; i < s.count; ++i) {
    const int label = labels.data[i];
    if (classes > 0 && label >= classes) {
      return absl::InvalidArgumentError(absl::StrCat(labels_path, ": record ", i, ": label ", label,
                                                     " is not in [0, ", classes, ") (num_classes ",
                                                     classes, ")"));
    }
    *max_label = std::max<int64_t>(*max_label, label);
    s.labels.push_back(label);
  }
  return s;
}

struct CifarLayout {
  std::vector<std::string> train_files;
  std::string test_file;
  int label_bytes;  // Bytes before the pixels.
  int label_at;     // The label used: CIFAR-100's fine label is its second byte.
  int classes;
};

constexpr int64_t kCifarSide = 32, kCifarImageBytes = 3 * kCifarSide * kCifarSide;

CifarLayout Layout(DataFormat format) {
  if (format == DataFormat::kCifar100) return {{"train.bin"}, "test.bin", 2, 1, 100};
  return {{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
           "data_batch_5.bin"},
          "test_batch.bin",
          1,
          0,
          10};
}

// Checks one record's label bytes; CIFAR-100's coarse label is checked too.
absl::Status CheckCifarLabels(const std::string& path, int64_t record, const uint8_t* rec,
                              const CifarLayout& l) {
  if (l.label_bytes == 2 && rec[0] >= 20) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": record ", record, ": coarse label ",
                                                   int{rec[0]}, " is not in [0, 20)"));
  }
  if (rec[l.label_at] >= l.classes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": record ", record, ": label ",
                                                   int{rec[l.label_at]}, " is not in [0, ",
                                                   l.classes, ")"));
  }
  return absl::OkStatus();
}

// Appends the records of one CIFAR file to `out`, pixels from CHW to HWC.
absl::Status AppendCifarFile(const std::string& path, const CifarLayout& l, Split* out) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path, kMaxDatasetBytes));
  const int64_t record = l.label_bytes + kCifarImageBytes;
  const int64_t size = static_cast<int64_t>(bytes.size()), n = size / record;
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": empty: no records"));
  if (size % record != 0) {
    return absl::DataLossError(absl::StrCat(path, ": truncated: record ", n, " at byte offset ",
                                            n * record, " has ", size % record, " of its ", record,
                                            " bytes"));
  }
  if (static_cast<int64_t>(out->pixels.size()) + n * kCifarImageBytes > kMaxDatasetBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the images so far exceed ", kMaxDatasetBytes, " bytes, the limit"));
  }
  const int64_t plane = kCifarSide * kCifarSide;
  const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t first = out->pixels.size();
  out->pixels.resize(first + n * kCifarImageBytes);
  uint8_t* hwc = out->pixels.data() + first;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* rec = data + i * record;
    RETURN_IF_ERROR(CheckCifarLabels(path, i, rec, l));
    out->labels.push_back(rec[l.label_at]);
    const uint8_t* chw = rec + l.label_bytes;
    for (int64_t p = 0; p < plane; ++p) {
      for (int64_t ch = 0; ch < 3; ++ch) *hwc++ = chw[ch * plane + p];
    }
  }
  out->count += n;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RawDataset> ReadIdxDir(const DatasetOptions& o) {
  RawDataset raw;
  int64_t max_label = 0;
  ASSIGN_OR_RETURN(raw.train, ReadIdxPair(o.dir, "train", o.num_classes, &max_label));
  ASSIGN_OR_RETURN(raw.test, ReadIdxPair(o.dir, "t10k", o.num_classes, &max_label));
  raw.has_test = true;
  if (Shape(raw.train) != Shape(raw.test)) {
    return absl::InvalidArgumentError(absl::StrCat(o.dir, ": the t10k images are ", Shape(raw.test),
                                                   " but the train images are ", Shape(raw.train)));
  }
  if (static_cast<int64_t>(raw.train.pixels.size() + raw.test.pixels.size()) > kMaxDatasetBytes) {
    return absl::InvalidArgumentError(absl::StrCat(o.dir,
                                                   ": the train and t10k images together exceed ",
                                                   kMaxDatasetBytes, " bytes, the limit"));
  }
  raw.num_classes = o.num_classes > 0 ? o.num_classes : max_label + 1;
  return raw;
}

absl::StatusOr<RawDataset> ReadCifarDir(const DatasetOptions& o) {
  const CifarLayout l = Layout(o.format);
  RawDataset raw;
  for (Split* s : {&raw.train, &raw.test})
    s->height = kCifarSide, s->width = kCifarSide, s->channels = 3;
  for (const std::string& name : l.train_files) {
    RETURN_IF_ERROR(AppendCifarFile(absl::StrCat(o.dir, "/", name), l, &raw.train));
  }
  RETURN_IF_ERROR(AppendCifarFile(absl::StrCat(o.dir, "/", l.test_file), l, &raw.test));
  raw.has_test = true;
  if (static_cast<int64_t>(raw.train.pixels.size() + raw.test.pixels.size()) > kMaxDatasetBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(o.dir, ": the training and test images together exceed ", kMaxDatasetBytes,
                     " bytes, the limit"));
  }
  raw.num_classes = l.classes;
  return raw;
}

}  // namespace ridge::nn
