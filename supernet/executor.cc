#include "supernet/executor.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/layers.h"
#include "supernet/dnnl_context.h"
#include "supernet/network.h"
#include "supernet/executor_plan.h"

namespace ridge::nn {

InferenceExecutor::InferenceExecutor() : plan_(std::make_unique<internal::Plan>()) {}
InferenceExecutor::~InferenceExecutor() = default;

absl::StatusOr<std::unique_ptr<InferenceExecutor>> InferenceExecutor::Create(const Architecture& arch, int batch,
                                                                             uint32_t seed,
                                                                             const ExecutorOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net, nn::Network::Create(arch, seed));
  return CreateFromParams(arch, batch, net->params(), options);
}

absl::StatusOr<std::unique_ptr<InferenceExecutor>> InferenceExecutor::CreateFromParams(
    const Architecture& arch, int batch, const nn::ParamStore& params, const ExecutorOptions& options) {
  if (batch < 1 || batch > 65536) {
    return absl::InvalidArgumentError(absl::StrCat("batch: ", batch, " must be in [1, 65536]"));
  }
  ASSIGN_OR_RETURN(NetworkLayers layers, InferLayers(arch));
  std::unique_ptr<InferenceExecutor> ex(new InferenceExecutor());
  for (const Layer& l : layers.layers) ex->layer_names_.push_back(l.name);
  // oneDNN reports some failures by exception while primitives are made;
  // DnnlCall turns any escaping one into a status.
  absl::StatusOr<internal::BuiltPlan> built = absl::InternalError("not built");
  RETURN_IF_ERROR(nn::DnnlCall("building the executor", [&] {
    built = internal::BuildPlan(arch, layers, batch, params, options, ex->plan_.get());
  }));
  if (!built.ok()) return built.status();
  RETURN_IF_ERROR(ex->plan_->Finalize());
  ex->input_value_ = built->input;
  ex->output_value_ = built->output;
  ex->input_size_ = int64_t{batch} * arch.input().height() * arch.input().width() * arch.input().channels();
  const Dims& out = layers.block_outputs.back();
  ex->output_size_ = int64_t{batch} * out.elements();
  return ex;
}

float* InferenceExecutor::input() { return plan_->data(input_value_); }

const float* InferenceExecutor::output() const { return plan_->data(output_value_); }

absl::Status InferenceExecutor::Run() { return plan_->Execute(); }

absl::StatusOr<std::vector<std::pair<std::string, double>>> InferenceExecutor::TimeLayers(
    const StepTimer& time_step) {
  RETURN_IF_ERROR(Run());
  std::vector<std::pair<std::string, double>> times;
  for (const std::string& name : layer_names_) times.emplace_back(name, 0.0);
  const int steps = static_cast<int>(plan_->steps().size());
  for (int s = 0; s < steps; ++s) {
    ASSIGN_OR_RETURN(double ms, time_step([&] { return plan_->Execute(s); }));
    times[plan_->steps()[s].layer].second += ms;
  }
  return times;
}

std::string InferenceExecutor::Describe() const {
  std::string out;
  for (const internal::Step& s : plan_->steps()) absl::StrAppend(&out, s.what, "  [", s.impl, "]\n");
  return out;
}

int64_t InferenceExecutor::activation_bytes() const { return plan_->buffer_bytes(); }

}  // namespace ridge::nn
