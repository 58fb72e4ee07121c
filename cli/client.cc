#include "cli/client.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "common/files.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/output.h"
#include "cli/progress_view.h"
#include "common/status_macros.h"
#include "common/token_file.h"
#include "proto/textproto.h"

ABSL_FLAG(std::string, controller, "",
          "Controller address host:port. Default: $RIDGE_CONTROLLER, else 127.0.0.1:50051.");
ABSL_FLAG(std::string, token_file, "",
          "File with the bearer token (a bare token, or \"client|admin <token>\" lines). "
          "Default: $RIDGE_TOKEN_FILE, else ./ridge-data/tokens.");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA certificate: talk TLS to the controller. Default: $RIDGE_TLS_CA.");

namespace ridge::cli {
namespace {

std::string FlagOrEnv(const std::string& flag, const char* env, const std::string& fallback) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return value != nullptr && *value != '\0' ? value : fallback;
}

const char* StateName(CampaignState s) { return CampaignState_Name(s).c_str(); }

}  // namespace

std::vector<std::string> WithConnectionFlags(std::vector<std::string> flags) {
  for (const char* f : {"controller", "token_file", "tls_ca"}) flags.push_back(f);
  return flags;
}

std::unique_ptr<grpc::ClientContext> Connection::Context(int deadline_s) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  if (deadline_s > 0) context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  return context;
}

absl::Status RpcError(const grpc::Status& status, const std::string& call, const std::string& target) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(absl::StrCat(call, ": the controller at ", target, " is not reachable (",
                                               status.error_message(), "); start one with `ridge_controller` or "
                                               "`ridge up`, or set --controller"));
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(call, ": ", status.error_message()));
}

absl::StatusOr<Connection> Connect(const std::string& target, const std::string& token_file,
                                   const std::string& tls_ca) {
  Connection c;
  c.target = target;
  ASSIGN_OR_RETURN(c.token, ReadClientToken(token_file));
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ASSIGN_OR_RETURN(ssl.pem_root_certs, WithContext(ReadFileToString(tls_ca, 1 << 20), "--tls_ca"));
    credentials = grpc::SslCredentials(ssl);
  }
  c.channel = grpc::CreateChannel(target, credentials);
  c.campaigns = CampaignService::NewStub(c.channel);
  c.measurements = MeasurementService::NewStub(c.channel);
  return c;
}

absl::StatusOr<Connection> ConnectFromFlags() {
  const std::string target = FlagOrEnv(absl::GetFlag(FLAGS_controller), "RIDGE_CONTROLLER", "127.0.0.1:50051");
  const std::string tokens = FlagOrEnv(absl::GetFlag(FLAGS_token_file), "RIDGE_TOKEN_FILE", "ridge-data/tokens");
  const std::string ca = FlagOrEnv(absl::GetFlag(FLAGS_tls_ca), "RIDGE_TLS_CA", "");
  absl::StatusOr<Connection> c = Connect(target, tokens, ca);
  if (!c.ok() && absl::IsNotFound(c.status())) {
    return absl::NotFoundError(absl::StrCat(c.status().message(),
                                            "; give --token_file or RIDGE_TOKEN_FILE (the controller writes "
                                            "<state_dir>/tokens on first start)"));
  }
  return c;
}

absl::StatusOr<Campaign> GetCampaign(const Connection& c, const std::string& id) {
  GetCampaignRequest request;
  request.set_campaign_id(id);
  Campaign campaign;
  grpc::Status s = c.campaigns->Get(c.Context().get(), request, &campaign);
  if (!s.ok()) return RpcError(s, "Get", c.target);
  return campaign;
}

