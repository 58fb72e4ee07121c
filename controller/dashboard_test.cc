#include "controller/dashboard.h"

#include <cmath>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controller/dashboard_pages.h"
#include "gtest/gtest.h"

namespace ridge::controller {
namespace {

constexpr char kClient[] = "client-token-0123456789";
constexpr char kWorker[] = "worker-token-0123456789";
constexpr char kAdmin[] = "admin-token-0123456789ab";
constexpr char kId[] = "c0123456789abcdef";

// Canned answers: the handler's auth and checks are under test, not the store.
class FakeData final : public DashboardData {
 public:
  absl::StatusOr<ListCampaignsResponse> Campaigns(const ListCampaignsRequest&) override {
    ++calls;
    ListCampaignsResponse r;
    Campaign* c = r.add_campaigns();
    c->set_campaign_id(kId);
    c->mutable_spec()->set_name("<script>alert(1)</script>");
    c->set_state(COARSE);
    return r;
  }
  absl::StatusOr<CampaignView> CampaignPage(const std::string& id) override {
    ++calls;
    if (id != kId) return absl::NotFoundError(absl::StrCat("campaign ", id, " not found"));
    CampaignView v;
    v.campaign.set_campaign_id(id);
    v.campaign.set_state(COARSE);
    v.campaign.set_step(40);
    v.campaign.set_total_steps(100);
    ProgressEvent e;
    PolicyResult* p = e.add_policies();
    p->set_hardware("pixel6_cpu");
    p->set_budget_ms(6);
    p->set_latency_ms(7.5);
    e.add_rewards(0.25);
    v.latest = e;
    v.eta_seconds = 90;
    return v;
  }
  absl::StatusOr<ListWorkersResponse> Workers(const ListWorkersRequest&) override {
    ++calls;
    return ListWorkersResponse();
  }
  absl::StatusOr<LatencyReportResponse> LatencyReport(const LatencyReportRequest& r) override {
    ++calls;
    LatencyReportResponse report;
    report.set_device_key(r.device_key());
    return report;
  }
  int calls = 0;
};

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = TokenTable::Parse(
        absl::StrCat("client ", kClient, "\nworker ", kWorker, "\nadmin ", kAdmin, "\n"), "tokens");
    ASSERT_TRUE(table.ok()) << table.status();
    tokens_ = std::make_unique<TokenTable>(*std::move(table));
    handler_ = std::make_unique<DashboardHandler>(&data_, tokens_.get());
  }

  HttpResponse Get(const std::string& path, std::vector<std::pair<std::string, std::string>> params = {},
                   const std::string& token = kClient) {
    HttpRequest r;
    r.path = path;
    r.params = std::move(params);
    if (!token.empty()) r.authorization = absl::StrCat("Bearer ", token);
    return handler_->Handle(r);
  }

  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  FakeData data_;
  std::unique_ptr<TokenTable> tokens_;
  std::unique_ptr<DashboardHandler> handler_;
};

TEST_F(DashboardTest, NoTokenIsRefusedWithoutAskingTheData) {
  HttpResponse r = Get("/", {}, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Header(r, "WWW-Authenticate"), "Bearer realm=\"ridge\"");
  EXPECT_TRUE(absl::StrContains(r.body, "token is required"));
  EXPECT_EQ(data_.calls, 0);
}

TEST_F(DashboardTest, BadOrWrongRoleTokensAreRefused) {
  EXPECT_EQ(Get("/", {}, "not-a-known-token-xyz").status, 401);
  HttpResponse worker = Get("/workers", {}, kWorker);
  EXPECT_EQ(worker.status, 403);
  EXPECT_FALSE(absl::StrContains(worker.body, kWorker));
  EXPECT_EQ(data_.calls, 0);
  EXPECT_EQ(Get("/", {}, kClient).status, 200);
  EXPECT_EQ(Get("/", {}, kAdmin).status, 200);
}

TEST_F(DashboardTest, CookieAuthenticates) {
  HttpRequest r;
  r.path = "/workers";
  r.cookie = absl::StrCat("other=1; ", kTokenCookie, "=", kClient);
  EXPECT_EQ(handler_->Handle(r).status, 200);
  r.cookie = absl::StrCat(kTokenCookie, "=wrong-token-0123456789");
  EXPECT_EQ(handler_->Handle(r).status, 401);
}

TEST_F(DashboardTest, TokenParameterSetsCookieAndRedirectsWithoutIt) {
  HttpResponse r = Get("/campaign/c0123456789abcdef", {{"token", kClient}, {"x", "a b"}}, "");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(Header(r, "Location"), "/campaign/c0123456789abcdef?x=a%20b");
  EXPECT_EQ(Header(r, "Set-Cookie"), absl::StrCat(kTokenCookie, "=", kClient, "; Path=/; HttpOnly; SameSite=Strict"));
  EXPECT_FALSE(absl::StrContains(r.body, kClient));
  EXPECT_EQ(data_.calls, 0);
}

TEST_F(DashboardTest, RedirectNeverLeavesTheHost) {
  HttpResponse r = Get("//evil.example/x", {{"token", kClient}}, "");
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(Header(r, "Location"), "/evil.example/x");
  EXPECT_EQ(Header(Get("/\\evil.example", {{"token", kClient}}, ""), "Location"), "/%5Cevil.example");
}

