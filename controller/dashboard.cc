#include "controller/dashboard.h"

#include <algorithm>
#include <initializer_list>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "controller/dashboard_pages.h"
#include "controller/requests.h"
#include "proto/validate.h"

namespace ridge::controller {
namespace {

using Params = std::map<std::string, std::string>;

absl::Status BadParameter(absl::string_view name, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", rule));
}

// The request's query parameters, each of `allowed` at most once. `token`
// never reaches here: authentication consumed it.
absl::StatusOr<Params> CheckParams(const HttpRequest& request, std::initializer_list<const char*> allowed) {
  Params params;
  for (const auto& [name, value] : request.params) {
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; }) == allowed.end()) {
      return BadParameter(Quoted(name), absl::StrCat("not a parameter of this page; it takes {",
                                                     absl::StrJoin(allowed, ", "), "}"));
    }
    if (!params.emplace(name, value).second) return BadParameter(name, "given twice");
  }
  return params;
}

// An integer parameter in [lo, hi], or `fallback` when absent.
absl::StatusOr<int64_t> IntParam(const Params& params, const std::string& name, int64_t lo, int64_t hi,
                                 int64_t fallback) {
  auto it = params.find(name);
  if (it == params.end()) return fallback;
  int64_t v = 0;
  if (!absl::SimpleAtoi(it->second, &v) || v < lo || v > hi) {
    return BadParameter(name, absl::StrCat(Quoted(it->second), " is not an integer in [", lo, ", ", hi, "]"));
  }
  return v;
}

std::string StrParam(const Params& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

// Campaign IDs are the gRPC requests' identifiers ("c" and 16 hex digits as
// issued); in a path they are also held to the device keys' alphabet, so
// they are printable and short wherever they are quoted.
absl::Status CheckCampaignId(const std::string& id) {
  GetCampaignRequest request;
  request.set_campaign_id(id);
  RETURN_IF_ERROR(Validate(request));
  return ValidateDeviceKey(id, "campaign_id");
}

// The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(absl::string_view header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) return std::string(part);
  }
  return "";
}

// Where a `?token=` visit goes next: the same path and parameters without
// the token. One leading '/', so the Location can never name another host.
std::string LocationWithoutToken(const HttpRequest& request) {
  std::string location = absl::StrCat("/", UrlEncode(request.path, /*keep_slash=*/true));
  while (absl::StartsWith(location, "//")) location.erase(0, 1);
  std::vector<std::string> rest;
  for (const auto& [name, value] : request.params) {
    if (name != "token") rest.push_back(absl::StrCat(UrlEncode(name), "=", UrlEncode(value)));
  }
  if (!rest.empty()) absl::StrAppend(&location, "?", absl::StrJoin(rest, "&"));
  return location;
}

bool IsApi(absl::string_view* path) { return absl::ConsumePrefix(path, "/api"); }

HttpResponse Json(std::string body) {
  HttpResponse r;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

HttpResponse Html(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

HttpResponse Refusal(const absl::Status& status, bool json) {
  HttpResponse r;
  r.status = HttpStatusOf(status);
  std::string message(status.message());
  if (r.status == 500) {
    Log(Component::kController)->warn("dashboard: internal error: {}", message);
    message = "internal error; the controller's log has the details";
  }
  if (r.status == 401) r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"ridge\""});
  if (json) {
    r.content_type = "application/json";
    google::protobuf::Value text;
    text.set_string_value(message);
    r.body = absl::StrCat("{\"error\":", ToJson(text), "}");
  } else {
    r.body = ErrorHtml(r.status, message);
  }
  return r;
}

// Headers on every answer: nothing cached, framed or sniffed, no referrer
// (a `?token=` URL must not leak), and scripts and fetches from this origin
// only (the pages' own inline script).
void AddSecurityHeaders(HttpResponse* r) {
  r->headers.push_back({"Cache-Control", "no-store"});
  r->headers.push_back({"X-Content-Type-Options", "nosniff"});
  r->headers.push_back({"X-Frame-Options", "DENY"});
  r->headers.push_back({"Referrer-Policy", "no-referrer"});
  r->headers.push_back({"Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                        "frame-ancestors 'none'"});
}

}  // namespace

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kFailedPrecondition: return 409;
    default: return 500;
  }
}

HttpResponse DashboardHandler::Handle(const HttpRequest& request) const {
  HttpResponse response;
  const bool json = absl::StartsWith(request.path, "/api/");
  if (request.method != "GET" && request.method != "HEAD") {
    response = Refusal(absl::InvalidArgumentError("method: the dashboard is read-only; use GET"), json);
    response.status = 405;
    response.headers.push_back({"Allow", "GET, HEAD"});
  } else if (absl::Status auth = Authenticate(request, &response); !auth.ok()) {
    response = Refusal(auth, json);
  } else if (response.status != 303) {
    response = Route(request);
  }
  AddSecurityHeaders(&response);
  return response;
}

