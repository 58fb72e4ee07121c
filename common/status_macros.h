// Small helpers for absl::Status propagation, shared by every Ridge library.
#ifndef RIDGE_COMMON_STATUS_MACROS_H_
#define RIDGE_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define RIDGE_CONCAT_INNER_(a, b) a##b
#define RIDGE_CONCAT_(a, b) RIDGE_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    ::absl::Status ridge_status_ = (expr);                      \
    if (!ridge_status_.ok()) return ridge_status_;              \
  } while (0)

// `lhs = value of expr`, or returns its error. `expr` is an absl::StatusOr<T>.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(RIDGE_CONCAT_(ridge_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

namespace ridge {

// Returns `status` with `context: ` prepended to its message; OK stays OK.
// Used on the way up so each level names what it was doing.
// (Overload below: the same for a StatusOr, keeping its value when OK.)
inline absl::Status WithContext(const absl::Status& status,
                                absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> result, absl::string_view context) {
  if (result.ok()) return result;
  return WithContext(result.status(), context);
}

}  // namespace ridge

#endif  // RIDGE_COMMON_STATUS_MACROS_H_
