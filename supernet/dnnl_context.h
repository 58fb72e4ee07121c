// The oneDNN CPU engine and streams, and the one place where dnnl::error
// becomes absl::Status (no exception crosses a module line).
#ifndef RIDGE_SUPERNET_DNNL_CONTEXT_H_
#define RIDGE_SUPERNET_DNNL_CONTEXT_H_

#include <dnnl.hpp>

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ridge::nn {

// The process's CPU engine; oneDNN engines are thread-safe.
dnnl::engine& Engine();
// The calling thread's stream. Each thread that runs primitives (a
// campaign's runner, a worker's measuring thread, a test) gets its own, so
// concurrent campaigns and `ridge up`'s worker never share one; oneDNN's
// OpenMP threads do the parallel work within a stream.
dnnl::stream& Stream();

// Runs `fn`; a dnnl::error (or std::exception) becomes INTERNAL (or
// INVALID_ARGUMENT for oneDNN's invalid_arguments / unimplemented), prefixed
// with `what`.
absl::Status DnnlCall(absl::string_view what, const std::function<void()>& fn);

// Sets the number of OpenMP threads oneDNN uses; 0 means all cores.
void SetThreads(int threads);
int Threads();

// "2.6.3" and the CPU ISA oneDNN dispatches to, e.g. "avx2".
std::string OneDnnVersion();

}  // namespace ridge::nn

#endif  // RIDGE_SUPERNET_DNNL_CONTEXT_H_
