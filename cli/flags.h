// Flags shared by the `ridge` subcommands, and their checks.
#ifndef RIDGE_CLI_FLAGS_H_
#define RIDGE_CLI_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "latency/costing.h"
#include "supernet/dataset.h"
#include "zoo/zoo.h"

ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, arch);
ABSL_DECLARE_FLAG(std::string, hardware);
ABSL_DECLARE_FLAG(int, resolution);
ABSL_DECLARE_FLAG(int, classes);
ABSL_DECLARE_FLAG(std::string, dtype);
ABSL_DECLARE_FLAG(double, min_ridge);
ABSL_DECLARE_FLAG(double, max_ridge);
ABSL_DECLARE_FLAG(double, step);
ABSL_DECLARE_FLAG(int, epochs);
ABSL_DECLARE_FLAG(int, batch);
ABSL_DECLARE_FLAG(int, threads);
ABSL_DECLARE_FLAG(int64_t, seed);
ABSL_DECLARE_FLAG(double, lr);
ABSL_DECLARE_FLAG(std::string, optimizer);
ABSL_DECLARE_FLAG(int, train_images);
ABSL_DECLARE_FLAG(bool, augment);
ABSL_DECLARE_FLAG(bool, evaluate);
ABSL_DECLARE_FLAG(std::string, checkpoint);
ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(std::string, data);
ABSL_DECLARE_FLAG(std::string, data_format);
ABSL_DECLARE_FLAG(int64_t, split_seed);
ABSL_DECLARE_FLAG(std::string, space);
ABSL_DECLARE_FLAG(int, samples);
ABSL_DECLARE_FLAG(int, count);
ABSL_DECLARE_FLAG(std::string, distill);
ABSL_DECLARE_FLAG(double, distill_alpha);

namespace ridge::cli {

// --format, checked against `allowed` (the first is the default when unset).
absl::StatusOr<std::string> FormatFlag(const std::vector<std::string>& allowed);

// --resolution and --classes as ModelOptions, range-checked.
absl::StatusOr<ModelOptions> ModelOptionsFlags();

// --dtype as an element type.
absl::StatusOr<ElementType> DtypeFlag();

// The shared training flags, checked: --epochs, --batch, --threads,
// --train_images (0: all), --lr, --optimizer, --seed, --augment.
struct TrainingFlags {
  int epochs, batch, threads, train_images;
  double lr;
  bool sgd;  // Else RMSProp.
  uint32_t seed;
  bool augment;
  std::string distill;  // Soft-label file to learn from; empty: labels only.
  float distill_alpha;
};
absl::StatusOr<TrainingFlags> TrainingFlagsFromCommandLine();

// The dataset flags (--data or --data_dir, --data_format, --split_seed) as
// loader options keeping `train_images` (0: all). An image folder is resized
// to `input`, the network's: nothing else could feed it.
absl::StatusOr<nn::DatasetOptions> DatasetFlags(int64_t train_images, const Shape& input);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_FLAGS_H_
