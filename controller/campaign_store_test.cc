// The campaign part of the store, and opening and migrating the database
// it shares with the job part.
#include "controller/store.h"

#include <sqlite3.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ridge::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A path in the test's temporary directory, with any database (and its WAL
// files) from an earlier run removed.
std::string FreshPath(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return path;
}

std::unique_ptr<Store> OpenOrDie(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Runs one statement on the file directly, behind the Store's back, and
// returns the first column of its first row (if any) as text.
std::string RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

Campaign MakeCampaign(const std::string& id, int64_t created_unix, CampaignState state = PENDING) {
  Campaign c;
  c.set_campaign_id(id);
  c.mutable_spec()->set_name("spec of " + id);
  c.mutable_spec()->add_targets()->add_budget_ms(5.0);
  c.set_state(state);
  c.set_total_steps(1000);
  c.set_created_unix(created_unix);
  return c;
}

ParetoPoint Point(const std::string& hardware, const std::string& arch_id, double accuracy,
                  double latency_ms) {
  ParetoPoint p;
  p.set_hardware(hardware);
  p.set_arch_id(arch_id);
  p.set_proxy_accuracy(accuracy);
  p.set_predicted_latency_ms(latency_ms);
  p.set_latency_model("roofline:" + hardware);
  return p;
}

std::vector<std::string> Ids(const std::vector<Campaign>& campaigns) {
  std::vector<std::string> ids;
  for (const Campaign& c : campaigns) ids.push_back(c.campaign_id());
  return ids;
}

std::vector<std::string> ArchIds(const std::vector<ParetoPoint>& points) {
  std::vector<std::string> ids;
  for (const ParetoPoint& p : points) ids.push_back(p.arch_id());
  return ids;
}

TEST(StoreOpen, MigratesInWalModeAndReopensWithTheSameVersionAndData) {
  const std::string path = FreshPath("migrate.db");
  int version;
  {
    std::unique_ptr<Store> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    version = store->schema_version();
    EXPECT_GE(version, 1);
    ASSERT_TRUE(store->campaigns().InsertCampaign(MakeCampaign("c1", 100)).ok());
  }
  EXPECT_EQ(RawSql(path, "PRAGMA journal_mode"), "wal");  // WAL mode persists in the file.
  EXPECT_EQ(RawSql(path, "PRAGMA user_version"), std::to_string(version));
  // Reopening must not run any migration again (CREATE TABLE would fail).
  std::unique_ptr<Store> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), version);
  absl::StatusOr<Campaign> c1 = store->campaigns().GetCampaign("c1");
  ASSERT_TRUE(c1.ok()) << c1.status();
  EXPECT_EQ(c1->spec().name(), "spec of c1");
}

TEST(StoreOpen, RefusesADatabaseFromANewerBinary) {
  const std::string path = FreshPath("newer.db");
  int version = OpenOrDie(path)->schema_version();
  RawSql(path, "PRAGMA user_version = " + std::to_string(version + 1));
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("version " + std::to_string(version + 1)));
  EXPECT_THAT(store.status().message(), HasSubstr("version " + std::to_string(version)));
}

