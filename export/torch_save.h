// Writes a PyTorch state_dict in torch.save's zip format (PyTorch 1.6 and
// later), which torch.load reads with weights_only=True as well as False:
//   <archive>/data.pkl   pickle protocol 2: an OrderedDict of name -> tensor,
//                        each tensor torch._utils._rebuild_tensor_v2 over a
//                        persistent storage id ('storage', torch.FloatStorage,
//                        key, 'cpu', numel);
//   <archive>/data/<key> the storage's raw little-endian elements;
//   <archive>/version    the format version, "3".
// Only the pickle opcodes torch's weights-only unpickler accepts are used.
#ifndef RIDGE_EXPORT_TORCH_SAVE_H_
#define RIDGE_EXPORT_TORCH_SAVE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "export/model_spec.h"

namespace ridge::exporter {

// The pickle of the state_dict alone (data.pkl); storage keys are "0", "1", ...
// in the order of `tensors`.
std::string StateDictPickle(const std::vector<NamedTensor>& tensors);

// The whole file; `archive` is the top-level folder inside the zip.
absl::StatusOr<std::string> TorchSaveStateDict(const std::vector<NamedTensor>& tensors, const std::string& archive);

}  // namespace ridge::exporter

#endif  // RIDGE_EXPORT_TORCH_SAVE_H_
