// Page tokens the controller hands out: opaque and checked. A token carries a
// position (a row or an offset) and what it pages (campaigns, one campaign's
// front with its filters), signed with HMAC-SHA-256 under a key made when the
// controller starts. A token that was not issued by this controller process
// for the same query is refused with INVALID_ARGUMENT, so a client can neither
// forge positions nor carry a token over to another query. After a restart,
// old tokens are refused and paging starts again.
#ifndef RIDGE_CONTROLLER_PAGE_TOKENS_H_
#define RIDGE_CONTROLLER_PAGE_TOKENS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ridge::controller {

class PageTokens {
 public:
  // A fresh random key; INTERNAL if the kernel's random source fails.
  static absl::StatusOr<PageTokens> Create();
  // A fixed key, for tests.
  explicit PageTokens(std::string key) : key_(std::move(key)) {}

  // The token for `position` in the listing `scope` names.
  std::string Issue(absl::string_view scope, int64_t position) const;
  // The position in `token`, if this object issued it for `scope`.
  absl::StatusOr<int64_t> Check(absl::string_view scope, absl::string_view token) const;

 private:
  std::string Mac(absl::string_view scope, int64_t position) const;
  std::string key_;
};

}  // namespace ridge::controller

#endif  // RIDGE_CONTROLLER_PAGE_TOKENS_H_