TEST(StoreOpen, NamesAPathItCannotOpen) {
  const std::string path = FreshPath("no/such/dir/store.db");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(path));
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = FreshPath(std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                      ".db");
    store_ = OpenOrDie(path_);
    ASSERT_NE(store_, nullptr);
  }
  void Reopen() {
    store_.reset();
    store_ = OpenOrDie(path_);
    ASSERT_NE(store_, nullptr);
  }

  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, InsertsAndGetsCampaigns) {
  Campaign c = MakeCampaign("c1", 100);
  c.add_results()->set_hardware("cpu");
  ASSERT_TRUE(store_->campaigns().InsertCampaign(c).ok());
  absl::StatusOr<Campaign> got = store_->campaigns().GetCampaign("c1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->DebugString(), c.DebugString());

  // An unset spec stays unset.
  Campaign bare;
  bare.set_campaign_id("bare");
  ASSERT_TRUE(store_->campaigns().InsertCampaign(bare).ok());
  EXPECT_FALSE(store_->campaigns().GetCampaign("bare")->has_spec());

  absl::Status again = store_->campaigns().InsertCampaign(MakeCampaign("c1", 200));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.message(), HasSubstr("'c1'"));
  EXPECT_EQ(store_->campaigns().GetCampaign("c1")->created_unix(), 100);  // Untouched.

  EXPECT_EQ(store_->campaigns().GetCampaign("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->campaigns().InsertCampaign(Campaign()).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, ListsCampaignsNewestFirstInPages) {
  // c2 and c3 share a creation time: the later insert counts as newer.
  const int64_t created[] = {100, 101, 102, 102, 103};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("c" + std::to_string(i), created[i])).ok());
  }
  std::vector<std::vector<std::string>> pages;
  std::string token;
  do {
    std::string next;
    absl::StatusOr<std::vector<Campaign>> page = store_->campaigns().ListCampaigns(2, token, &next);
    ASSERT_TRUE(page.ok()) << page.status();
    pages.push_back(Ids(*page));
    token = next;
    ASSERT_LE(pages.size(), 3u);
  } while (!token.empty());
  EXPECT_THAT(pages,
              ElementsAre(ElementsAre("c4", "c3"), ElementsAre("c2", "c1"), ElementsAre("c0")));

  // Page size 0 means the default (100); exactly one page here.
  std::string next = "stale";
  EXPECT_EQ(store_->campaigns().ListCampaigns(0, "", &next)->size(), 5u);
  EXPECT_EQ(next, "");

  for (std::string bad : {"xyz", "-1", "0", "12abc", "999999"}) {
    absl::Status s = store_->campaigns().ListCampaigns(2, bad, &next).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message(), "page_token: '" + bad + "' is not a token this server issued");
  }
}

TEST_F(StoreTest, UpdatesProgressAndResults) {
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("c1", 100)).ok());
  ASSERT_TRUE(store_->campaigns().UpdateProgress("c1", FAILED, 40, 500, "out of memory").ok());
  Campaign c = *store_->campaigns().GetCampaign("c1");
  EXPECT_EQ(c.state(), FAILED);
  EXPECT_EQ(c.step(), 40);
  EXPECT_EQ(c.total_steps(), 500);
  EXPECT_EQ(c.error(), "out of memory");
  EXPECT_EQ(c.spec().name(), "spec of c1");  // Not touched by the update.

  PolicyResult a, b;
  a.set_hardware("cpu");
  b.set_hardware("gpu");
  b.set_budget_ms(2.5);
  ASSERT_TRUE(store_->campaigns().SetResults("c1", {a, b}).ok());
  ASSERT_EQ(store_->campaigns().GetCampaign("c1")->results_size(), 2);
  EXPECT_EQ(store_->campaigns().GetCampaign("c1")->results(1).budget_ms(), 2.5);
  ASSERT_TRUE(store_->campaigns().SetResults("c1", {b}).ok());  // Replaces, not appends.
  EXPECT_EQ(store_->campaigns().GetCampaign("c1")->results_size(), 1);

  EXPECT_EQ(store_->campaigns().UpdateProgress("nope", DONE, 1, 1, "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->campaigns().SetResults("nope", {}).code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, UnfinishedCampaignsExcludeFinalStatesOldestFirst) {
  const CampaignState states[] = {DONE, COARSE, FAILED, PENDING, CANCELLED, MEASURING};
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        store_->campaigns().InsertCampaign(MakeCampaign("c" + std::to_string(i), 200 - i, states[i])).ok());
  }
  absl::StatusOr<std::vector<Campaign>> unfinished = store_->campaigns().UnfinishedCampaigns();
  ASSERT_TRUE(unfinished.ok()) << unfinished.status();
  EXPECT_THAT(Ids(*unfinished), ElementsAre("c5", "c3", "c1"));
}

