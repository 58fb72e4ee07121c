// The controller's read-only web dashboard (docs/dashboard.md): HTML pages
// and the JSON behind them, answered from DashboardData. This is the HTTP
// handler without the socket (controller/http_server.h serves it), so its
// tests call Handle directly.
//
// Auth takes the gRPC tokens (controller/auth.h; role client, or admin):
// "Authorization: Bearer <token>", or the `ridge_token` cookie. A browser
// opens `...?token=<token>` once: a good token is set as an HttpOnly,
// SameSite=Strict cookie and the browser is redirected to the same URL
// without it. Every parameter is checked with the gRPC requests' rules
// (controller/requests.h); a bad one is 400 naming it. Pages never echo a
// token.
#ifndef RIDGE_CONTROLLER_DASHBOARD_H_
#define RIDGE_CONTROLLER_DASHBOARD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "controller/auth.h"
#include "controller/dashboard_data.h"

namespace ridge::controller {

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // Decoded, without the query.
  std::vector<std::pair<std::string, std::string>> params;  // Decoded query parameters.
  std::string authorization;  // The Authorization header.
  std::string cookie;         // The Cookie header.
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Beyond Content-Type.
};

// The cookie that carries the token after a `?token=` visit.
inline constexpr char kTokenCookie[] = "ridge_token";

class DashboardHandler {
 public:
  // REQUIRES: both outlive this. `tokens` null means no auth (tests only).
  DashboardHandler(DashboardData* data, const TokenTable* tokens) : data_(data), tokens_(tokens) {}

  // Thread-safe if `data` is.
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  // OK, or the 401/403 (or the redirect that sets the cookie) to answer.
  absl::Status Authenticate(const HttpRequest& request, HttpResponse* redirect) const;
  HttpResponse Route(const HttpRequest& request) const;
  HttpResponse CampaignsPage(const HttpRequest& request, bool json) const;
  HttpResponse CampaignPage(const std::string& campaign_id, const HttpRequest& request, bool json) const;
  HttpResponse WorkersPage(const HttpRequest& request, bool json) const;
  HttpResponse LatencyPage(const std::string& device_key, const HttpRequest& request, bool json) const;

  DashboardData* data_;
  const TokenTable* tokens_;
};

// The HTTP status of a refusal: 400, 401, 403, 404, 409 or 500.
int HttpStatusOf(const absl::Status& status);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_DASHBOARD_H_
