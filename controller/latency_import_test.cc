// Importing latencies measured elsewhere: validation at the edge (each error
// names the row and the rule), all or nothing, and idempotence.
#include "controller/latency_import.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "controller/requests.h"
#include "controller/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <sqlite3.h>
#include "zoo/zoo.h"

namespace ridge::controller {
namespace {

using ::testing::HasSubstr;

class LatencyImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
    store_ = *Store::Open(path_);
  }
  // Rows 1..n: the zoo's models, each with its own latency.
  static ImportLatenciesRequest Request(int n) {
    ImportLatenciesRequest r;
    r.set_device_key("phone");
    r.set_source("phone.csv");
    const std::vector<std::string> names = ZooModelNames();
    for (int i = 0; i < n; ++i) {
      ImportedLatency* m = r.add_measurements();
      *m->mutable_architecture() = *LoadZooModel(names[i % names.size()]);
      m->set_latency_ms(1.5 + i);
      m->set_runtime("tflite");
      m->set_threads(4);
      m->set_precision("fp32");
      m->set_repeats(50);
      m->set_row(i + 1);
    }
    return r;
  }
  // As the service does: validate, then store.
  absl::StatusOr<ImportLatenciesResponse> Import(const ImportLatenciesRequest& r) {
    absl::Status valid = Validate(r);
    if (!valid.ok()) return valid;
    return ImportLatencies(&store_->jobs(), r, /*now_ms=*/1000);
  }
  size_t Stored() { return store_->jobs().Measurements("phone")->size(); }

  // Rows of `table`, read over a connection of the test's own.
  int64_t Count(const std::string& table) {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, ("SELECT COUNT(*) FROM " + table).c_str(), -1, &st, nullptr);
    sqlite3_step(st);
    const int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
  void Execute(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(LatencyImportTest, StoresEveryRowMarkedAsImported) {
  absl::StatusOr<ImportLatenciesResponse> r = Import(Request(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->received(), 5);
  EXPECT_EQ(r->stored(), 5);
  EXPECT_EQ(r->already_present(), 0);
  EXPECT_EQ(r->total(), 5);
  auto stored = *store_->jobs().Measurements("phone");
  ASSERT_EQ(stored.size(), 5u);
  EXPECT_EQ(stored[2].second.median_ms(), 3.5);
  EXPECT_EQ(stored[2].second.imported_from(), "phone.csv");
  EXPECT_EQ(stored[2].second.environment().runtime(), "tflite");
  EXPECT_EQ(stored[2].second.protocol().threads(), 4);
  // Imported rows are not jobs anyone ran: the queue's counts leave them out.
  EXPECT_TRUE(store_->jobs().JobCounts("phone")->empty());
}

TEST_F(LatencyImportTest, TheSameFileTwiceStoresNothingNew) {
  ASSERT_TRUE(Import(Request(4)).ok());
  absl::StatusOr<ImportLatenciesResponse> again = Import(Request(4));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->stored(), 0);
  EXPECT_EQ(again->already_present(), 4);
  EXPECT_EQ(again->total(), 4);
  // A longer file: only its new rows are stored.
  EXPECT_EQ(Import(Request(6))->stored(), 2);
  EXPECT_EQ(Stored(), 6u);
  // The same architecture at another latency is another measurement.
  ImportLatenciesRequest other = Request(1);
  other.mutable_measurements(0)->set_latency_ms(9);
  EXPECT_EQ(Import(other)->stored(), 1);
}

TEST_F(LatencyImportTest, ABadRowStoresNothingAndNamesItsRow) {
  ImportLatenciesRequest r = Request(6);
  r.mutable_measurements(4)->set_latency_ms(-2);
  absl::StatusOr<ImportLatenciesResponse> got = Import(r);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), "measurements[4] (row 5).latency_ms: -2 must be in (0, 1e7]");
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(LatencyImportTest, AFailureHalfwayStoresNothing) {
  const ImportLatenciesRequest r = Request(5);
  // A stray measurement row under the ID the third row will take: its insert
  // fails after two rows went in, and the transaction must take them back.
  Execute("INSERT INTO measurements (job_id, device_key, arch_id, median_ms, measurement, time_ms) VALUES ('" +
          ImportedJobId("phone", r.measurements(2)) + "', 'phone', 'x', 1, x'', 0)");
  absl::StatusOr<ImportLatenciesResponse> got = Import(r);
  EXPECT_FALSE(got.ok());
  EXPECT_EQ(Count("jobs"), 0);
  EXPECT_EQ(Count("measurements"), 1);
  Execute("DELETE FROM measurements");
  EXPECT_EQ(Import(r)->stored(), 5);
  EXPECT_EQ(Count("jobs"), 5);
}

TEST_F(LatencyImportTest, RefusesEachBadField) {
  struct Case {
    std::function<void(ImportLatenciesRequest*)> spoil;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto* r) { r->mutable_measurements(1)->set_precision("fp64"); },
       "measurements[1] (row 2).precision: 'fp64' is not a precision (fp32, fp16, bf16, int8)"},
      {[](auto* r) { r->mutable_measurements(0)->set_runtime("TFLite 2"); },
       "measurements[0] (row 1).runtime: 'TFLite 2' may hold only a-z, 0-9, _ . -"},
      {[](auto* r) { r->mutable_measurements(0)->set_threads(5000); },
       "measurements[0] (row 1).threads: 5000 must be in [0, 1024]"},
      {[](auto* r) { r->mutable_measurements(0)->set_latency_ms(std::nan("")); },
       "measurements[0] (row 1).latency_ms: nan must be in (0, 1e7]"},
      {[](auto* r) { r->mutable_measurements(0)->mutable_architecture()->clear_blocks(); },
       "measurements[0] (row 1).architecture"},
      {[](auto* r) { r->clear_measurements(); }, "measurements: empty; give at least one"},
      {[](auto* r) { r->set_device_key("bad key!"); }, "device_key"},
      {[](auto* r) { r->set_source(std::string(300, 's')); }, "source: 'ssss"},
  };
  for (const Case& c : cases) {
    ImportLatenciesRequest r = Request(2);
    c.spoil(&r);
    absl::Status s = Validate(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message));
  }
  ImportLatenciesRequest big = Request(1);
  for (int i = 0; i < kMaxImportedLatencies; ++i) *big.add_measurements() = big.measurements(0);
  EXPECT_EQ(Validate(big).message(), "measurements: 5001 measurements; at most 5000 per import");
}

}  // namespace
}  // namespace ridge::controller
