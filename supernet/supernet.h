// The shared-weight supernet of a SearchSpace (TuNAS weight sharing, docs/design.md
// §3): one module per slot and block kind, sized for the slot's largest
// choice. A selected subnet runs only its own ops; narrower choices use prefix
// channels; each DW kernel size has its own weights; a skipped optional slot
// is the identity.
#ifndef RIDGE_SUPERNET_SUPERNET_H_
#define RIDGE_SUPERNET_SUPERNET_H_

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/space.h"
#include "supernet/dataset.h"
#include "supernet/network.h"

namespace ridge::nn {

class Supernet : public Trainable {
 public:
  // Builds the supernet; the space must pass ValidateSpaceStructure.
  static absl::StatusOr<std::unique_ptr<Supernet>> Create(const SearchSpace& space, uint32_t seed);

  // Makes `choice` the active subnet. INVALID_ARGUMENT if it is not in the space.
  absl::Status Select(const SpaceChoice& choice);
  const Architecture& selected() const { return selected_arch_; }

  // Forward and backward through the selected subnet only.
  absl::StatusOr<const Tensor*> Forward(const Tensor& images, const ForwardContext& ctx) override {
    return runner_.Forward(path_, images, ctx);
  }
  absl::Status Backward(const Tensor& dlogits) override { return runner_.Backward(path_, dlogits); }
  // With a sampler set, selects the sampler's choice before every training step.
  absl::Status BeforeStep(int64_t step) override;
  void SetSampler(std::function<SpaceChoice(int64_t step)> sampler) { sampler_ = std::move(sampler); }

  // Re-estimates the selected subnet's BN statistics on the first `images`
  // images of `train` (training-mode passes, cumulative average; no weights
  // change). Run before evaluating a subnet: shared BN statistics belong to
  // no single subnet.
  absl::Status RecalibrateBatchNorm(const Split& train, int64_t images = 512, int64_t batch = 128);

  // A standalone Network of the selected subnet with its current weights
  // (BN statistics included), for retraining, export or inference.
  absl::StatusOr<std::unique_ptr<Network>> Extract() const;

  // Starts this supernet from another's weights where shapes allow (the fine
  // stage starts from the coarse supernet, docs/design.md §5): each parameter
  // whose `source_name` exists in `from` with the same rank, the same kernel
  // dimensions and at least as many rows and columns takes their prefix, as
  // a narrower choice would; the rest keep their initial values. Returns how
  // many parameters were copied.
  int CopyWeightsFrom(const Supernet& from, const std::function<std::string(const std::string&)>& source_name);

  ParamStore& params() override { return store_; }
  const SearchSpace& space() const { return space_; }

 private:
  Supernet() = default;
  struct Slot {
    std::map<BlockKind, std::unique_ptr<BlockModule>> modules;
    std::map<BlockKind, std::string> names;  // Parameter prefix of each module.
    // An op-list slot's skip where the shape changes: a 1x1 conv (FBNet).
    std::unique_ptr<BlockModule> skip_conv;
    std::string skip_conv_name;
  };

  SearchSpace space_;
  ParamStore store_;
  std::vector<std::unique_ptr<BlockModule>> fixed_;  // Stem, then head.
  std::vector<std::string> fixed_names_;
  std::vector<std::vector<Slot>> slots_;             // [stage][slot]
  int64_t stem_channels_ = 0;                        // Channels into the first stage.
  std::vector<PathStep> path_;
  std::vector<std::string> path_names_;  // Parameter prefix of each path step.
  Architecture selected_arch_;
  PathRunner runner_;
  std::function<SpaceChoice(int64_t)> sampler_;
};

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_SUPERNET_H_
