#include "cli/flags.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "proto/validate.h"
#include "supernet/dataset.h"

ABSL_FLAG(std::string, format, "", "Output format (see the command's usage).");
ABSL_FLAG(std::string, arch, "",
          "Architecture: a zoo name, a canonical encoding (\"v1 ...\") or a textproto file.");
ABSL_FLAG(std::string, hardware, "",
          "Hardware profile: a built-in name (see `ridge hardware list`), local_cpu, or a textproto file.");
ABSL_FLAG(int, resolution, 0, "Square input resolution; 0 keeps the model's own.");
ABSL_FLAG(int, classes, 0, "Classifier outputs; 0 keeps the model's own.");
ABSL_FLAG(std::string, dtype, "fp32", "Element type for byte counts: fp32, bf16 or int8.");
ABSL_FLAG(double, min_ridge, 0, "Smallest ridge point of the sweep, MACs/byte.");
ABSL_FLAG(double, max_ridge, 500, "Largest ridge point of the sweep, MACs/byte.");
ABSL_FLAG(double, step, 25, "Step between ridge points of the sweep, MACs/byte.");

ABSL_FLAG(int, epochs, 10, "Training epochs.");
ABSL_FLAG(int, batch, 128, "Images per training batch.");
ABSL_FLAG(int, threads, 0, "oneDNN threads; 0 means all cores.");
ABSL_FLAG(int64_t, seed, 1, "Seed of weights, shuffling and augmentation.");
ABSL_FLAG(double, lr, 0.1, "Peak learning rate (cosine schedule with linear warmup).");
ABSL_FLAG(std::string, optimizer, "sgd", "sgd (Nesterov momentum) or rmsprop.");
ABSL_FLAG(int, train_images, 0,
          "Training images used: a prefix of the train split (Fashion-MNIST's has 50000); 0 means all of it.");
ABSL_FLAG(bool, augment, true, "Random crop with padding and horizontal flip.");
ABSL_FLAG(bool, evaluate, true, "Evaluate on the valid and test splits after training.");
ABSL_FLAG(std::string, checkpoint, "", "Checkpoint file: written after every epoch (train); read (eval); written every N steps and on Ctrl-C, "
          "and resumed from when it exists (search; default DIR/search.ckpt with --out).");
ABSL_FLAG(int, count, 0,
          "How many architectures: to sample and measure (latency measure; 0 means 60), or to sample (space sample; "
          "0 means 20).");
ABSL_FLAG(std::string, distill, "",
          "Soft-label file of a teacher (`ridge train --save_soft_labels`) to learn from as well as the labels.");
ABSL_FLAG(double, distill_alpha, 0.5, "With --distill: the teacher's weight in the loss, in [0, 1].");
ABSL_FLAG(std::string, data, "",
          "Dataset directory, laid out as --data_format says (docs/data.md); empty: Fashion-MNIST in "
          "/usr/share/datasets/fashion-mnist.");
ABSL_FLAG(std::string, data_dir, ridge::nn::kFashionMnistDir, "--data's older name: the dataset directory.");
ABSL_FLAG(std::string, data_format, "idx",
          "Layout of --data: idx (IDX files as Fashion-MNIST's), cifar10, cifar100 (their binary releases) or "
          "image_folder (DIR/<class>/*.png|*.jpg|*.jpeg, resized to the network's input).");
ABSL_FLAG(int64_t, split_seed, 0,
          "Seed of the shuffle that carves the valid split (cifar10, cifar100, image_folder) and the test split "
          "(image_folder) from the training images.");

ABSL_FLAG(std::string, space, "", "Search space: a built-in name (fmnist_uib) or a textproto file.");
ABSL_FLAG(int, samples, 5, "Random subnets to score after supernet training.");

