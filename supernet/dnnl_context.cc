#include "supernet/dnnl_context.h"

#include <omp.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace ridge::nn {

dnnl::engine& Engine() {
  static auto* engine = [] {
    auto* e = new dnnl::engine(dnnl::engine::kind::cpu, 0);
    Log(Component::kEngine)->debug("oneDNN CPU engine created version={} threads={}", OneDnnVersion(), Threads());
    return e;
  }();
  return *engine;
}

dnnl::stream& Stream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

absl::Status DnnlCall(absl::string_view what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const dnnl::error& e) {
    std::string message = absl::StrCat(what, ": oneDNN error ", e.status, ": ", e.what());
    if (e.status == dnnl_invalid_arguments || e.status == dnnl_unimplemented) {
      return absl::InvalidArgumentError(message);
    }
    return absl::InternalError(message);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what()));
  }
  return absl::OkStatus();
}

void SetThreads(int threads) { omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs()); }

int Threads() { return omp_get_max_threads(); }

std::string OneDnnVersion() {
  const dnnl_version_t* v = dnnl_version();
  return absl::StrCat(v->major, ".", v->minor, ".", v->patch);
}

}  // namespace ridge::nn
