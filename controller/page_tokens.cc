#include "controller/page_tokens.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "proto/validate.h"

namespace ridge::controller {

absl::StatusOr<PageTokens> PageTokens::Create() {
  std::string key(32, '\0');
  const int fd = open("/dev/urandom", O_RDONLY);
  const bool ok = fd >= 0 && read(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
  if (fd >= 0) close(fd);
  if (!ok) return absl::InternalError("/dev/urandom: cannot read a page-token key");
  return PageTokens(std::move(key));
}

std::string PageTokens::Mac(absl::string_view scope, int64_t position) const {
  const std::string message = absl::StrCat(scope, "\n", position);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < 12 && i < length; ++i) absl::StrAppend(&hex, absl::Hex(digest[i], absl::kZeroPad2));
  return hex;
}

std::string PageTokens::Issue(absl::string_view scope, int64_t position) const {
  return absl::StrCat(position, ".", Mac(scope, position));
}

absl::StatusOr<int64_t> PageTokens::Check(absl::string_view scope, absl::string_view token) const {
  const size_t dot = token.find('.');
  int64_t position = 0;
  if (dot == absl::string_view::npos || !absl::SimpleAtoi(token.substr(0, dot), &position) || position < 0 ||
      absl::StrCat(position) != token.substr(0, dot) || token.substr(dot + 1) != Mac(scope, position)) {
    return absl::InvalidArgumentError(absl::StrCat("page_token: ", Quoted(token),
                                                   " is not a token this server issued for this query"));
  }
  return position;
}

}  // namespace ridge::controller