namespace ridge::cli {

absl::StatusOr<std::string> FormatFlag(const std::vector<std::string>& allowed) {
  std::string format = absl::GetFlag(FLAGS_format);
  if (format.empty()) return allowed.front();
  if (std::find(allowed.begin(), allowed.end(), format) == allowed.end()) {
    return absl::InvalidArgumentError(absl::StrCat("--format: '", format, "' is not one of {",
                                                   absl::StrJoin(allowed, ", "), "}"));
  }
  return format;
}

absl::StatusOr<ModelOptions> ModelOptionsFlags() {
  ModelOptions options;
  options.resolution = absl::GetFlag(FLAGS_resolution);
  options.num_classes = absl::GetFlag(FLAGS_classes);
  if (options.resolution < 0 || options.resolution > kMaxSpatial) {
    return absl::InvalidArgumentError(absl::StrCat("--resolution: ", options.resolution,
                                                   " must be in [1, ", kMaxSpatial, "] (0 keeps the model's own)"));
  }
  if (options.num_classes < 0 || options.num_classes > kMaxClasses) {
    return absl::InvalidArgumentError(absl::StrCat("--classes: ", options.num_classes,
                                                   " must be in [1, ", kMaxClasses, "] (0 keeps the model's own)"));
  }
  return options;
}

absl::StatusOr<ElementType> DtypeFlag() {
  absl::StatusOr<ElementType> type = ParseElementType(absl::GetFlag(FLAGS_dtype));
  if (!type.ok()) return WithContext(type.status(), "--dtype");
  return type;
}

namespace {
absl::Status CheckRange(absl::string_view flag, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", v, " must be in [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<TrainingFlags> TrainingFlagsFromCommandLine() {
  TrainingFlags t;
  t.epochs = absl::GetFlag(FLAGS_epochs), t.batch = absl::GetFlag(FLAGS_batch);
  t.threads = absl::GetFlag(FLAGS_threads), t.train_images = absl::GetFlag(FLAGS_train_images);
  RETURN_IF_ERROR(CheckRange("epochs", t.epochs, 1, 1000));
  RETURN_IF_ERROR(CheckRange("batch", t.batch, 1, 4096));
  RETURN_IF_ERROR(CheckRange("threads", t.threads, 0, 1024));
  if (t.train_images != 0) RETURN_IF_ERROR(CheckRange("train_images", t.train_images, t.batch, 10000000));
  t.lr = absl::GetFlag(FLAGS_lr);
  if (!(t.lr > 0 && t.lr < 100)) return absl::InvalidArgumentError(absl::StrCat("--lr: ", t.lr, " must be in (0, 100)"));
  const std::string optimizer = absl::GetFlag(FLAGS_optimizer);
  if (optimizer != "sgd" && optimizer != "rmsprop") {
    return absl::InvalidArgumentError(absl::StrCat("--optimizer: '", optimizer, "' is not one of {sgd, rmsprop}"));
  }
  t.sgd = optimizer == "sgd";
  const int64_t seed = absl::GetFlag(FLAGS_seed);
  RETURN_IF_ERROR(CheckRange("seed", seed, 0, 4294967295LL));
  t.seed = static_cast<uint32_t>(seed);
  t.augment = absl::GetFlag(FLAGS_augment);
  t.distill = absl::GetFlag(FLAGS_distill);
  const double alpha = absl::GetFlag(FLAGS_distill_alpha);
  if (!(alpha >= 0 && alpha <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("--distill_alpha: ", alpha, " must be in [0, 1]"));
  }
  t.distill_alpha = static_cast<float>(alpha);
  return t;
}

absl::StatusOr<nn::DatasetOptions> DatasetFlags(int64_t train_images, const Shape& input) {
  nn::DatasetOptions o;
  ASSIGN_OR_RETURN(o.format, WithContext(nn::ParseDataFormat(absl::GetFlag(FLAGS_data_format)), "--data_format"));
  const std::string data = absl::GetFlag(FLAGS_data), data_dir = absl::GetFlag(FLAGS_data_dir);
  if (!data.empty() && data_dir != nn::kFashionMnistDir && data_dir != data) {
    return absl::InvalidArgumentError("--data and --data_dir: give one (--data_dir is --data's older name)");
  }
  o.dir = data.empty() ? data_dir : data;
  if (o.dir.empty() || o.dir.size() > kMaxPathChars) {
    return absl::InvalidArgumentError(absl::StrCat("--data: ", Quoted(o.dir), " must have 1 to ", kMaxPathChars,
                                                   " characters"));
  }
  if (o.format != nn::DataFormat::kIdx && o.dir == nn::kFashionMnistDir) {
    return absl::InvalidArgumentError(
        absl::StrCat("--data: must be given with --data_format=", nn::DataFormatName(o.format)));
  }
  const int64_t seed = absl::GetFlag(FLAGS_split_seed);
  if (seed < 0) return absl::InvalidArgumentError(absl::StrCat("--split_seed: ", seed, " must be >= 0"));
  if (seed != 0 && o.format == nn::DataFormat::kIdx) {
    return absl::InvalidArgumentError(
        absl::StrCat("--split_seed: ", seed, ": --data_format=idx splits by position, not by a seed; leave it 0"));
  }
  o.split_seed = static_cast<uint64_t>(seed);
  o.train_images = train_images;
  if (o.format == nn::DataFormat::kImageFolder) {
    o.height = input.height(), o.width = input.width(), o.channels = input.channels();
  }
  return o;
}

}  // namespace ridge::cli
