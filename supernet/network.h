// A runnable network: a path of block modules, each with the configuration it
// runs. A standalone Network is built from an Architecture (every module at
// exactly its size); the Supernet (supernet.h) builds wider modules per slot
// and sets the path per sampled architecture. Both train and evaluate through
// the same path code.
#ifndef RIDGE_SUPERNET_NETWORK_H_
#define RIDGE_SUPERNET_NETWORK_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"
#include "supernet/blocks.h"
#include "supernet/param.h"

namespace ridge::nn {

// One step of a path: a module and the configuration it runs.
struct PathStep {
  BlockModule* module = nullptr;
  Block config;
};

// Runs a path forward and backward, keeping what backward needs.
// Not thread-safe.
class PathRunner {
 public:
  // Returns the logits (n x classes x 1 x 1). REQUIRES: images n x c x h x w
  // matching the path's input; the result stays valid until the next call.
  absl::StatusOr<const Tensor*> Forward(const std::vector<PathStep>& path, const Tensor& images,
                                        const ForwardContext& ctx);
  // Backpropagates d(loss)/d(logits), accumulating parameter gradients.
  // REQUIRES: the last Forward was in training mode on the same path.
  absl::Status Backward(const std::vector<PathStep>& path, const Tensor& dlogits);
};

// What the trainer needs of a model: a forward and backward pass on the
// current network and its parameters, plus a hook before every step (the
// supernet samples a subnet there).
// Forward through some network: logits for images.
using ForwardFn = std::function<absl::StatusOr<const Tensor*>(const Tensor&, const ForwardContext&)>;

class Trainable {
 public:
  virtual ~Trainable() = default;
  virtual absl::StatusOr<const Tensor*> Forward(const Tensor& images, const ForwardContext& ctx) = 0;
  virtual absl::Status Backward(const Tensor& dlogits) = 0;
  virtual ParamStore& params() = 0;
  virtual absl::Status BeforeStep(int64_t /*step*/) { return absl::OkStatus(); }
};

class Network : public Trainable {
 public:
  // Builds a standalone network for `arch` with weights initialized from `seed`.
  // INVALID_ARGUMENT if the architecture does not validate.
  static absl::StatusOr<std::unique_ptr<Network>> Create(const Architecture& arch, uint32_t seed);

  absl::StatusOr<const Tensor*> Forward(const Tensor& images, const ForwardContext& ctx) override {
    return runner_.Forward(path_, images, ctx);
  }
  absl::Status Backward(const Tensor& dlogits) override { return runner_.Backward(path_, dlogits); }

  ParamStore& params() override { return store_; }
  const Architecture& architecture() const { return arch_; }

 private:
  Network() = default;
  Architecture arch_;
  ParamStore store_;
  std::vector<std::unique_ptr<BlockModule>> modules_;
  std::vector<PathStep> path_;
  PathRunner runner_;
};

// The limits that make a module exactly `block` with `in_c` input channels.
BlockLimits ExactLimits(const Block& block, int64_t in_c, int64_t classes);

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_NETWORK_H_
