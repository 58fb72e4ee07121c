// `ridge campaign ...` and `ridge front ...`: the controller's client.
#include <fstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/export_commands.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "proto/textproto.h"
#include "zoo/zoo.h"

ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, arch_id);


namespace ridge::cli {
namespace {

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

// Reads a spec file and inlines a space file it names, since the controller
// resolves only built-in names.
absl::StatusOr<CampaignSpec> ReadSpec(const std::string& path) {
  CampaignSpec spec;
  RETURN_IF_ERROR(ReadTextProtoFile(path, &spec));
  const std::vector<std::string> spaces = ZooSpaceNames();
  auto builtin = [&](const std::string& name) {
    return std::find(spaces.begin(), spaces.end(), name) != spaces.end();
  };
  if (!spec.space_ref().empty() && !builtin(spec.space_ref())) {
    ASSIGN_OR_RETURN(*spec.mutable_space(), ResolveSearchSpace(spec.space_ref(), absl::StrCat(path, ": space_ref")));
    spec.clear_space_ref();
  }
  if (!spec.coarse_space_ref().empty() && !builtin(spec.coarse_space_ref())) {
    ASSIGN_OR_RETURN(*spec.mutable_coarse_space(),
                     ResolveSearchSpace(spec.coarse_space_ref(), absl::StrCat(path, ": coarse_space_ref")));
    spec.clear_coarse_space_ref();
  }
  return spec;
}

absl::Status Launch(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(CampaignSpec spec, ReadSpec(args[0]));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  LaunchRequest request;
  *request.mutable_spec() = spec;
  LaunchResponse response;
  grpc::Status s = c.campaigns->Launch(c.Context().get(), request, &response);
  if (!s.ok()) return RpcError(s, "Launch", c.target);
  *out = response.campaign_id() + "\n";
  return absl::OkStatus();
}

absl::Status List(const std::vector<std::string>&, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  ListCampaignsResponse all;
  ListCampaignsRequest request;
  request.set_page_size(200);
  do {
    ListCampaignsResponse page;
    grpc::Status s = c.campaigns->List(c.Context().get(), request, &page);
    if (!s.ok()) return RpcError(s, "List", c.target);
    for (Campaign& campaign : *page.mutable_campaigns()) {
      campaign.clear_spec();  // A listing needs names, not whole spaces.
      *all.add_campaigns() = std::move(campaign);
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  if (format == "json") {
    *out = Json(all);
    return absl::OkStatus();
  }
  Table table({"campaign_id", "state", "step", "total_steps", "created"}, {true, true});
  for (const Campaign& campaign : all.campaigns()) {
    table.AddRow({campaign.campaign_id(), CampaignState_Name(campaign.state()), absl::StrCat(campaign.step()),
                  absl::StrCat(campaign.total_steps()),
                  absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(campaign.created_unix()),
                                   absl::UTCTimeZone())});
  }
  *out = table.Render();
  return absl::OkStatus();
}

absl::Status Status(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json"}));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  ASSIGN_OR_RETURN(Campaign campaign, GetCampaign(c, args[0]));
  if (format == "json") {
    *out = Json(campaign);
    return absl::OkStatus();
  }
  *out = absl::StrCat("campaign ", campaign.campaign_id(), " (", campaign.spec().name(), ")\nstate: ",
                      CampaignState_Name(campaign.state()), "\nstep:  ", campaign.step(), " of ",
                      campaign.total_steps(), "\n");
  if (!campaign.error().empty()) absl::StrAppend(out, "error: ", campaign.error(), "\n");
  if (campaign.results_size() > 0) {
    Table table({"target", "argmax", "latency_ms", "budget_ms"}, {true, true});
    for (const PolicyResult& p : campaign.results()) {
      table.AddRow({absl::StrCat(p.hardware(), "@", p.budget_ms(), "ms"), p.arch_id(), FormatDouble(p.latency_ms()),
                    FormatDouble(p.budget_ms())});
    }
    absl::StrAppend(out, "\n", table.Render());
  }
  return absl::OkStatus();
}

absl::Status Cancel(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  CancelRequest request;
  request.set_campaign_id(args[0]);
  CancelResponse response;
  // Cancelling waits for the running step to end.
  grpc::Status s = c.campaigns->Cancel(c.Context(120).get(), request, &response);
  if (!s.ok()) return RpcError(s, "Cancel", c.target);
  *out = absl::StrCat(args[0], ": ", CampaignState_Name(response.state()), "\n");
  return absl::OkStatus();
}

absl::Status Watch(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "jsonl"}));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  return WatchToEnd(c, args[0], format == "jsonl", out);
}

