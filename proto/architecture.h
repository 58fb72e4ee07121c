// The canonical text encoding of an Architecture and its stable ID.
//
// The encoding is one line in the notation of docs/design.md §12, e.g.
//   v1 224x224x3 classes=1000 act=relu ls=0 : conv(3,2,32) uib(0,3,1,96,4) mqa(4,64,2) pool conv(1,1,1280) fc
// It covers everything that changes the network and nothing else (not the
// name), so two architectures with equal encodings are the same network.
#ifndef RIDGE_PROTO_ARCHITECTURE_H_
#define RIDGE_PROTO_ARCHITECTURE_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "proto/architecture.pb.h"

namespace ridge {

// The canonical one-line encoding. REQUIRES: `arch` passes ValidateArchitecture.
std::string CanonicalEncoding(const Architecture& arch);

// One block in the encoding's notation, e.g. "uib(3,5,2,80,4)".
std::string BlockToken(const Block& block);

// Parses an encoding back. INVALID_ARGUMENT names the bad token on error.
// The result is validated; its name is empty.
absl::StatusOr<Architecture> ParseCanonicalEncoding(absl::string_view text);

// A stable ID: 16 hex digits of FNV-1a 64 over the canonical encoding. It is
// the same on every machine and in every build, so it can key stored results.
std::string ArchitectureId(const Architecture& arch);

// FNV-1a, 64 bits (Fowler, Noll, Vo); exposed for tests.
uint64_t Fnv1a64(absl::string_view bytes);

// Lower-case activation name used by the encoding and the CLI, e.g. "relu6".
std::string ActivationName(Activation activation);

}  // namespace ridge

#endif  // RIDGE_PROTO_ARCHITECTURE_H_
