// An inference-only executor of an Architecture on oneDNN, for measurement
// workers and `ridge infer`. It runs exactly the layers InferLayers lists,
// with the math of the training engine's inference forward
// (nn::Network::Forward with training = false), but built for speed:
//  - BN is folded into the conv weights and bias; layer scale too;
//  - the activation and the residual add run as oneDNN post-ops (eltwise,
//    sum) of the conv before them; the residual sum writes in place into the
//    block input's buffer, which is dead by then;
//  - a 1x1 expand + 3x3 depthwise pair runs as one oneDNN primitive (the
//    depthwise post-op) where oneDNN has a fused kernel for it (on AVX2,
//    jit_1x1 offers one for large feature maps, by its own cache heuristic),
//    so the wide hidden tensor never goes to memory;
//  - grouped 1x1 convs (FBNet's g2 ops) run as oneDNN grouped convs on the
//    diagonal blocks of the engine's dense weights, so they cost what a
//    grouped conv costs; the channel shuffle after the expand runs as
//    oneDNN's shuffle on blocked layouts and as a strided reorder on NHWC
//    (where oneDNN's shuffle has only a reference kernel);
//  - oneDNN picks the activation and weight layouts (format_tag::any; nChw8c
//    on AVX2), with reorders only where a primitive needs another layout;
//  - every primitive, weight and buffer is made in Create: Run() executes
//    primitives and allocates nothing. Activation buffers are reused once
//    their last reader ran, so the working set stays small and cache-warm.
// Not thread-safe; oneDNN's OpenMP threads (nn::SetThreads) do the parallel
// work.
#ifndef RIDGE_SUPERNET_EXECUTOR_H_
#define RIDGE_SUPERNET_EXECUTOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"
#include "supernet/param.h"

namespace ridge::nn {

namespace internal {
class Plan;
}

// Switches for experiments and tests; the defaults are the fast ones.
struct ExecutorOptions {
  // Let oneDNN choose activation layouts; false keeps every tensor NHWC.
  bool blocked_layouts = true;
  // Fuse a 1x1 conv with the 3x3 depthwise conv after it (oneDNN's
  // depthwise post-op) where oneDNN offers a fused kernel. Needs
  // blocked_layouts.
  bool fuse_depthwise = true;
};

class InferenceExecutor {
 public:
  // Random weights: those of nn::Network::Create(arch, seed), so the same
  // seed gives the same network in both engines.
  static absl::StatusOr<std::unique_ptr<InferenceExecutor>> Create(const Architecture& arch, int batch,
                                                                    uint32_t seed,
                                                                    const ExecutorOptions& options = {});
  // The weights of a training-engine network for `arch` (parameter names and
  // layouts as supernet/blocks.cc makes them; BN uses its running
  // statistics). INVALID_ARGUMENT names a missing or mis-sized parameter.
  static absl::StatusOr<std::unique_ptr<InferenceExecutor>> CreateFromParams(
      const Architecture& arch, int batch, const nn::ParamStore& params, const ExecutorOptions& options = {});

  ~InferenceExecutor();

  // batch x H x W x C floats, NHWC; the caller fills it before Run.
  float* input();
  int64_t input_size() const { return input_size_; }
  absl::Status Run();
  // batch x classes logits (or the last feature map, NHWC, without a
  // classifier); valid after Run.
  const float* output() const;
  int64_t output_size() const { return output_size_; }

  // Times one step of the plan, run by `run_step`, and returns its time in
  // milliseconds (the workers' timing protocol, workers/timing.h).
  using StepTimer = std::function<absl::StatusOr<double>(const std::function<absl::Status()>& run_step)>;

  // The time of each InferLayers layer, in InferLayers order, each step
  // timed on its own by `time_step` (after one full Run, so its inputs are
  // real). A layer gets the time of every step attributed to it:
  //  - reorders go to the layer they feed;
  //  - a fused 1x1 + depthwise primitive goes to the 1x1 layer; the depthwise
  //    layer gets 0;
  //  - a channel shuffle goes to the conv whose output it shuffles;
  //  - MQA's input BN (when it cannot be folded) goes to its query layer, the
  //    softmax to attn_scores;
  //  - residual adds and activations are post-ops of their conv.
  // Timing steps in isolation keeps their inputs cache-warm, so the sum is
  // usually a little below one Run. Output contents are unspecified after;
  // the next Run recomputes them.
  absl::StatusOr<std::vector<std::pair<std::string, double>>> TimeLayers(const StepTimer& time_step);

  // One line per step: the layer, the primitive and oneDNN's implementation.
  std::string Describe() const;
  // Bytes of activation buffers (after reuse).
  int64_t activation_bytes() const;

 private:
  InferenceExecutor();

  std::unique_ptr<internal::Plan> plan_;
  std::vector<std::string> layer_names_;
  int input_value_ = 0, output_value_ = 0;
  int64_t input_size_ = 0, output_size_ = 0;
};

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_EXECUTOR_H_
