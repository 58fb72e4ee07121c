// The controller's one SQLite database (docs/design.md §7): the connection,
// its settings and the schema migrations that both the campaign part
// (campaign_store.h) and the job part (job_store.h) of the store live on.
// WAL mode with synchronous=FULL: a write that returns OK has committed, so
// whatever the caller acknowledges next survives a crash. Migrations run in
// order at Open, each in its own transaction, and `PRAGMA user_version`
// records the last. One connection, serialised by mu().
#ifndef RIDGE_CONTROLLER_DATABASE_H_
#define RIDGE_CONTROLLER_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

struct sqlite3;

namespace ridge::controller {

class Database {
 public:
  // Opens (creating if missing) the database file at `path` and migrates it
  // to the latest schema. FAILED_PRECONDITION if the file's schema is newer
  // than this binary knows. ":memory:" gives a private in-memory database.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();

  // The schema version in effect, or -1 if it cannot be read.
  int schema_version();

  // The connection and the lock every use of it must hold.
  sqlite3* handle() { return db_; }
  absl::Mutex& mu() { return mu_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  absl::Status Migrate();

  absl::Mutex mu_;
  sqlite3* db_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_DATABASE_H_
