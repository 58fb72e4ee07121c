// The `ridge` client's side of the controller's RPCs: the connection
// (--controller, --token_file, --tls_ca, with RIDGE_CONTROLLER,
// RIDGE_TOKEN_FILE and RIDGE_TLS_CA as fallbacks), and the pieces that
// `ridge campaign`, `ridge front` and `ridge up` share.
#ifndef RIDGE_CLI_CLIENT_H_
#define RIDGE_CLI_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "proto/services.grpc.pb.h"

namespace ridge::cli {

struct Connection {
  std::string target;  // host:port.
  std::string token;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<CampaignService::Stub> campaigns;
  std::unique_ptr<MeasurementService::Stub> measurements;

  // A context carrying the token, with a deadline unless `deadline_s` is 0.
  std::unique_ptr<grpc::ClientContext> Context(int deadline_s = 30) const;
};

// `flags` plus the connection flags every client command accepts.
std::vector<std::string> WithConnectionFlags(std::vector<std::string> flags);

// Connects as the flags (or environment) say.
absl::StatusOr<Connection> ConnectFromFlags();
// Connects to `target` with the token in `token_file` (no TLS).
absl::StatusOr<Connection> Connect(const std::string& target, const std::string& token_file,
                                   const std::string& tls_ca = "");

// A failed RPC as a Status that says which call and where.
absl::Status RpcError(const grpc::Status& status, const std::string& call, const std::string& target);

// Follows a campaign until it ends, its progress on stderr (a block redrawn
// on a terminal, plain lines otherwise), or with `json_lines` as JSON Lines
// on stdout; on DONE renders its fronts into `out`: tables, or the last JSON
// line. FAILED or CANCELLED is an error.
absl::Status WatchToEnd(const Connection& c, const std::string& campaign_id, bool json_lines, std::string* out);

// One campaign, as Get returns it.
absl::StatusOr<Campaign> GetCampaign(const Connection& c, const std::string& id);
// Every Pareto point of a campaign (all pages), optionally of one hardware.
absl::StatusOr<GetParetoFrontResponse> FetchFront(const Connection& c, const std::string& campaign_id,
                                                  const std::string& hardware);
// The front as tables, one per hardware.
std::string FrontTables(const GetParetoFrontResponse& front);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_CLIENT_H_