TEST_F(DashboardTest, BadTokenParameterIsRefusedAndNotEchoed) {
  HttpResponse r = Get("/", {{"token", "guess-0123456789-guess"}}, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(Header(r, "Set-Cookie").empty());
  EXPECT_FALSE(absl::StrContains(r.body, "guess-0123456789-guess"));
}

TEST_F(DashboardTest, CampaignIdIsChecked) {
  HttpResponse bad = Get("/campaign/c01<b>");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(absl::StrContains(bad.body, "campaign_id: &#39;c01&lt;b&gt;&#39;")) << bad.body;
  const std::string long_id(200, 'a');
  HttpResponse too_long = Get(absl::StrCat("/api/campaign/", long_id));
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(too_long.content_type, "application/json");
  EXPECT_TRUE(absl::StrContains(too_long.body, "campaign_id"));
  EXPECT_FALSE(absl::StrContains(too_long.body, std::string(33, 'a')));  // A 32-character prefix at most.
  EXPECT_EQ(data_.calls, 0);
  EXPECT_EQ(Get("/campaign/c0000000000000000").status, 404);
}

TEST_F(DashboardTest, ParametersAreChecked) {
  HttpResponse unknown = Get("/", {{"pagesize", "3"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(absl::StrContains(unknown.body, "pagesize")) << unknown.body;
  EXPECT_EQ(Get("/", {{"page_size", "3"}, {"page_size", "4"}}).status, 400);
  HttpResponse size = Get("/api/campaigns", {{"page_size", "lots"}});
  EXPECT_EQ(size.status, 400);
  EXPECT_TRUE(absl::StrContains(size.body, "page_size: 'lots'"));
  EXPECT_EQ(Get("/workers", {{"device_key", "a/b"}}).status, 400);
  EXPECT_EQ(Get("/latency/zen 2c").status, 400);
  EXPECT_EQ(Get("/latency/zen-2c", {{"held_out_fraction", "2"}}).status, 400);
  EXPECT_EQ(Get("/latency/zen-2c", {{"base_hardware", "nope"}}).status, 400);
  EXPECT_EQ(data_.calls, 0);
  EXPECT_EQ(Get("/latency/zen-2c", {{"held_out_fraction", "0.3"}, {"seed", "7"}}).status, 200);
}

TEST_F(DashboardTest, OnlyGetIsServed) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.authorization = absl::StrCat("Bearer ", kClient);
  HttpResponse post = handler_->Handle(r);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
  EXPECT_EQ(Get("/nope").status, 404);
}

TEST_F(DashboardTest, PagesEscapeStoredTextAndCarryPolicyState) {
  HttpResponse list = Get("/");
  ASSERT_EQ(list.status, 200);
  EXPECT_FALSE(absl::StrContains(list.body, "<script>alert"));
  EXPECT_TRUE(absl::StrContains(list.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_FALSE(Header(list, "Content-Security-Policy").empty());
  HttpResponse page = Get("/campaign/c0123456789abcdef");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(absl::StrContains(page.body, "<b id=step>40</b> / <b id=total>100</b>"));
  EXPECT_TRUE(absl::StrContains(page.body, "1m30s"));
  EXPECT_TRUE(absl::StrContains(page.body, "id=p0-ratio>1.25<"));
  HttpResponse json = Get("/api/campaign/c0123456789abcdef");
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_TRUE(absl::StrContains(json.body, "\"eta_seconds\":90.0")) << json.body;
  EXPECT_TRUE(absl::StrContains(json.body, "\"state\":\"COARSE\""));
}

ProgressEvent Event(CampaignState state, int64_t step, int64_t total, int64_t ms) {
  ProgressEvent e;
  e.set_state(state);
  e.set_step(step);
  e.set_total_steps(total);
  e.set_time_unix_ms(ms);
  return e;
}

TEST(EstimateEtaSecondsTest, RateOfTheCurrentStageOnly) {
  EXPECT_EQ(EstimateEtaSeconds({Event(COARSE, 10, 100, 1000)}), -1);
  // 20 steps in 4 s: the 70 left take 14 s.
  EXPECT_DOUBLE_EQ(EstimateEtaSeconds({Event(COARSE, 10, 100, 1000), Event(COARSE, 20, 100, 3000),
                                       Event(COARSE, 30, 100, 5000)}),
                   14);
  // The fine stage restarts the count: only its own events give the rate.
  EXPECT_DOUBLE_EQ(EstimateEtaSeconds({Event(COARSE, 90, 100, 0), Event(FINE, 10, 50, 100000),
                                       Event(FINE, 20, 50, 102000)}),
                   6);
  EXPECT_EQ(EstimateEtaSeconds({Event(COARSE, 90, 100, 0), Event(EVALUATING, 0, 0, 10)}), -1);
  // A restart: the time before the resumed run's first event does not count.
  ProgressEvent resumed = Event(COARSE, 10, 100, 500000);
  resumed.set_message("resumed from the checkpoint at step 10");
  EXPECT_DOUBLE_EQ(EstimateEtaSeconds({Event(COARSE, 5, 100, 0), resumed, Event(COARSE, 20, 100, 502000)}), 16);
}

TEST(LatencyHtmlTest, AModelScoredOnNothingShowsDashesNotNaN) {
  LatencyReportResponse report;
  report.set_device_key("vm");
  ModelReport& lookup = *report.add_models();
  lookup.set_model("lookup_table");
  lookup.set_spearman(std::nan(""));
  lookup.set_kendall(std::nan(""));
  lookup.set_mape(std::nan(""));
  lookup.set_within_10pct(std::nan(""));
  lookup.set_failed(5);
  const std::string html = LatencyHtml(report);
  EXPECT_FALSE(absl::StrContains(html, "nan")) << html;
  EXPECT_TRUE(absl::StrContains(html, "lookup_table")) << html;
}

TEST(UrlEncodeTest, KeepsOnlyUnreserved) {
  EXPECT_EQ(UrlEncode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
  EXPECT_EQ(UrlEncode("a/b", /*keep_slash=*/true), "a/b");
}

}  // namespace
}  // namespace ridge::controller
