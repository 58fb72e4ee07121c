// The dashboard's HTML pages and JSON bodies (docs/dashboard.md): plain
// server-rendered HTML with one inline style sheet, and on a running
// campaign's page a small inline script that polls its JSON. No external
// assets, so the pages work offline. Every value from the store is escaped.
#ifndef RIDGE_CONTROLLER_DASHBOARD_PAGES_H_
#define RIDGE_CONTROLLER_DASHBOARD_PAGES_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/markup.h"
#include "controller/dashboard_data.h"
#include "google/protobuf/message.h"
#include "proto/services.pb.h"

namespace ridge::controller {

// `text` with & < > " ' as character references (common/markup.h).
inline std::string HtmlEscape(absl::string_view text) { return XmlEscape(text); }
// `text` percent-encoded for a URL, keeping A-Z a-z 0-9 - . _ ~ and, with
// `keep_slash`, '/'.
std::string UrlEncode(absl::string_view text, bool keep_slash = false);

// A short page for a refusal: the status and the message, escaped.
std::string ErrorHtml(int status, absl::string_view message);

// `/`: the campaigns with state and progress; links to `next_page_token`.
std::string CampaignsHtml(const ListCampaignsResponse& campaigns);
// `/campaign/<id>`: stage, progress, ETA, each policy's argmax latency
// against its budget and its reward; when DONE, the fronts.
std::string CampaignHtml(const CampaignView& view);
// `/workers`: the workers and the job queue's counts.
std::string WorkersHtml(const ListWorkersResponse& workers, int64_t now_unix_ms);
// `/latency/<device_key>`: the device's latency model report.
std::string LatencyHtml(const LatencyReportResponse& report);

// A message as JSON, with proto field names and zero values.
std::string ToJson(const google::protobuf::Message& message);
// {"campaign": ..., "latest": ... or null, "eta_seconds": N, "front": ... or null}
std::string CampaignViewJson(const CampaignView& view);

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_DASHBOARD_PAGES_H_
