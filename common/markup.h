// Escaping text for XML and HTML: the SVG plots (plots/) and the dashboard's
// pages (controller/) put user-supplied names into markup.
#ifndef RIDGE_COMMON_MARKUP_H_
#define RIDGE_COMMON_MARKUP_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ridge {

// `text` with &, <, >, " and ' replaced by entities (valid in XML and in
// HTML), and the control characters XML 1.0 forbids dropped.
std::string XmlEscape(absl::string_view text);

}  // namespace ridge

#endif  // RIDGE_COMMON_MARKUP_H_
