// `ridge export`: an architecture with trained or seeded weights, as PyTorch
// (module + state_dict), ONNX or an Architecture textproto (docs/export.md).
#include "cli/export_commands.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/internal/parse.h"
#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "export/export.h"
#include "proto/architecture.h"
#include "supernet/checkpoint.h"
#include "zoo/zoo.h"

ABSL_DECLARE_FLAG(std::string, out);
ABSL_FLAG(std::string, reference_input, "",
          "export: also run Ridge's inference executor on these raw float32 NCHW images (a whole number of "
          "input-shaped images) and write its outputs to --reference_output.");
ABSL_FLAG(std::string, reference_output, "",
          "export: where --reference_input's outputs go, raw float32, batch x classes.");
ABSL_FLAG(std::string, arch_id, "", "front export: the front member to export with --format=pytorch|onnx|textproto.");
ABSL_FLAG(std::string, weights, "auto",
          "front export --arch_id: auto (the campaign's retrained weights if it has them, else seeded), retrained "
          "(fail without them) or none (the deployment-shape architecture, seeded).");

namespace ridge::cli {
namespace {

// Where the weights come from, for the log and the generated docstring.
std::string WeightsNote(const std::string& checkpoint, int64_t seed) {
  if (!checkpoint.empty()) return absl::StrCat("trained, from checkpoint ", checkpoint, ".");
  return absl::StrCat("untrained: the seeded initialization of Ridge (--seed=", seed, ").");
}

absl::Status ReferenceFlags(std::string* input, std::string* output) {
  *input = absl::GetFlag(FLAGS_reference_input);
  *output = absl::GetFlag(FLAGS_reference_output);
  if (input->empty() != output->empty()) {
    return absl::InvalidArgumentError("--reference_input and --reference_output go together");
  }
  return absl::OkStatus();
}

// --format for an export: given, and one of the three.
absl::StatusOr<exporter::Format> ExportFormatFlag() {
  ASSIGN_OR_RETURN(std::string name, FormatFlag({"pytorch", "onnx", "textproto"}));
  if (!absl::flags_internal::WasPresentOnCommandLine("format")) {
    return absl::InvalidArgumentError("--format: must be given (pytorch, onnx or textproto)");
  }
  return exporter::ParseFormat(name);
}

absl::Status Export(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(exporter::Format format, ExportFormatFlag());
  ASSIGN_OR_RETURN(ModelOptions options, ModelOptionsFlags());
  ASSIGN_OR_RETURN(Architecture arch, ResolveArchitecture(absl::GetFlag(FLAGS_arch), options, "--arch"));
  std::string reference_input, reference_output;
  RETURN_IF_ERROR(ReferenceFlags(&reference_input, &reference_output));
  const int64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed < 0 || seed > UINT32_MAX) return absl::InvalidArgumentError("--seed: must be in [0, 2^32)");
  const std::string checkpoint = absl::GetFlag(FLAGS_checkpoint);
  if (checkpoint.empty()) {
    Log(Component::kCli)->warn("export has no --checkpoint: writing the untrained weights of --seed={}", seed);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net,
                   exporter::NetworkWithWeights(arch, checkpoint, static_cast<uint32_t>(seed)));
  ASSIGN_OR_RETURN(std::vector<std::string> written,
                   exporter::Export(arch, net->params(), format, absl::GetFlag(FLAGS_out),
                                    WeightsNote(checkpoint, seed)));
  if (!reference_input.empty()) {
    RETURN_IF_ERROR(exporter::WriteReferenceOutputs(arch, net->params(), reference_input, reference_output));
    written.push_back(reference_output);
  }
  for (const std::string& path : written) absl::StrAppend(out, path, "\n");
  return absl::OkStatus();
}

// A temporary file that is removed when it goes out of scope.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) std::remove(path.c_str());
  }
};

