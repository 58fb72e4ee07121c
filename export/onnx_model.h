// The ONNX model of an exported network (`ridge export --format=onnx`):
// opset 13, NCHW float32 input "input" of shape [batch, C, H, W] (batch
// symbolic) and output "logits". BN stays as BatchNormalization nodes with
// the running statistics (epsilon 1e-5); initializers carry the PyTorch
// state_dict names. Messages are Debian's onnx.proto (libonnx-dev), compiled
// by //third_party:onnx_proto. docs/export.md lists the operators.
#ifndef RIDGE_EXPORT_ONNX_MODEL_H_
#define RIDGE_EXPORT_ONNX_MODEL_H_

#include <vector>

#include "absl/status/statusor.h"
#include "export/model_spec.h"
#include "onnx/onnx.pb.h"

namespace ridge::exporter {

inline constexpr int kOnnxOpset = 13;

// The model of `spec` with the weights `state_dict` (StateDict's output).
absl::StatusOr<onnx::ModelProto> OnnxModel(const ModelSpec& spec, const std::vector<NamedTensor>& state_dict);

}  // namespace ridge::exporter

#endif  // RIDGE_EXPORT_ONNX_MODEL_H_