TEST_F(StoreTest, NumbersEventsPerCampaign) {
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("a", 1)).ok());
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("b", 2)).ok());
  ProgressEvent e;
  std::vector<int64_t> seqs;
  for (const char* id : {"a", "a", "b", "a", "b"}) {
    e.set_campaign_id(id);
    e.set_step(e.step() + 1);
    absl::StatusOr<int64_t> seq = store_->campaigns().AppendEvent(e);
    ASSERT_TRUE(seq.ok()) << seq.status();
    seqs.push_back(*seq);
  }
  EXPECT_THAT(seqs, ElementsAre(1, 2, 1, 3, 2));

  auto events = store_->campaigns().EventsAfter("a", 1, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].first, 2);
  EXPECT_EQ((*events)[0].second.step(), 2);
  EXPECT_EQ((*events)[1].first, 3);
  EXPECT_EQ((*events)[1].second.step(), 4);
  EXPECT_EQ(store_->campaigns().EventsAfter("a", 0, 1)->size(), 1u);   // Limited.
  EXPECT_EQ(store_->campaigns().EventsAfter("a", 0, 0)->size(), 3u);   // 0: no limit.
  EXPECT_EQ(store_->campaigns().EventsAfter("a", 3, 10)->size(), 0u);  // Caught up.

  e.set_campaign_id("nope");
  EXPECT_EQ(store_->campaigns().AppendEvent(e).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ConcurrentAppendsGetDistinctConsecutiveSeqs) {
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("a", 1)).ok());
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::vector<int64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ProgressEvent e;
      e.set_campaign_id("a");
      for (int i = 0; i < kEach; ++i) got[t].push_back(store_->campaigns().AppendEvent(e).value_or(-1));
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kEach);
}

TEST_F(StoreTest, ReplacesFrontAtomicallyAndQueriesIt) {
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("c1", 1)).ok());
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("other", 2)).ok());
  ASSERT_TRUE(store_->campaigns().ReplaceFront("other", {Point("cpu", "x", 0.5, 1)}, {{"cpu", 9}}).ok());
  ASSERT_TRUE(store_->campaigns().ReplaceFront("c1", {Point("cpu", "old", 0.5, 1)}, {{"tpu", 1}}).ok());
  const std::vector<ParetoPoint> front = {
      Point("gpu", "g2", 0.80, 2.0), Point("cpu", "c3", 0.90, 9.0), Point("cpu", "c1", 0.70, 3.0),
      Point("gpu", "g1", 0.60, 1.0), Point("cpu", "c2", 0.85, 5.0),
  };
  ASSERT_TRUE(store_->campaigns().ReplaceFront("c1", front, {{"cpu", 0.5}, {"gpu", 0.25}}).ok());

  int64_t total = -1;
  auto query = [&](const FrontQuery& q) {
    absl::StatusOr<std::vector<ParetoPoint>> points = store_->campaigns().QueryFront("c1", q, &total);
    EXPECT_TRUE(points.ok()) << points.status();
    return points.ok() ? ArchIds(*points) : std::vector<std::string>{};
  };
  // Everything, by hardware then latency; the old point is gone.
  EXPECT_THAT(query({}), ElementsAre("c1", "c2", "c3", "g1", "g2"));
  EXPECT_EQ(total, 5);
  FrontQuery q;
  q.hardware = "gpu";
  EXPECT_THAT(query(q), ElementsAre("g1", "g2"));
  EXPECT_EQ(total, 2);
  q = {};
  q.min_latency_ms = 2.0;  // Inclusive bounds.
  q.max_latency_ms = 5.0;
  EXPECT_THAT(query(q), ElementsAre("c1", "c2", "g2"));
  q = {};
  q.min_accuracy = 0.80;
  EXPECT_THAT(query(q), ElementsAre("c2", "c3", "g2"));
  q.max_accuracy = 0.85;
  EXPECT_THAT(query(q), ElementsAre("c2", "g2"));
  q = {};
  q.offset = 1;
  q.limit = 2;
  EXPECT_THAT(query(q), ElementsAre("c2", "c3"));
  EXPECT_EQ(total, 5);  // Counts before offset and limit.
  q.offset = 4;
  EXPECT_THAT(query(q), ElementsAre("g2"));
  q.offset = 10;
  EXPECT_THAT(query(q), ElementsAre());
  EXPECT_EQ(total, 5);

  // The blob keeps fields that have no column.
  q = {};
  q.limit = 1;
  EXPECT_EQ(store_->campaigns().QueryFront("c1", q, &total)->at(0).latency_model(), "roofline:cpu");

  std::map<std::string, double> volumes = *store_->campaigns().Hypervolumes("c1");
  EXPECT_EQ(volumes, (std::map<std::string, double>{{"cpu", 0.5}, {"gpu", 0.25}}));
  EXPECT_EQ(store_->campaigns().Hypervolumes("other")->at("cpu"), 9);  // Other campaigns untouched.

  // A point that cannot be stored (NaN accuracy) fails the whole replacement:
  // the old front and hypervolumes stay.
  absl::Status bad = store_->campaigns().ReplaceFront(
      "c1", {Point("cpu", "new", 0.9, 1), Point("cpu", "nan", std::nan(""), 2)}, {{"cpu", 7}});
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.message(), HasSubstr("ReplaceFront"));
  EXPECT_THAT(query({}), ElementsAre("c1", "c2", "c3", "g1", "g2"));
  EXPECT_EQ(store_->campaigns().Hypervolumes("c1")->at("cpu"), 0.5);

  EXPECT_EQ(store_->campaigns().ReplaceFront("nope", {}, {}).code(), absl::StatusCode::kNotFound);
  q = {};
  q.limit = -1;
  EXPECT_EQ(store_->campaigns().QueryFront("c1", q, &total).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, RecordsTheLatestCheckpoint) {
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("c1", 1)).ok());
  absl::StatusOr<std::optional<CheckpointRecord>> none = store_->campaigns().LatestCheckpoint("c1");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store_->campaigns().RecordCheckpoint("c1", {"/ckpt/c1-100", "coarse", 100, 1000}).ok());
  ASSERT_TRUE(store_->campaigns().RecordCheckpoint("c1", {"/ckpt/c1-200", "fine", 200, 2000}).ok());
  std::optional<CheckpointRecord> latest = *store_->campaigns().LatestCheckpoint("c1");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->path, "/ckpt/c1-200");
  EXPECT_EQ(latest->stage, "fine");
  EXPECT_EQ(latest->step, 200);
  EXPECT_EQ(latest->time_unix_ms, 2000);

  EXPECT_EQ(store_->campaigns().RecordCheckpoint("nope", {"/x", "fine", 1, 1}).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, FindsOneFrontPointByArchitecture) {
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("c1", 1)).ok());
  ASSERT_TRUE(store_->campaigns()
                  .ReplaceFront("c1", {Point("tpu", "a", 0.9, 3), Point("cpu", "a", 0.9, 5), Point("cpu", "b", 0.8, 1)},
                                {})
                  .ok());
  absl::StatusOr<ParetoPoint> a = store_->campaigns().FrontPoint("c1", "a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->hardware(), "cpu");  // The first by hardware, then latency.
  absl::StatusOr<ParetoPoint> missing = store_->campaigns().FrontPoint("c1", "zzz");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "arch_id: 'zzz' is on no front of campaign c1");
}

