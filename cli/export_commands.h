// `ridge front export ID --arch_id=A --format=...`: one front member,
// exported like `ridge export` (export_commands.cc), with the weights its
// campaign retrained when there are any.
#ifndef RIDGE_CLI_EXPORT_COMMANDS_H_
#define RIDGE_CLI_EXPORT_COMMANDS_H_

#include <string>

#include "absl/status/status.h"

namespace ridge::cli {

// Exports `arch_id` of campaign `campaign_id` in --format to --out. With
// --weights=auto (the default) it takes the campaign's retrained weights
// (at the proxy shape they were trained at) when the campaign has them, and
// otherwise the architecture at the deployment shape with seeded weights;
// --weights=retrained insists on the former, --weights=none asks for the latter.
absl::Status ExportFrontMember(const std::string& campaign_id, const std::string& arch_id, std::string* out);

}  // namespace ridge::cli

#endif  // RIDGE_CLI_EXPORT_COMMANDS_H_
