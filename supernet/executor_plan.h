// Internal to the inference executor: the plan of oneDNN steps it runs, the
// activation values they read and write, and the buffers those values live
// in. The Builder (executor_builder.h) adds values and steps; Finalize
// assigns buffers by liveness and binds every step's memory objects once, so
// a run only executes primitives.
#ifndef RIDGE_SUPERNET_EXECUTOR_PLAN_H_
#define RIDGE_SUPERNET_EXECUTOR_PLAN_H_

#include <dnnl.hpp>

#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"
#include "proto/layers.h"
#include "supernet/param.h"
#include "supernet/tensor.h"
#include "supernet/executor.h"

namespace ridge::nn::internal {

// An argument that is not bound: the residual a sum post-op reads from the
// destination buffer, which must stay live until that step.
inline constexpr int kReadOnly = -1;

// One activation tensor. A value that aliases another shares its buffer:
// in-place steps (the residual sum, softmax) define a new value over the
// buffer of their input, which is dead after that step.
struct Value {
  dnnl::memory::desc desc;
  int alias = -1;       // Value whose buffer this one reuses, or -1.
  bool pinned = false;  // Own buffer for the executor's life (input, output).
  int buffer = -1;      // Set by Finalize.
};

// A value as one argument of a step, optionally viewed through another
// descriptor of the same bytes (the matmuls see NHWC tensors as 3-D).
struct ValueArg {
  int arg = 0;    // DNNL_ARG_*, or kReadOnly: read in place (liveness only).
  int value = 0;
  bool output = false;
  dnnl::memory::desc view;  // Zero desc: the value's own.
};

struct Step {
  std::string what;  // For errors and Describe, e.g. "blocks.3.expand conv".
  int layer = 0;     // InferLayers index its time is attributed to.
  dnnl::primitive primitive;
  std::vector<ValueArg> values;
  std::unordered_map<int, dnnl::memory> args;  // Weights now; values after Finalize.
  std::string impl;                            // oneDNN's implementation name.
};

class Plan {
 public:
  Plan();

  int AddValue(const dnnl::memory::desc& desc, int alias = -1);
  Value& value(int id) { return values_[id]; }
  const dnnl::memory::desc& desc(int id) const { return values_[id].desc; }
  // The value that owns `id`'s buffer (following aliases).
  int Root(int id) const {
    while (values_[id].alias >= 0) id = values_[id].alias;
    return id;
  }

  // Adds a step; `pd` gives its implementation name and scratchpad size.
  void AddStep(Step step, const dnnl::primitive_desc_base& pd);

  // `value` in layout `to`: itself, an earlier conversion, or a new value
  // made by a reorder step attributed to `layer`.
  int Convert(int value, const dnnl::memory::desc& to, int layer);
  // A copy of `value` in layout `to` that nothing else shares, so a step may
  // overwrite it in place.
  int FreshCopy(int value, const dnnl::memory::desc& to, int layer);

  // The attributes every primitive is made with: a user scratchpad, so that
  // all steps share one buffer allocated in Finalize.
  dnnl::primitive_attr Attr() const;

  // Assigns buffers (a value's buffer is reused once its last reader ran)
  // and binds every step's arguments.
  absl::Status Finalize();

  // Executes every step in order, or only `step` when >= 0.
  absl::Status Execute(int step = -1);

  float* data(int value) const { return buffers_[values_[value].buffer].data(); }
  const std::vector<Step>& steps() const { return steps_; }
  int64_t buffer_bytes() const;

 private:
  std::vector<Value> values_;
  std::vector<Step> steps_;
  std::vector<nn::Buffer> buffers_;
  struct Conversion {
    int from, to;
  };
  std::vector<Conversion> conversions_;
  size_t scratchpad_bytes_ = 0;
  dnnl::memory scratchpad_;
};

// The input and output values of a built plan.
struct BuiltPlan {
  int input = 0, output = 0;
};

// Adds the steps that run `arch` (expanded as `layers`) on `batch` images
// with the weights in `params` (the Builder, executor_layers.cc).
absl::StatusOr<BuiltPlan> BuildPlan(const Architecture& arch, const NetworkLayers& layers, int batch,
                                    const nn::ParamStore& params, const ExecutorOptions& options, Plan* plan);

}  // namespace ridge::nn::internal

#endif  // RIDGE_SUPERNET_EXECUTOR_PLAN_H_
