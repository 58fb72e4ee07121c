#include "supernet/dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "supernet/data_formats.h"

namespace ridge::nn {
namespace {

// The images of `from` at order[begin, begin + count), in that order.
Split Gather(const Split& from, const std::vector<int64_t>& order, int64_t begin, int64_t count) {
  Split out;
  out.count = count, out.height = from.height, out.width = from.width, out.channels = from.channels;
  const int64_t bytes = from.image_bytes();
  out.pixels.resize(count * bytes);
  out.labels.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t src = order[begin + i];
    std::copy_n(from.pixels.begin() + src * bytes, bytes, out.pixels.begin() + i * bytes);
    out.labels[i] = from.labels[src];
  }
  return out;
}

// 0..n-1 shuffled by Fisher-Yates on mt19937_64 drawn by hand: std::shuffle's
// algorithm differs between standard libraries, and a split must be the
// same images wherever it is loaded (soft labels are tied to them).
std::vector<int64_t> SeededOrder(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
  return order;
}

// Keeps the first `keep` images of `s` (0 keeps all). The messages keep the
// form they had when only Fashion-MNIST was loaded.
absl::Status Trim(const std::string& field, int64_t keep, Split* s) {
  if (keep < 0 || keep > s->count) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", keep, " must be in [0, ", s->count, "]"));
  }
  if (keep == 0 || keep == s->count) return absl::OkStatus();
  s->count = keep;
  s->pixels.resize(keep * s->image_bytes());
  s->labels.resize(keep);
  return absl::OkStatus();
}

// Cuts the format's images into train, valid and test (see LoadDataset).
absl::StatusOr<Dataset> Carve(RawDataset raw, const DatasetOptions& o) {
  const int64_t n = raw.train.count;
  const bool folder = o.format == DataFormat::kImageFolder;
  const int64_t min_images = folder ? 3 : 2;  // At least one image in every carved split.
  if (n < min_images) {
    return absl::InvalidArgumentError(absl::StrCat(o.dir, ": ", n, " training images; at least ",
                                                   min_images, " are needed to carve the splits"));
  }
  Dataset d;
  if (o.format == DataFormat::kIdx) {
    // The tail, in file order: Fashion-MNIST's splits exactly as before.
    const int64_t valid = std::max<int64_t>(1, n / 6);
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    d.train = Gather(raw.train, order, 0, n - valid);
    d.valid = Gather(raw.train, order, n - valid, valid);
  } else {
    const int64_t held = std::max<int64_t>(1, n / 10);
    const std::vector<int64_t> order = SeededOrder(n, o.split_seed);
    d.valid = Gather(raw.train, order, 0, held);
    const int64_t begin = folder ? 2 * held : held;
    if (folder) d.test = Gather(raw.train, order, held, held);
    d.train = Gather(raw.train, order, begin, n - begin);
  }
  if (raw.has_test) d.test = std::move(raw.test);
  d.num_classes = raw.num_classes;
  d.class_names = std::move(raw.class_names);
  return d;
}

}  // namespace

std::string DataFormatName(DataFormat format) {
  switch (format) {
    case DataFormat::kIdx:
      return "idx";
    case DataFormat::kCifar10:
      return "cifar10";
    case DataFormat::kCifar100:
      return "cifar100";
    case DataFormat::kImageFolder:
      return "image_folder";
  }
  return "unknown";
}

absl::StatusOr<DataFormat> ParseDataFormat(const std::string& name) {
  for (DataFormat f :
       {DataFormat::kIdx, DataFormat::kCifar10, DataFormat::kCifar100, DataFormat::kImageFolder}) {
    if (DataFormatName(f) == name) return f;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", name.substr(0, 32), name.size() > 32 ? "...'" : "'",
                   " is not one of {idx, cifar10, cifar100, image_folder}"));
}

Normalization ComputeNormalization(const Split& split) {
  const int64_t c = split.channels;
  // Integer sums are exact: at most 2^30 bytes of up to 255^2 each.
  std::vector<uint64_t> sum(c, 0), sum_sq(c, 0);
  const int64_t pixels = static_cast<int64_t>(split.pixels.size()) / c;
  const uint8_t* p = split.pixels.data();
  for (int64_t i = 0; i < pixels; ++i) {
    for (int64_t ch = 0; ch < c; ++ch, ++p) {
      sum[ch] += *p;
      sum_sq[ch] += uint64_t{*p} * *p;
    }
  }
  Normalization norm;
  const double values = std::max<double>(1.0, static_cast<double>(pixels));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mean = sum[ch] / values / 255.0;
    const double var = std::max(0.0, sum_sq[ch] / values / (255.0 * 255.0) - mean * mean);
    const double stddev = std::sqrt(var);
    norm.mean.push_back(static_cast<float>(mean));
    norm.stddev.push_back(stddev < 1e-3 ? 1.0f : static_cast<float>(stddev));
  }
  return norm;
}

absl::StatusOr<Dataset> LoadDataset(const DatasetOptions& o) {
  const bool cifar = o.format == DataFormat::kCifar10 || o.format == DataFormat::kCifar100;
  ASSIGN_OR_RETURN(RawDataset raw, o.format == DataFormat::kIdx ? ReadIdxDir(o)
                                   : cifar                      ? ReadCifarDir(o)
                                                                : ReadImageFolder(o));
  ASSIGN_OR_RETURN(Dataset d, Carve(std::move(raw), o));
  // The statistics of the whole train split, before trimming (dataset.h).
  d.norm = ComputeNormalization(d.train);
  RETURN_IF_ERROR(Trim("train_images", o.train_images, &d.train));
  RETURN_IF_ERROR(Trim("valid_images", o.valid_images, &d.valid));
  RETURN_IF_ERROR(Trim("test_images", o.test_images, &d.test));
  for (Split* s : {&d.train, &d.valid, &d.test}) s->norm = d.norm;
  d.description = absl::StrCat(DataFormatName(o.format), " in ", o.dir);
  Log(Component::kEngine)
      ->debug("dataset loaded {} shape={}x{}x{} classes={} train={} valid={} test={}",
              d.description, d.train.height, d.train.width, d.train.channels, d.num_classes,
              d.train.count, d.valid.count, d.test.count);
  return d;
}

absl::Status CheckInputFits(const Dataset& data, int64_t height, int64_t width, int64_t channels,
                            int64_t classes, const std::string& kind, const std::string& name) {
  const Split& s = data.train;
  if (height == s.height && width == s.width && channels == s.channels &&
      classes == data.num_classes) {
    return absl::OkStatus();
  }
  const std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
  const bool vowel = !kind.empty() && std::string("aeiou").find(kind[0]) != std::string::npos;
  return absl::InvalidArgumentError(absl::StrCat(
      kind, " '", shown, "' takes ", height, "x", width, "x", channels, " images and ", classes,
      " classes, but the dataset (", data.description, ") has ", s.height, "x", s.width, "x",
      s.channels, " images and ", data.num_classes, " classes; use ", vowel ? "an " : "a ", kind,
      " with input { height: ", s.height, " width: ", s.width, " channels: ", s.channels,
      " } and num_classes: ", data.num_classes));
}

}  // namespace ridge::nn