TEST_F(StoreTest, EverythingSurvivesReopening) {
  ASSERT_TRUE(store_->campaigns().InsertCampaign(MakeCampaign("c1", 1)).ok());
  ASSERT_TRUE(store_->campaigns().UpdateProgress("c1", FINE, 7, 70, "").ok());
  ProgressEvent e;
  e.set_campaign_id("c1");
  e.set_message("hello");
  ASSERT_TRUE(store_->campaigns().AppendEvent(e).ok());
  ASSERT_TRUE(store_->campaigns().ReplaceFront("c1", {Point("cpu", "a", 0.9, 1)}, {{"cpu", 0.3}}).ok());
  ASSERT_TRUE(store_->campaigns().RecordCheckpoint("c1", {"/ckpt", "fine", 7, 70}).ok());

  Reopen();
  Campaign c = *store_->campaigns().GetCampaign("c1");
  EXPECT_EQ(c.state(), FINE);
  EXPECT_EQ(c.step(), 7);
  auto events = *store_->campaigns().EventsAfter("c1", 0, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].second.message(), "hello");
  EXPECT_EQ(*store_->campaigns().AppendEvent(e), 2);  // Numbering continues.
  int64_t total = 0;
  EXPECT_THAT(ArchIds(*store_->campaigns().QueryFront("c1", {}, &total)), ElementsAre("a"));
  EXPECT_EQ(store_->campaigns().Hypervolumes("c1")->at("cpu"), 0.3);
  EXPECT_EQ((*store_->campaigns().LatestCheckpoint("c1"))->path, "/ckpt");
}

}  // namespace
}  // namespace ridge::controller