std::string FrontCsv(const GetParetoFrontResponse& front) {
  Table csv({"hardware", "arch_id", "origin", "proxy_accuracy", "latency_ms", "latency_model", "macs", "params"});
  for (const ParetoPoint& p : front.points()) {
    csv.AddRow({p.hardware(), p.arch_id(), p.origin(), absl::StrCat(p.proxy_accuracy()),
                absl::StrCat(p.predicted_latency_ms()), p.latency_model(), absl::StrCat(p.macs()),
                absl::StrCat(p.params())});
  }
  return csv.RenderCsv();
}

absl::Status FrontShow(const std::vector<std::string>& args, std::string* out) {
  ASSIGN_OR_RETURN(std::string format, FormatFlag({"table", "json", "csv"}));
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  ASSIGN_OR_RETURN(GetParetoFrontResponse front, FetchFront(c, args[0], absl::GetFlag(FLAGS_hardware)));
  if (front.points_size() == 0) {
    ASSIGN_OR_RETURN(Campaign campaign, GetCampaign(c, args[0]));
    if (campaign.state() != DONE) {
      return absl::FailedPreconditionError(absl::StrCat("campaign ", args[0], " is ",
                                                        CampaignState_Name(campaign.state()),
                                                        "; its fronts exist once it is DONE"));
    }
  }
  if (format == "json") *out = Json(front);
  else if (format == "csv") *out = FrontCsv(front);
  else *out = FrontTables(front);
  return absl::OkStatus();
}

absl::Status FrontExport(const std::vector<std::string>& args, std::string* out) {
  if (!absl::GetFlag(FLAGS_arch_id).empty()) return ExportFrontMember(args[0], absl::GetFlag(FLAGS_arch_id), out);
  const std::string path = absl::GetFlag(FLAGS_out);
  if (path.empty()) return absl::InvalidArgumentError("--out: must name a file (.json, .csv or .textproto)");
  ASSIGN_OR_RETURN(Connection c, ConnectFromFlags());
  ASSIGN_OR_RETURN(GetParetoFrontResponse front, FetchFront(c, args[0], absl::GetFlag(FLAGS_hardware)));
  std::string text;
  if (absl::EndsWith(path, ".json")) {
    text = Json(front);
  } else if (absl::EndsWith(path, ".csv")) {
    text = FrontCsv(front);
  } else if (absl::EndsWith(path, ".textproto") || absl::EndsWith(path, ".txtpb")) {
    google::protobuf::TextFormat::PrintToString(front, &text);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--out: '", path, "' must end in .json, .csv or .textproto"));
  }
  // Write beside, then rename: a reader never sees half a file.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    if (!f) return absl::PermissionDeniedError(absl::StrCat("--out: '", path, "' cannot be written"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("--out: '", path, "' cannot be written"));
  }
  *out = absl::StrCat("wrote ", front.points_size(), " Pareto points to ", path, "\n");
  return absl::OkStatus();
}

}  // namespace

void AddCampaignCommands(std::vector<Command>* commands) {
  commands->push_back({"campaign launch", "SPEC", "Launch a campaign on the controller; prints its ID.",
                       WithConnectionFlags({}), 1, 1, Launch});
  commands->push_back({"campaign list", "", "List the controller's campaigns, newest first.",
                       WithConnectionFlags({"format"}), 0, 0, List});
  commands->push_back({"campaign status", "ID", "A campaign's state, progress and per-target results.",
                       WithConnectionFlags({"format"}), 1, 1, Status});
  commands->push_back({"campaign cancel", "ID", "Cancel a pending or running campaign.", WithConnectionFlags({}), 1, 1,
                       Cancel});
  commands->push_back({"campaign watch", "ID",
                       "Follow a campaign's progress (stderr; --format=jsonl: JSON Lines on stdout); ends with its "
                       "fronts.",
                       WithConnectionFlags({"format"}), 1, 1, Watch});
  commands->push_back({"front show", "ID", "A finished campaign's Pareto fronts.",
                       WithConnectionFlags({"hardware", "format"}), 1, 1, FrontShow});
  commands->push_back({"front export", "ID",
                       "Write a campaign's Pareto fronts to --out (.json, .csv, .textproto); with --arch_id, that "
                       "front member as --format=pytorch|onnx|textproto, with the weights the campaign retrained "
                       "(retrain_epochs) when it has them.",
                       WithConnectionFlags({"hardware", "out", "arch_id", "format", "weights", "seed"}), 1, 1,
                       FrontExport});
}

}  // namespace ridge::cli