absl::Status DashboardHandler::Authenticate(const HttpRequest& request, HttpResponse* redirect) const {
  if (tokens_ == nullptr) return absl::OkStatus();
  for (const auto& [name, value] : request.params) {
    if (name != "token") continue;
    // A browser's first visit: a good token becomes the cookie, and the URL
    // loses it (history, logs and screenshots then never show it).
    RETURN_IF_ERROR(tokens_->Check(absl::StrCat("Bearer ", value), Role::kClient));
    redirect->status = 303;
    redirect->body = ErrorHtml(303, "Signed in; continuing.");
    redirect->headers.push_back({"Location", LocationWithoutToken(request)});
    redirect->headers.push_back(
        {"Set-Cookie", absl::StrCat(kTokenCookie, "=", value, "; Path=/; HttpOnly; SameSite=Strict")});
    return absl::OkStatus();
  }
  if (!request.authorization.empty()) return tokens_->Check(request.authorization, Role::kClient);
  const std::string cookie = CookieValue(request.cookie, kTokenCookie);
  if (cookie.empty()) {
    return absl::UnauthenticatedError(
        "a token is required: open the dashboard link `ridge up` prints (…/?token=…), or send "
        "\"Authorization: Bearer <token>\" with a client or admin token of the controller's token file");
  }
  return tokens_->Check(absl::StrCat("Bearer ", cookie), Role::kClient);
}

HttpResponse DashboardHandler::Route(const HttpRequest& request) const {
  absl::string_view path = request.path;
  const bool json = IsApi(&path);
  if (path == "/" && !json) return CampaignsPage(request, false);
  if (path == "/campaigns" && json) return CampaignsPage(request, true);
  if (path == "/workers") return WorkersPage(request, json);
  if (absl::ConsumePrefix(&path, "/campaign/")) return CampaignPage(std::string(path), request, json);
  if (absl::ConsumePrefix(&path, "/latency/")) return LatencyPage(std::string(path), request, json);
  return Refusal(absl::NotFoundError(absl::StrCat("path: ", Quoted(request.path), " is not a page of the dashboard")),
                 json);
}

HttpResponse DashboardHandler::CampaignsPage(const HttpRequest& request, bool json) const {
  absl::StatusOr<ListCampaignsResponse> page = [&]() -> absl::StatusOr<ListCampaignsResponse> {
    ASSIGN_OR_RETURN(Params params, CheckParams(request, {"page_size", "page_token"}));
    ListCampaignsRequest r;
    ASSIGN_OR_RETURN(int64_t size, IntParam(params, "page_size", 1, 1000, 100));
    r.set_page_size(static_cast<int32_t>(size));
    r.set_page_token(StrParam(params, "page_token"));
    RETURN_IF_ERROR(Validate(r));
    return data_->Campaigns(r);
  }();
  if (!page.ok()) return Refusal(page.status(), json);
  return json ? Json(ToJson(*page)) : Html(CampaignsHtml(*page));
}

HttpResponse DashboardHandler::CampaignPage(const std::string& campaign_id, const HttpRequest& request,
                                            bool json) const {
  absl::StatusOr<CampaignView> view = [&]() -> absl::StatusOr<CampaignView> {
    RETURN_IF_ERROR(CheckCampaignId(campaign_id));
    RETURN_IF_ERROR(CheckParams(request, {}).status());
    return data_->CampaignPage(campaign_id);
  }();
  if (!view.ok()) return Refusal(view.status(), json);
  return json ? Json(CampaignViewJson(*view)) : Html(CampaignHtml(*view));
}

HttpResponse DashboardHandler::WorkersPage(const HttpRequest& request, bool json) const {
  absl::StatusOr<ListWorkersResponse> workers = [&]() -> absl::StatusOr<ListWorkersResponse> {
    ASSIGN_OR_RETURN(Params params, CheckParams(request, {"device_key"}));
    ListWorkersRequest r;
    r.set_device_key(StrParam(params, "device_key"));
    RETURN_IF_ERROR(Validate(r));
    return data_->Workers(r);
  }();
  if (!workers.ok()) return Refusal(workers.status(), json);
  return json ? Json(ToJson(*workers)) : Html(WorkersHtml(*workers, absl::ToUnixMillis(absl::Now())));
}

HttpResponse DashboardHandler::LatencyPage(const std::string& device_key, const HttpRequest& request,
                                           bool json) const {
  absl::StatusOr<LatencyReportResponse> report = [&]() -> absl::StatusOr<LatencyReportResponse> {
    ASSIGN_OR_RETURN(Params params, CheckParams(request, {"base_hardware", "held_out_fraction", "seed"}));
    LatencyReportRequest r;
    r.set_device_key(device_key);
    r.set_base_hardware(StrParam(params, "base_hardware"));
    const std::string fraction = StrParam(params, "held_out_fraction");
    double f = 0;
    if (!fraction.empty() && !absl::SimpleAtod(fraction, &f)) {
      return BadParameter("held_out_fraction", absl::StrCat(Quoted(fraction), " is not a number"));
    }
    r.set_held_out_fraction(f);
    ASSIGN_OR_RETURN(int64_t seed, IntParam(params, "seed", 0, int64_t{1} << 62, 0));
    r.set_seed(static_cast<uint64_t>(seed));
    RETURN_IF_ERROR(Validate(r));
    return data_->LatencyReport(r);
  }();
  if (!report.ok()) return Refusal(report.status(), json);
  return json ? Json(ToJson(*report)) : Html(LatencyHtml(*report));
}

}  // namespace ridge::controller
