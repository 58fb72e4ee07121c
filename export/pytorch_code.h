// The Python source of an exported PyTorch model (`ridge export
// --format=pytorch`): one nn.Module class per Ridge block kind, written to
// match the engine's math exactly (supernet/blocks.cc, supernet/ops.cc), a
// top-level model built from a list of block configs, and load(), which
// reads the state_dict saved beside the file. docs/export.md describes it.
#ifndef RIDGE_EXPORT_PYTORCH_CODE_H_
#define RIDGE_EXPORT_PYTORCH_CODE_H_

#include <string>

#include "export/model_spec.h"

namespace ridge::exporter {

// The module `<spec.name>.py`; its load() reads `<spec.name>.pt` by default.
// `weights_note` says where the weights came from (a docstring line).
std::string PyTorchModule(const ModelSpec& spec, const std::string& weights_note);

}  // namespace ridge::exporter

#endif  // RIDGE_EXPORT_PYTORCH_CODE_H_
