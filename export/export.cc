#include "export/export.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "export/model_spec.h"
#include "export/onnx_model.h"
#include "export/pytorch_code.h"
#include "export/torch_save.h"
#include "proto/architecture.h"
#include "proto/textproto.h"
#include "supernet/checkpoint.h"
#include "supernet/executor.h"

namespace ridge::exporter {
namespace {

// Reference inputs are small by intent; this bounds a mistaken path.
constexpr size_t kMaxReferenceBytes = size_t{1} << 30;

// Where two canonical encodings first differ, e.g.
// "block 3: uib(0,3,1,32,4) vs fused_ib(3,1,32,4)", or the input shape.
std::string FirstDifference(const std::string& want, const std::string& got) {
  std::vector<std::string> a = absl::StrSplit(want, ' '), b = absl::StrSplit(got, ' ');
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "(nothing)", y = i < b.size() ? b[i] : "(nothing)";
    if (x != y) return absl::StrCat("'", y, "' where --arch has '", x, "'");
  }
  return "";
}

absl::Status CheckCheckpoint(const std::string& path, const nn::CheckpointHeader& header, const Architecture& arch) {
  if (header.kind != "standalone") {
    return absl::InvalidArgumentError(absl::StrCat("--checkpoint: ", path, " is a '", header.kind,
                                                   "' checkpoint; export reads `ridge train` (standalone) ones"));
  }
  const std::string want = CanonicalEncoding(arch);
  if (header.spec != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--checkpoint: ", path, " holds another architecture: it has ", FirstDifference(want, header.spec),
        " (checkpoint: ", header.spec, "; --arch: ", want, ")"));
  }
  return absl::OkStatus();
}

absl::Status Write(const std::string& path, const std::string& contents, std::vector<std::string>* written) {
  RETURN_IF_ERROR(WithContext(WriteFileAtomically(path, contents), "--out"));
  written->push_back(path);
  Log(Component::kCli)->info("export wrote path={} bytes={}", path, contents.size());
  return absl::OkStatus();
}

absl::Status ExportPyTorch(const ModelSpec& spec, const std::vector<NamedTensor>& state_dict, const std::string& dir,
                           const std::string& weights_note, std::vector<std::string>* written) {
  RETURN_IF_ERROR(MakeDirectories(dir, "--out"));
  ASSIGN_OR_RETURN(std::string weights, TorchSaveStateDict(state_dict, spec.name));
  RETURN_IF_ERROR(Write(absl::StrCat(dir, "/", spec.name, ".pt"), weights, written));
  return Write(absl::StrCat(dir, "/", spec.name, ".py"), PyTorchModule(spec, weights_note), written);
}

}  // namespace

absl::StatusOr<Format> ParseFormat(const std::string& name) {
  if (name == "pytorch") return Format::kPyTorch;
  if (name == "onnx") return Format::kOnnx;
  if (name == "textproto") return Format::kTextproto;
  return absl::InvalidArgumentError(absl::StrCat("--format: '", name, "' is not one of {pytorch, onnx, textproto}"));
}

absl::StatusOr<std::unique_ptr<nn::Network>> NetworkWithWeights(const Architecture& arch,
                                                                const std::string& checkpoint_path, uint32_t seed) {
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net, nn::Network::Create(arch, seed));
  if (checkpoint_path.empty()) return net;
  ASSIGN_OR_RETURN(nn::CheckpointHeader header, WithContext(nn::ReadCheckpointHeader(checkpoint_path), "--checkpoint"));
  RETURN_IF_ERROR(CheckCheckpoint(checkpoint_path, header, arch));
  RETURN_IF_ERROR(WithContext(nn::ReadCheckpoint(checkpoint_path, &net->params(), nullptr).status(), "--checkpoint"));
  return net;
}

absl::StatusOr<std::vector<std::string>> Export(const Architecture& arch, const nn::ParamStore& params, Format format,
                                                const std::string& out, const std::string& weights_note) {
  if (out.empty()) return absl::InvalidArgumentError("--out: must be given");
  std::vector<std::string> written;
  if (format == Format::kTextproto) {
    RETURN_IF_ERROR(Write(out, ToTextProto(arch), &written));
    return written;
  }
  ASSIGN_OR_RETURN(ModelSpec spec, DescribeModel(arch));
  ASSIGN_OR_RETURN(std::vector<NamedTensor> state_dict, StateDict(spec, params));
  if (format == Format::kPyTorch) {
    RETURN_IF_ERROR(ExportPyTorch(spec, state_dict, out, weights_note, &written));
    return written;
  }
  ASSIGN_OR_RETURN(onnx::ModelProto model, OnnxModel(spec, state_dict));
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return absl::InternalError("the ONNX model did not serialize (over 2 GiB?)");
  RETURN_IF_ERROR(Write(out, bytes, &written));
  return written;
}

absl::Status WriteReferenceOutputs(const Architecture& arch, const nn::ParamStore& params,
                                   const std::string& input_path, const std::string& output_path) {
  ASSIGN_OR_RETURN(std::string raw, WithContext(ReadFileToString(input_path, kMaxReferenceBytes), "--reference_input"));
  const int64_t c = arch.input().channels(), h = arch.input().height(), w = arch.input().width();
  const int64_t image = c * h * w;
  if (raw.empty() || raw.size() % (image * sizeof(float)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("--reference_input: ", raw.size(), " bytes is not a whole number of ",
                                                   c, "x", h, "x", w, " float32 images"));
  }
  const int batch = static_cast<int>(raw.size() / (image * sizeof(float)));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::InferenceExecutor> ex, nn::InferenceExecutor::CreateFromParams(arch, batch, params));
  const float* nchw = reinterpret_cast<const float*>(raw.data());
  float* nhwc = ex->input();
  // NCHW (PyTorch's and ONNX's layout) to the executor's NHWC.
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t k = 0; k < c; ++k) {
      for (int64_t p = 0; p < h * w; ++p) nhwc[(n * h * w + p) * c + k] = nchw[(n * c + k) * h * w + p];
    }
  }
  RETURN_IF_ERROR(ex->Run());
  std::string out(reinterpret_cast<const char*>(ex->output()), ex->output_size() * sizeof(float));
  return WithContext(WriteFileAtomically(output_path, out), "--reference_output");
}

}  // namespace ridge::exporter
