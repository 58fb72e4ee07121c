// Small RAII helpers over the sqlite3 C API, shared by the store's files:
// status mapping, prepared statements and transactions. Internal to the
// controller's store.
#ifndef RIDGE_CONTROLLER_SQLITE_UTIL_H_
#define RIDGE_CONTROLLER_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ridge::controller {

// Maps sqlite result codes (extended codes are on) to the closest canonical
// code, so callers can tell a retryable lock from a corrupt file.
inline absl::StatusCode CodeFor(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::StatusCode::kFailedPrecondition;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:  // NOT NULL (e.g. a NaN, stored as NULL), CHECK.
      return absl::StatusCode::kInvalidArgument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

// `op: <sqlite's message>`. Must be called right after the failing call,
// before anything else touches the connection.
inline absl::Status SqliteError(sqlite3* db, int rc, absl::string_view op) {
  return absl::Status(CodeFor(rc), absl::StrCat(op, ": ", sqlite3_errmsg(db)));
}

// Runs SQL without parameters or results: fixed schema scripts and control
// statements only, never anything built from values.
inline absl::Status Exec(sqlite3* db, const std::string& sql, absl::string_view op) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db, rc, op);
}

// A prepared statement, finalized when it goes out of scope. The first
// failure (prepare, bind or step) is kept and returned by Step(), so call
// sites read as prepare, bind, step without a check after each line.
class Statement {
 public:
  Statement(sqlite3* db, absl::string_view sql, absl::string_view op) : db_(db), op_(op) {
    Check(sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in the SQL's ?1, ?2, ...
  Statement& BindInt(int i, int64_t v) {
    if (status_.ok()) Check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Statement& BindDouble(int i, double v) {
    if (status_.ok()) Check(sqlite3_bind_double(stmt_, i, v));
    return *this;
  }
  // SQLITE_TRANSIENT copies the bytes, so temporaries are safe to bind. A
  // null data pointer would bind NULL, hence the "" for empty views.
  Statement& BindText(int i, absl::string_view v) {
    if (status_.ok()) {
      Check(sqlite3_bind_text(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                              SQLITE_TRANSIENT));
    }
    return *this;
  }
  Statement& BindBlob(int i, absl::string_view v) {
    if (status_.ok()) {
      Check(sqlite3_bind_blob(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                              SQLITE_TRANSIENT));
    }
    return *this;
  }

  // True when a row is ready to read, false when the statement is done.
  absl::StatusOr<bool> Step() {
    if (!status_.ok()) return status_;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Check(rc);
    return status_;
  }
  // Steps a statement that returns no rows.
  absl::Status Run() { return Step().status(); }
  // Makes the statement ready to run again with new parameters.
  void Reset() {
    if (!status_.ok()) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, col));
  }
  std::string Blob(int col) const {
    // The pointer first, then the size: that is the order sqlite documents.
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, col));
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && status_.ok()) status_ = SqliteError(db_, rc, op_);
  }

  sqlite3* db_;
  std::string op_;
  sqlite3_stmt* stmt_ = nullptr;
  absl::Status status_;
};

// An explicit transaction that rolls back when it goes out of scope without a
// successful Commit(): an early return on error leaves nothing half-applied.
class Transaction {
 public:
  Transaction(sqlite3* db, absl::string_view op) : db_(db), op_(op) {}
  ~Transaction() {
    // A failed COMMIT may or may not have ended the transaction already.
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // IMMEDIATE takes the write lock up front, so a writer waits (busy timeout)
  // at BEGIN instead of failing half-way when upgrading a read lock.
  absl::Status BeginWrite() { return Exec(db_, "BEGIN IMMEDIATE", absl::StrCat(op_, ": begin")); }
  // A read transaction gives its statements one consistent snapshot.
  absl::Status BeginRead() { return Exec(db_, "BEGIN", absl::StrCat(op_, ": begin")); }
  absl::Status Commit() { return Exec(db_, "COMMIT", absl::StrCat(op_, ": commit")); }

 private:
  sqlite3* db_;
  std::string op_;
};

// Parses a stored protobuf blob; DATA_LOSS names `what` if it does not parse.
template <typename Message>
inline absl::Status ParseBlob(const std::string& blob, Message* out, absl::string_view what) {
  if (out->ParseFromString(blob)) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
}

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_SQLITE_UTIL_H_