absl::StatusOr<GetParetoFrontResponse> FetchFront(const Connection& c, const std::string& campaign_id,
                                                  const std::string& hardware) {
  GetParetoFrontResponse all;
  GetParetoFrontRequest request;
  request.set_campaign_id(campaign_id);
  request.set_hardware(hardware);
  request.set_page_size(500);
  do {
    GetParetoFrontResponse page;
    grpc::Status s = c.campaigns->GetParetoFront(c.Context().get(), request, &page);
    if (!s.ok()) return RpcError(s, "GetParetoFront", c.target);
    for (const ParetoPoint& p : page.points()) *all.add_points() = p;
    *all.mutable_hypervolume() = page.hypervolume();
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return all;
}

std::string FrontTables(const GetParetoFrontResponse& front) {
  std::string out;
  // Proto maps have no order; tables come sorted by hardware name.
  std::map<std::string, double> sorted(front.hypervolume().begin(), front.hypervolume().end());
  for (const auto& [hardware, hypervolume] : sorted) {
    Table table({"arch_id", "origin", "proxy_accuracy", "latency_ms", "MMACs", "params"}, {true, true});
    for (const ParetoPoint& p : front.points()) {
      if (p.hardware() != hardware) continue;
      table.AddRow({p.arch_id(), p.origin(), FormatDouble(p.proxy_accuracy()), FormatDouble(p.predicted_latency_ms()),
                    FormatDouble(p.macs() / 1e6, 5), absl::StrCat(p.params())});
    }
    absl::StrAppend(&out, "== ", hardware, ": hypervolume ", FormatDouble(hypervolume), "\n", table.Render(), "\n");
  }
  return out;
}

namespace {

absl::Time EventTime(const ProgressEvent& e) {
  return e.time_unix_ms() > 0 ? absl::FromUnixMillis(e.time_unix_ms()) : absl::Now();
}

ProgressFrame FrameOf(const ProgressEvent& e) {
  ProgressFrame frame{StateName(e.state()), e.step(), e.total_steps(), {}, "", EventTime(e)};
  for (int i = 0; i < e.policies_size(); ++i) {
    const PolicyResult& p = e.policies(i);
    // A policy without an argmax yet (the first events) has no latency either.
    frame.policies.push_back({p.hardware(), p.budget_ms(), p.arch_id().empty() ? -1 : p.latency_ms(),
                              i < e.rewards_size() ? e.rewards(i) : 0, p.arch_id()});
  }
  return frame;
}

// Reads the stream to its end into `view`. The last event, if any came.
absl::StatusOr<std::optional<ProgressEvent>> Follow(const Connection& c, const std::string& campaign_id,
                                                    ProgressView& view) {
  WatchRequest request;
  request.set_campaign_id(campaign_id);
  std::unique_ptr<grpc::ClientContext> context = c.Context(0);
  std::unique_ptr<grpc::ClientReader<ProgressEvent>> reader = c.campaigns->Watch(context.get(), request);
  ProgressEvent event;
  std::optional<ProgressEvent> last;
  while (reader->Read(&event)) {
    if (event.message() != "searching" && (!last.has_value() || event.message() != last->message())) {
      view.Say(StateName(event.state()), event.message(), EventTime(event));
    }
    const bool final_state = event.state() == DONE || event.state() == FAILED || event.state() == CANCELLED;
    if (event.total_steps() > 0) view.Step(FrameOf(event), final_state);
    last = event;
  }
  grpc::Status s = reader->Finish();
  // A stream of a campaign that ended FAILED or CANCELLED ends with that
  // status; the last event says the same, in more words.
  const bool final_event = last.has_value() && (last->state() == FAILED || last->state() == CANCELLED);
  if (!s.ok() && !final_event) return RpcError(s, "Watch", c.target);
  return last;
}

// A finished campaign for scripts: each policy's pick and the fronts.
std::string WatchResultJson(const Campaign& campaign, const GetParetoFrontResponse& front) {
  JsonWriter json;
  json.BeginObject().Key("campaign_id").String(campaign.campaign_id()).Key("campaign").String(campaign.spec().name());
  json.Key("state").String(StateName(campaign.state())).Key("targets").BeginArray();
  for (const PolicyResult& p : campaign.results()) {
    json.BeginObject().Key("hardware").String(p.hardware()).Key("budget_ms").Double(p.budget_ms());
    json.Key("arch_id").String(p.arch_id()).Key("latency_ms").Double(p.latency_ms()).EndObject();
  }
  json.EndArray().Key("front").BeginArray();
  for (const ParetoPoint& p : front.points()) {
    json.BeginObject().Key("hardware").String(p.hardware()).Key("arch_id").String(p.arch_id());
    json.Key("origin").String(p.origin()).Key("proxy_accuracy").Double(p.proxy_accuracy());
    json.Key("latency_ms").Double(p.predicted_latency_ms()).EndObject();
  }
  json.EndArray().EndObject();
  return json.str();
}

}  // namespace

absl::Status WatchToEnd(const Connection& c, const std::string& campaign_id, bool json_lines, std::string* out) {
  ProgressView view(ProgressOptionsForStderr(json_lines));
  ASSIGN_OR_RETURN(std::optional<ProgressEvent> last, Follow(c, campaign_id, view));
  if (!last.has_value()) return absl::InternalError("Watch: the stream ended without events");
  if (last->state() == FAILED) return absl::InternalError(absl::StrCat("campaign ", campaign_id, " ", last->message()));
  if (last->state() == CANCELLED) return absl::CancelledError(absl::StrCat("campaign ", campaign_id, " was cancelled"));
  if (last->state() != DONE) {
    return absl::UnavailableError(absl::StrCat("campaign ", campaign_id, " stopped at step ", last->step(),
                                               " (", last->message(), ")"));
  }
  ASSIGN_OR_RETURN(Campaign campaign, GetCampaign(c, campaign_id));
  ASSIGN_OR_RETURN(GetParetoFrontResponse front, FetchFront(c, campaign_id, ""));
  if (json_lines) {
    *out = JsonResultLine(WatchResultJson(campaign, front));
    return absl::OkStatus();
  }
  Table argmaxes({"target", "argmax", "latency_ms", "budget_ms"}, {true, true});
  for (const PolicyResult& p : campaign.results()) {
    argmaxes.AddRow({absl::StrCat(p.hardware(), "@", p.budget_ms(), "ms"), p.arch_id(), FormatDouble(p.latency_ms()),
                     FormatDouble(p.budget_ms())});
  }
  *out = absl::StrCat("campaign ", campaign_id, " (", campaign.spec().name(), "): DONE\n\n", argmaxes.Render(), "\n",
                      FrontTables(front));
  return absl::OkStatus();
}

}  // namespace ridge::cli
