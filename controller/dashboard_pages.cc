#include "controller/dashboard_pages.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "plots/front_plot.h"

namespace ridge::controller {
namespace {

constexpr char kStyle[] = R"css(
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:baseline}
figure.plot{margin:12px 0;background:#fff}figure.plot svg{max-width:100%;height:auto}
header b{font-size:17px}header a{color:#cfd8e6;text-decoration:none}header a:hover{color:#fff}
main{padding:8px 24px 32px;max-width:1200px}h1{font-size:21px;margin:14px 0 6px}h2{font-size:16px;margin:20px 0 6px}
h1 small{font-weight:400;color:#6b7585;font-size:14px;margin-left:8px}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002;margin:4px 0 10px}
th,td{padding:5px 12px;border-bottom:1px solid #e6e9ee;text-align:left;white-space:nowrap}
th{background:#eef1f5;font-weight:600;font-size:13px}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
a{color:#1f5fbf}.card{background:#fff;box-shadow:0 1px 2px #0002;padding:12px 16px;display:flex;gap:28px;flex-wrap:wrap;align-items:center}
.card div span{display:block;font-size:12px;color:#6b7585}.card div b{font-size:18px}
.bar{width:160px;height:8px;background:#e6e9ee;border-radius:4px;overflow:hidden;display:inline-block;vertical-align:middle;margin-right:8px}
.bar i{display:block;height:100%;background:#2f80ed}.big .bar{width:320px;height:12px}
.state{padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600;background:#e6e9ee}
.s-COARSE,.s-FINE,.s-EVALUATING,.s-MEASURING{background:#dbe8fd;color:#1f5fbf}.s-DONE{background:#d8f3e1;color:#1e7b3c}
.s-FAILED{background:#fbe0e0;color:#b3261e}.s-CANCELLED{background:#f1e6cf;color:#7a5a12}
.over{color:#b3261e}.under{color:#1e7b3c}.muted{color:#6b7585}.error{color:#b3261e;white-space:pre-wrap}
)css";

std::string Num(double v, int digits = 4) {
  if (!std::isfinite(v)) return "—";
  return absl::StrFormat("%.*g", digits, v);
}

// A model scored on no architecture has NaN figures: shown as a dash.
std::string Percent(double fraction) {
  return std::isfinite(fraction) ? absl::StrFormat("%.1f%%", 100 * fraction) : "—";
}

std::string Page(absl::string_view title, absl::string_view body, absl::string_view body_attrs = "",
                 absl::string_view script = "") {
  return absl::StrCat("<!doctype html><html lang=en><head><meta charset=utf-8><title>", HtmlEscape(title),
                      " · Ridge</title><meta name=viewport content=\"width=device-width\"><style>", kStyle,
                      "</style></head><body", body_attrs,
                      "><header><b>Ridge</b><a href=\"/\">Campaigns</a><a href=\"/workers\">Workers</a></header><main>",
                      body, "</main>", script.empty() ? "" : absl::StrCat("<script>", script, "</script>"),
                      "</body></html>\n");
}

std::string StateBadge(CampaignState state, absl::string_view id = "") {
  const std::string name = CampaignState_Name(state);
  return absl::StrCat("<span class=\"state s-", name, "\"", id.empty() ? "" : absl::StrCat(" id=", id), ">", name,
                      "</span>");
}

// The share of the current stage done; a DONE campaign is full.
double Progress(const Campaign& c) {
  if (c.state() == DONE) return 1;
  if (c.total_steps() <= 0) return 0;
  return std::clamp(static_cast<double>(c.step()) / c.total_steps(), 0.0, 1.0);
}

std::string Bar(double fraction, absl::string_view id = "") {
  return absl::StrCat("<span class=bar><i", id.empty() ? "" : absl::StrCat(" id=", id), " style=\"width:",
                      absl::StrFormat("%.1f", 100 * fraction), "%\"></i></span>");
}

std::string Targets(const CampaignSpec& spec) {
  std::vector<std::string> parts;
  for (const Target& t : spec.targets()) {
    const std::string& name = t.hardware().empty() ? t.device_key() : t.hardware();
    std::vector<std::string> budgets;
    for (double b : t.budget_ms()) budgets.push_back(Num(b));
    parts.push_back(absl::StrCat(HtmlEscape(name), " ", absl::StrJoin(budgets, "/"), " ms"));
  }
  return absl::StrJoin(parts, "; ");
}

std::string Seconds(double s) {
  if (s < 0) return "—";
  const int64_t t = std::llround(s);
  return t >= 60 ? absl::StrFormat("%dm%02ds", t / 60, t % 60) : absl::StrCat(t, "s");
}

}  // namespace

std::string UrlEncode(absl::string_view text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::string ErrorHtml(int status, absl::string_view message) {
  return Page(absl::StrCat(status), absl::StrCat("<h1>", status, "</h1><p class=error>", HtmlEscape(message), "</p>"));
}

std::string CampaignsHtml(const ListCampaignsResponse& campaigns) {
  std::string rows;
  for (const Campaign& c : campaigns.campaigns()) {
    const std::string id = HtmlEscape(c.campaign_id());
    absl::StrAppend(&rows, "<tr><td><a href=\"/campaign/", UrlEncode(c.campaign_id()), "\">", id, "</a></td><td>",
                    HtmlEscape(c.spec().name()), "</td><td>", StateBadge(c.state()), "</td><td>", Bar(Progress(c)),
                    c.step(), " / ", c.total_steps(), "</td><td>", Targets(c.spec()), "</td><td class=muted>",
                    absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(c.created_unix()), absl::UTCTimeZone()),
                    "</td></tr>");
  }
  if (rows.empty()) rows = "<tr><td colspan=6 class=muted>No campaigns yet: `ridge campaign launch SPEC`.</td></tr>";
  std::string more;
  if (!campaigns.next_page_token().empty()) {
    more = absl::StrCat("<p><a href=\"/?page_token=", UrlEncode(campaigns.next_page_token()), "\">Older campaigns</a></p>");
  }
  return Page("Campaigns", absl::StrCat("<h1>Campaigns</h1><table><tr><th>campaign</th><th>name</th><th>state</th>"
                                        "<th>progress (stage)</th><th>targets (budgets)</th><th>created (UTC)</th></tr>",
                                        rows, "</table>", more));
}

namespace {

// The live page's script: polls the campaign's JSON and updates the values
// the server rendered; reloads when the structure changes (new policies, a
// final state), so the server stays the one renderer of tables.
constexpr char kCampaignScript[] = R"js((function(){
const b=document.body.dataset,$=i=>document.getElementById(i);
const g=x=>x==null?'—':Number(Number(x).toPrecision(4)).toString();
const eta=s=>{if(s==null||s<0)return '—';s=Math.round(s);return s>=60?Math.floor(s/60)+'m'+String(s%60).padStart(2,'0')+'s':s+'s';};
const fin=['DONE','FAILED','CANCELLED'];
function show(d){
const c=d.campaign,st=Number(c.step||0),tot=Number(c.total_steps||0),l=d.latest||{};
const ps=l.policies||[],rs=l.rewards||[];
if(fin.includes(c.state)||ps.length!==Number(b.policies)){location.reload();return false;}
$('state').textContent=c.state;$('state').className='state s-'+c.state;
$('step').textContent=st;$('total').textContent=tot;$('eta').textContent=eta(d.eta_seconds);
$('fill').style.width=(tot>0?Math.min(100,100*st/tot):0).toFixed(1)+'%';
$('message').textContent=l.message||'';
ps.forEach((p,i)=>{const r=p.latency_ms/p.budget_ms;
$('p'+i+'-lat').textContent=g(p.latency_ms);$('p'+i+'-ratio').textContent=g(r);
$('p'+i+'-ratio').className='n '+(r>1?'over':'under');$('p'+i+'-reward').textContent=Number(l.step||0)>0?g(rs[i]):'—';
$('p'+i+'-arch').textContent=p.arch_id||'';});
$('updated').textContent=new Date().toLocaleTimeString();return true;}
async function poll(){let again=true;
try{const r=await fetch('/api/campaign/'+encodeURIComponent(b.campaign),{cache:'no-store'});if(r.ok)again=show(await r.json());}catch(e){}
if(again)setTimeout(poll,1500);}
if(b.final!=='1')setTimeout(poll,1500);
})();)js";

std::string CampaignSummary(const CampaignView& v) {
  const Campaign& c = v.campaign;
  return absl::StrCat(
      "<div class=\"card big\"><div><span>stage</span>", StateBadge(c.state(), "state"),
      "</div><div><span>step / total (this stage)</span><b id=step>", c.step(), "</b> / <b id=total>", c.total_steps(),
      "</b></div><div><span>progress</span>", Bar(Progress(c), "fill"), "</div><div><span>ETA (stage)</span><b id=eta>",
      Seconds(v.eta_seconds), "</b></div><div><span>latest event</span><i id=message>",
      HtmlEscape(v.latest ? v.latest->message() : ""), "</i></div><div><span>updated</span><i id=updated class=muted>",
      IsFinal(c.state()) ? "final" : "live", "</i></div></div>",
      c.error().empty() ? "" : absl::StrCat("<p class=error>", HtmlEscape(c.error()), "</p>"));
}

// One row per policy of the newest event: argmax latency against budget and
// the latest reward. Cells have IDs for the script.
std::string PoliciesTable(const CampaignView& v) {
  if (!v.latest || v.latest->policies_size() == 0) return "<p class=muted>No policy snapshot yet.</p>";
  std::string rows;
  for (int i = 0; i < v.latest->policies_size(); ++i) {
    const PolicyResult& p = v.latest->policies(i);
    const double ratio = p.budget_ms() > 0 ? p.latency_ms() / p.budget_ms() : NAN;
    // Before the first step the rewards are placeholders, not rewards.
    const bool has_reward = v.latest->step() > 0 && i < v.latest->rewards_size();
    const std::string reward = has_reward ? Num(v.latest->rewards(i)) : "—";
    absl::StrAppend(&rows, "<tr><td>", HtmlEscape(p.hardware()), "</td><td class=n>", Num(p.budget_ms()),
                    "</td><td class=n id=p", i, "-lat>", Num(p.latency_ms()), "</td><td class=\"n ",
                    ratio > 1 ? "over" : "under", "\" id=p", i, "-ratio>", Num(ratio), "</td><td class=n id=p", i,
                    "-reward>", reward, "</td><td id=p", i, "-arch class=muted>", HtmlEscape(p.arch_id()),
                    "</td></tr>");
  }
  return absl::StrCat("<table><tr><th>hardware</th><th class=n>budget (ms)</th><th class=n>argmax latency (ms)</th>"
                      "<th class=n>latency / budget</th><th class=n>reward</th><th>argmax architecture</th></tr>",
                      rows, "</table>");
}

std::string FrontRow(const ParetoPoint& p) {
  return absl::StrCat(
      "<tr><td>", HtmlEscape(p.arch_id()), "</td><td>", HtmlEscape(p.origin()), "</td><td class=n>",
      Num(p.predicted_latency_ms()), "</td><td class=n>",
      p.has_measured_latency_ms() ? Num(p.measured_latency_ms()) : "—", "</td><td class=n>",
      Percent(p.proxy_accuracy()), "</td><td class=n>",
      p.has_standalone_accuracy() ? Percent(p.standalone_accuracy()) : "—", "</td><td class=n>",
      Num(p.macs() / 1e6), "</td><td class=n>", Num(p.params() / 1e3), "</td></tr>");
}

// One table per hardware, points by latency (as the store sorts them).
std::string FrontTables(const GetParetoFrontResponse& front) {
  std::map<std::string, std::string> rows;
  for (const ParetoPoint& p : front.points()) absl::StrAppend(&rows[p.hardware()], FrontRow(p));
  std::string out = "<h2>Pareto fronts</h2>";
  if (rows.empty()) absl::StrAppend(&out, "<p class=muted>No front points.</p>");
  for (const auto& [hardware, body] : rows) {
    auto hv = front.hypervolume().find(hardware);
    absl::StrAppend(&out, "<h3>", HtmlEscape(hardware), " <small class=muted>hypervolume ",
                    hv == front.hypervolume().end() ? "—" : Num(hv->second), "</small></h3>",
                    "<table><tr><th>architecture</th><th>origin</th><th class=n>predicted (ms)</th>"
                    "<th class=n>measured (ms)</th><th class=n>proxy acc.</th><th class=n>standalone acc.</th>"
                    "<th class=n>MMACs</th><th class=n>K params</th></tr>",
                    body, "</table>");
  }
  return out;
}

// The fronts plot (plots/front_plot.h, as `ridge front plot` draws it),
// inlined: the SVG without its XML declaration, scaled to the page's width.
std::string FrontFigure(const Campaign& c, const GetParetoFrontResponse& front) {
  const std::string label = c.spec().name().empty() ? c.campaign_id() : c.spec().name();
  const std::string svg = plots::FrontPlotSvg(plots::FrontPlotFromService(front, c, label), nullptr, "",
                                              absl::StrCat("Pareto fronts of ", label));
  const size_t start = svg.find("<svg");
  if (start == std::string::npos) return "";
  return absl::StrCat("<figure class=plot>", svg.substr(start), "</figure>");
}

}  // namespace

std::string CampaignHtml(const CampaignView& view) {
  const Campaign& c = view.campaign;
  const int policies = view.latest ? view.latest->policies_size() : 0;
  const std::string attrs = absl::StrCat(" data-campaign=\"", HtmlEscape(c.campaign_id()), "\" data-final=\"",
                                         IsFinal(c.state()) ? 1 : 0, "\" data-policies=\"", policies, "\"");
  std::string body = absl::StrCat("<h1>", HtmlEscape(c.spec().name()), "<small>", HtmlEscape(c.campaign_id()),
                                  " · ", Targets(c.spec()), "</small></h1>", CampaignSummary(view),
                                  "<h2>Policies</h2>", PoliciesTable(view));
  if (view.front) absl::StrAppend(&body, FrontFigure(c, *view.front), FrontTables(*view.front));
  return Page(c.spec().name(), body, attrs, IsFinal(c.state()) ? "" : kCampaignScript);
}

std::string WorkersHtml(const ListWorkersResponse& workers, int64_t now_unix_ms) {
  std::string counts;
  for (const char* state : {"queued", "leased", "done", "failed"}) {
    auto it = workers.jobs().find(state);
    absl::StrAppend(&counts, "<div><span>jobs ", state, "</span><b>", it == workers.jobs().end() ? 0 : it->second,
                    "</b></div>");
  }
  std::string rows;
  for (const WorkerInfo& w : workers.workers()) {
    const double age_s = (now_unix_ms - w.last_heartbeat_unix_ms()) / 1000.0;
    absl::StrAppend(&rows, "<tr><td>", HtmlEscape(w.worker_id()), "</td><td><a href=\"/latency/",
                    UrlEncode(w.device_key()), "\">", HtmlEscape(w.device_key()), "</a></td><td>",
                    HtmlEscape(w.state()), "</td><td class=n>", w.running_jobs(), "</td><td class=n>", w.jobs_done(),
                    "</td><td class=n>", w.jobs_failed(), "</td><td class=n>", Seconds(std::max(0.0, age_s)),
                    " ago</td><td class=muted>", HtmlEscape(w.environment().cpu_model()), "</td></tr>");
  }
  if (rows.empty()) rows = "<tr><td colspan=8 class=muted>No workers registered.</td></tr>";
  return Page("Workers", absl::StrCat("<h1>Workers</h1><div class=card>", counts,
                                      "</div><h2>Workers</h2><table><tr><th>worker</th><th>device key</th>"
                                      "<th>state</th><th class=n>running</th><th class=n>done</th><th class=n>failed</th>"
                                      "<th class=n>last heartbeat</th><th>CPU</th></tr>",
                                      rows, "</table>"));
}

std::string LatencyHtml(const LatencyReportResponse& report) {
  std::string rows;
  for (const ModelReport& m : report.models()) {
    if (!m.error().empty()) {
      absl::StrAppend(&rows, "<tr><td>", HtmlEscape(m.model()), "</td><td colspan=6 class=error>",
                      HtmlEscape(m.error()), "</td></tr>");
      continue;
    }
    absl::StrAppend(&rows, "<tr><td>", HtmlEscape(m.model()), "</td><td class=n>", m.n(), "</td><td class=n>",
                    Num(m.spearman(), 3), "</td><td class=n>", Num(m.kendall(), 3), "</td><td class=n>",
                    Percent(m.mape()), "</td><td class=n>", Percent(m.within_10pct()), "</td><td class=n>", m.failed(),
                    "</td></tr>");
  }
  return Page(absl::StrCat("Latency ", report.device_key()),
              absl::StrCat("<h1>Latency models <small>device key ", HtmlEscape(report.device_key()),
                           "</small></h1><div class=card><div><span>measured architectures</span><b>",
                           report.measurements(), "</b></div><div><span>imported</span><b>", report.imported(),
                           "</b></div><div><span>fitted on</span><b>", report.train(),
                           "</b></div><div><span>scored on (held out)</span><b>", report.held_out(),
                           "</b></div></div><h2>Models on the held-out architectures</h2><table><tr><th>model</th>"
                           "<th class=n>n</th><th class=n>Spearman</th><th class=n>Kendall</th><th class=n>MAPE</th>"
                           "<th class=n>within ±10%</th><th class=n>failed</th></tr>",
                           rows, "</table>"));
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  // Only fails on malformed Any or invalid UTF-8, which the store never holds.
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "null";
  return out;
}

std::string CampaignViewJson(const CampaignView& view) {
  return absl::StrCat("{\"campaign\":", ToJson(view.campaign),
                      ",\"latest\":", view.latest ? ToJson(*view.latest) : "null",
                      ",\"eta_seconds\":", view.eta_seconds < 0 ? "-1" : absl::StrFormat("%.1f", view.eta_seconds),
                      ",\"front\":", view.front ? ToJson(*view.front) : "null", "}");
}

}  // namespace ridge::controller
