// The controller's durable state (docs/design.md §7): one SQLite database
// (database.h) with its migrations, and its two parts, campaigns
// (campaign_store.h) and measurement jobs (job_store.h). Thread-safe.
#ifndef RIDGE_CONTROLLER_STORE_H_
#define RIDGE_CONTROLLER_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controller/campaign_store.h"
#include "controller/database.h"
#include "controller/job_store.h"

namespace ridge::controller {

class Store {
 public:
  // Opens (creating if missing) and migrates the database at `path`; see
  // Database::Open.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path) {
    absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(path);
    if (!database.ok()) return database.status();
    return std::unique_ptr<Store>(new Store(std::move(*database)));
  }

  CampaignStore& campaigns() { return campaigns_; }
  JobStore& jobs() { return jobs_; }
  int schema_version() { return database_->schema_version(); }

 private:
  explicit Store(std::unique_ptr<Database> database)
      : database_(std::move(database)), campaigns_(database_.get()), jobs_(database_.get()) {}

  std::unique_ptr<Database> database_;
  CampaignStore campaigns_;
  JobStore jobs_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_STORE_H_
