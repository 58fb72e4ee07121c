#include "supernet/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "common/files.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "proto/textproto.h"

namespace ridge::nn {
namespace {

constexpr char kMagic[8] = {'R', 'I', 'D', 'G', 'E', 'C', 'K', 'P'};
constexpr size_t kMaxCheckpointBytes = size_t{4} << 30;

class Writer {
 public:
  void Bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  void U32(uint32_t v) { Bytes(&v, 4); }
  void I64(int64_t v) { Bytes(&v, 8); }
  void Str(const std::string& s) {
    I64(static_cast<int64_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void Floats(const std::string& name, const std::vector<float>& v) {
    Str(name);
    I64(static_cast<int64_t>(v.size()));
    Bytes(v.data(), v.size() * sizeof(float));
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

// Bounds-checked reading: every length is checked against what is left.
class Reader {
 public:
  Reader(const std::string& path, const char* p, size_t n) : path_(path), p_(p), end_(p + n) {}
  absl::Status Bytes(void* out, size_t n, absl::string_view what) {
    if (static_cast<size_t>(end_ - p_) < n) {
      return absl::DataLossError(absl::StrCat(path_, ": truncated while reading ", what));
    }
    if (n == 0) return absl::OkStatus();  // `out` may be null then (an empty vector's data()).
    std::memcpy(out, p_, n);
    p_ += n;
    return absl::OkStatus();
  }
  absl::StatusOr<uint32_t> U32(absl::string_view what) {
    uint32_t v = 0;
    RETURN_IF_ERROR(Bytes(&v, 4, what));
    return v;
  }
  absl::StatusOr<int64_t> I64(absl::string_view what) {
    int64_t v = 0;
    RETURN_IF_ERROR(Bytes(&v, 8, what));
    return v;
  }
  absl::StatusOr<int64_t> Length(absl::string_view what, size_t unit) {
    ASSIGN_OR_RETURN(int64_t n, I64(what));
    if (n < 0 || static_cast<size_t>(n) > static_cast<size_t>(end_ - p_) / unit) {
      return absl::DataLossError(absl::StrCat(path_, ": ", what, " length ", n, " exceeds the file"));
    }
    return n;
  }
  absl::StatusOr<std::string> Str(absl::string_view what) {
    ASSIGN_OR_RETURN(int64_t n, Length(what, 1));
    std::string s(n, '\0');
    RETURN_IF_ERROR(Bytes(s.data(), n, what));
    return s;
  }
  absl::Status Floats(std::map<std::string, std::vector<float>>* out, absl::string_view what) {
    ASSIGN_OR_RETURN(std::string name, Str(what));
    ASSIGN_OR_RETURN(int64_t n, Length(name, sizeof(float)));
    std::vector<float> v(n);
    RETURN_IF_ERROR(Bytes(v.data(), n * sizeof(float), name));
    (*out)[name] = std::move(v);
    return absl::OkStatus();
  }
  bool done() const { return p_ == end_; }

 private:
  std::string path_;
  const char* p_;
  const char* end_;
};

struct Contents {
  CheckpointHeader header;
  std::map<std::string, std::vector<float>> params, state;
};

absl::StatusOr<Contents> Parse(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path, kMaxCheckpointBytes));
  if (bytes.size() < sizeof(kMagic) + 8 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a Ridge checkpoint (bad magic)"));
  }
  uint32_t stored_crc;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  const uint32_t crc = crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4);
  Reader r(path, bytes.data() + sizeof(kMagic), bytes.size() - sizeof(kMagic) - 4);
  ASSIGN_OR_RETURN(uint32_t version, r.U32("version"));
  if (version != kCheckpointVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": checkpoint version ", version, " is not the supported version ", kCheckpointVersion));
  }
  if (crc != stored_crc) {
    return absl::DataLossError(absl::StrCat(path, ": checksum mismatch (the file is corrupt)"));
  }
  Contents c;
  ASSIGN_OR_RETURN(c.header.kind, r.Str("kind"));
  ASSIGN_OR_RETURN(c.header.spec, r.Str("spec"));
  ASSIGN_OR_RETURN(c.header.options, r.Str("options"));
  ASSIGN_OR_RETURN(c.header.step, r.I64("step"));
  ASSIGN_OR_RETURN(c.header.epoch, r.I64("epoch"));
  ASSIGN_OR_RETURN(uint32_t n_params, r.U32("parameter count"));
  for (uint32_t i = 0; i < n_params; ++i) RETURN_IF_ERROR(r.Floats(&c.params, "parameter name"));
  ASSIGN_OR_RETURN(uint32_t n_state, r.U32("state count"));
  for (uint32_t i = 0; i < n_state; ++i) RETURN_IF_ERROR(r.Floats(&c.state, "state name"));
  if (!r.done()) return absl::DataLossError(absl::StrCat(path, ": unexpected bytes after the state"));
  return c;
}

absl::Status Match(const std::string& path, const std::map<std::string, std::vector<float>>& stored,
                   const std::string& name, size_t size, absl::string_view what) {
  auto it = stored.find(name);
  if (it == stored.end()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has no ", what, " '", name, "' (a different network?)"));
  }
  if (it->second.size() != size) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what, " '", name, "' has ", it->second.size(),
                                                   " values; the network expects ", size));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteCheckpoint(const std::string& path, const CheckpointHeader& header, const ParamStore& params,
                             Optimizer* optimizer) {
  Writer w;
  w.Bytes(kMagic, sizeof(kMagic));
  w.U32(kCheckpointVersion);
  w.Str(header.kind);
  w.Str(header.spec);
  w.Str(header.options);
  w.I64(header.step);
  w.I64(header.epoch);
  w.U32(static_cast<uint32_t>(params.params().size()));
  for (const auto& p : params.params()) w.Floats(p->name, p->value);
  auto state = optimizer ? optimizer->State() : decltype(optimizer->State()){};
  w.U32(static_cast<uint32_t>(state.size()));
  for (auto& [name, v] : state) w.Floats(name, *v);
  const uint32_t crc = crc32(0L, reinterpret_cast<const Bytef*>(w.out().data()), w.out().size());
  w.U32(crc);

  return WriteFileAtomically(path, w.out());
}

absl::StatusOr<CheckpointHeader> ReadCheckpointHeader(const std::string& path) {
  ASSIGN_OR_RETURN(Contents c, Parse(path));
  return c.header;
}

absl::StatusOr<CheckpointHeader> ReadCheckpoint(const std::string& path, ParamStore* params, Optimizer* optimizer) {
  ASSIGN_OR_RETURN(Contents c, Parse(path));
  // Verify everything first, then apply: nothing is half-applied.
  for (const auto& p : params->params()) RETURN_IF_ERROR(Match(path, c.params, p->name, p->value.size(), "parameter"));
  if (c.params.size() != params->params().size()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has ", c.params.size(), " parameters; the network has ",
                                                   params->params().size()));
  }
  auto state = optimizer ? optimizer->State() : decltype(optimizer->State()){};
  for (auto& [name, v] : state) RETURN_IF_ERROR(Match(path, c.state, name, v->size(), "optimizer state"));
  for (const auto& p : params->params()) p->value = c.params[p->name];
  for (auto& [name, v] : state) *v = c.state[name];
  return c.header;
}

}  // namespace ridge::nn