// Downloads a front member's retrained weights into `file`. NOT_FOUND when
// the campaign has none for it.
absl::Status DownloadWeights(const Connection& c, const std::string& campaign_id, const std::string& arch_id,
                             TempFile* file) {
  DownloadWeightsRequest request;
  request.set_campaign_id(campaign_id);
  request.set_arch_id(arch_id);
  std::unique_ptr<grpc::ClientContext> context = c.Context(600);
  std::unique_ptr<grpc::ClientReader<WeightsChunk>> reader = c.campaigns->DownloadWeights(context.get(), request);
  std::string bytes;
  int64_t total = -1;
  for (WeightsChunk chunk; reader->Read(&chunk);) {
    if (bytes.empty()) total = chunk.total_bytes();
    bytes += chunk.data();
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return RpcError(status, "DownloadWeights", c.target);
  if (static_cast<int64_t>(bytes.size()) != total) {
    return absl::DataLossError(absl::StrCat("DownloadWeights: got ", bytes.size(), " bytes of ", total));
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string path = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/ridge_weights_XXXXXX");
  const int fd = mkstemp(path.data());
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot create a temporary file"));
  close(fd);
  file->path = path;
  return WriteFileAtomically(path, bytes);
}

// The architecture the retrained weights in `checkpoint` are for (the proxy shape).
absl::StatusOr<Architecture> CheckpointArchitecture(const std::string& checkpoint, const std::string& arch_id) {
  ASSIGN_OR_RETURN(nn::CheckpointHeader header, nn::ReadCheckpointHeader(checkpoint));
  if (header.kind != "standalone") {
    return absl::DataLossError(absl::StrCat("arch_id ", arch_id, ": the downloaded weights are not a standalone checkpoint"));
  }
  ASSIGN_OR_RETURN(Architecture arch, ParseCanonicalEncoding(header.spec));
  arch.set_name(absl::StrCat("ridge_", arch_id));
  return arch;
}

}  // namespace

absl::Status ExportFrontMember(const std::string& campaign_id, const std::string& arch_id, std::string* out) {
  ASSIGN_OR_RETURN(exporter::Format format, ExportFormatFlag());
  const std::string weights = absl::GetFlag(FLAGS_weights);
  if (weights != "auto" && weights != "retrained" && weights != "none") {
    return absl::InvalidArgumentError(absl::StrCat("--weights: '", weights.substr(0, 32),
                                                   "' must be auto, retrained or none"));
  }
  const std::string out_path = absl::GetFlag(FLAGS_out);
  if (out_path.empty()) return absl::InvalidArgumentError("--out: must be given");
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  TempFile file;
  if (weights != "none") {
    absl::Status downloaded = DownloadWeights(c, campaign_id, arch_id, &file);
    if (!downloaded.ok() && (weights == "retrained" || !absl::IsNotFound(downloaded))) return downloaded;
    if (!downloaded.ok()) file.path.clear();
  }
  Architecture arch;
  std::string note;
  if (!file.path.empty()) {
    ASSIGN_OR_RETURN(arch, CheckpointArchitecture(file.path, arch_id));
    note = absl::StrCat("trained: retrained by campaign ", campaign_id, " at its proxy shape.");
  } else {
    ExportArchitectureRequest request;
    request.set_campaign_id(campaign_id);
    request.set_arch_id(arch_id);
    ExportArchitectureResponse response;
    grpc::Status status = c.campaigns->ExportArchitecture(c.Context().get(), request, &response);
    if (!status.ok()) return RpcError(status, "ExportArchitecture", c.target);
    arch = response.architecture();
    arch.set_name(absl::StrCat("ridge_", arch_id));
    note = absl::StrCat("untrained: the seeded initialization of Ridge (--seed=", absl::GetFlag(FLAGS_seed),
                        "), at the campaign's deployment shape.");
    Log(Component::kCli)->warn("front export: campaign {} has no retrained weights for {} (or --weights=none); "
                               "writing the deployment-shape architecture with untrained weights",
                               campaign_id, arch_id);
  }
  const int64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed < 0 || seed > UINT32_MAX) return absl::InvalidArgumentError("--seed: must be in [0, 2^32)");
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Network> net,
                   exporter::NetworkWithWeights(arch, file.path, static_cast<uint32_t>(seed)));
  ASSIGN_OR_RETURN(std::vector<std::string> written, exporter::Export(arch, net->params(), format, out_path, note));
  for (const std::string& path : written) absl::StrAppend(out, path, "\n");
  return absl::OkStatus();
}

void AddExportCommands(std::vector<Command>* commands) {
  commands->push_back({"export", "",
                       "Write an architecture with its weights (--checkpoint from `ridge train`, else seeded) as "
                       "PyTorch (--out=DIR: NAME.py and NAME.pt), ONNX (--out=FILE.onnx) or a textproto; prints the "
                       "files written.",
                       {"arch", "checkpoint", "format", "out", "seed", "resolution", "classes", "reference_input",
                        "reference_output"},
                       0, 0, Export});
}

}  // namespace ridge::cli
