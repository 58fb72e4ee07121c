// `ridge export`: an architecture with its weights, as a PyTorch module plus
// state_dict, an ONNX model, or an Architecture textproto (docs/export.md).
// Weights come from a `ridge train` checkpoint or, without one, from the
// seeded initialization of nn::Network::Create, so one seed gives the same
// weights in every format.
#ifndef RIDGE_EXPORT_EXPORT_H_
#define RIDGE_EXPORT_EXPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"
#include "supernet/network.h"

namespace ridge::exporter {

enum class Format { kPyTorch, kOnnx, kTextproto };

// "pytorch", "onnx" or "textproto"; INVALID_ARGUMENT otherwise.
absl::StatusOr<Format> ParseFormat(const std::string& name);

// The network for `arch` with the weights of the standalone checkpoint at
// `checkpoint_path`, or seeded by `seed` when the path is empty.
// INVALID_ARGUMENT when the checkpoint holds another architecture (naming the
// first difference) or is not a standalone one.
absl::StatusOr<std::unique_ptr<nn::Network>> NetworkWithWeights(const Architecture& arch,
                                                                const std::string& checkpoint_path, uint32_t seed);

// Writes `arch` with the weights `params` (an nn::Network's) in `format` to
// `out`: a directory for PyTorch (<name>.py and <name>.pt, created if
// missing), a file otherwise. `weights_note` says where the weights came
// from. Returns the paths written.
absl::StatusOr<std::vector<std::string>> Export(const Architecture& arch, const nn::ParamStore& params,
                                                Format format, const std::string& out,
                                                const std::string& weights_note);

// Runs Ridge's inference executor with the weights `params` on the raw float32
// NCHW images in `input_path` (a whole number of images of the input shape)
// and writes the outputs, raw float32 (batch x classes), to `output_path`.
absl::Status WriteReferenceOutputs(const Architecture& arch, const nn::ParamStore& params,
                                   const std::string& input_path,
                                   const std::string& output_path);

}  // namespace ridge::exporter

#endif  // RIDGE_EXPORT_EXPORT_H_
