#include "supernet/soft_labels.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "supernet/batcher.h"
#include "supernet/losses.h"

namespace ridge::nn {
namespace {

constexpr char kMagic[8] = {'R', 'I', 'D', 'G', 'E', 'S', 'L', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 4 + 4;

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
T Get(const std::string& in, size_t* at) {
  T v;
  std::memcpy(&v, in.data() + *at, sizeof(v));
  *at += sizeof(v);
  return v;
}

absl::Status Invalid(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// The header's sizes, checked against the file's length.
absl::Status ReadHeader(const std::string& path, const std::string& bytes, SoftLabels* out, int64_t* count) {
  if (bytes.size() < kHeaderBytes + 4 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return Invalid(path, "not a soft-label file (no RIDGESL1 header; write one with `ridge train --save_soft_labels`)");
  }
  size_t at = sizeof(kMagic);
  const uint32_t version = Get<uint32_t>(bytes, &at);
  if (version != kVersion) return Invalid(path, absl::StrCat("version ", version, " is not ", kVersion));
  out->classes = static_cast<int32_t>(Get<uint32_t>(bytes, &at));
  *count = static_cast<int64_t>(Get<uint64_t>(bytes, &at));
  out->temperature = Get<float>(bytes, &at);
  if (out->classes < 2 || out->classes > kMaxSoftLabelClasses) {
    return Invalid(path, absl::StrCat("byte 12: classes ", out->classes, " must be in [2, ", kMaxSoftLabelClasses, "]"));
  }
  if (!(out->temperature > 0 && out->temperature <= 100)) {
    return Invalid(path, absl::StrCat("byte 24: temperature ", out->temperature, " must be in (0, 100]"));
  }
  const int64_t record = 4 + 8 + 4 * int64_t{out->classes};
  if (*count < 1 || *count > kMaxSoftLabelBytes / record ||
      static_cast<int64_t>(bytes.size()) != static_cast<int64_t>(kHeaderBytes) + *count * record + 4) {
    return Invalid(path, absl::StrCat("byte 16: ", *count, " records of ", record, " bytes (", out->classes,
                                      " classes) do not fit the file's ", bytes.size(),
                                      " bytes (truncated or padded)"));
  }
  return absl::OkStatus();
}

// Record i's fields, each checked.
absl::Status ReadRecords(const std::string& path, const std::string& bytes, int64_t count, SoftLabels* out) {
  const int32_t k = out->classes;
  out->labels.resize(count);
  out->pixel_hashes.resize(count);
  out->probs.resize(count * k);
  size_t at = kHeaderBytes;
  for (int64_t i = 0; i < count; ++i) {
    out->labels[i] = Get<int32_t>(bytes, &at);
    out->pixel_hashes[i] = Get<uint64_t>(bytes, &at);
    if (out->labels[i] < 0 || out->labels[i] >= k) {
      return Invalid(path, absl::StrCat("record ", i, ": label ", out->labels[i], " is not in [0, ", k, ")"));
    }
    double sum = 0;
    for (int32_t j = 0; j < k; ++j) {
      const float p = Get<float>(bytes, &at);
      if (!(p >= 0 && p <= 1 + 1e-5)) {  // Float rounding can put a certain class just above 1.
        return Invalid(path, absl::StrCat("record ", i, ": probability ", j, " is ", p, "; must be in [0, 1]"));
      }
      out->probs[i * k + j] = p;
      sum += p;
    }
    if (std::fabs(sum - 1) > 1e-3) {
      return Invalid(path, absl::StrCat("record ", i, ": probabilities sum to ", sum, ", not 1"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t ImageHash(const Split& split, int64_t i) {
  const int64_t px = split.image_bytes();  // Grey images hash as they did before channels existed.
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64 offset basis.
  for (int64_t p = 0; p < px; ++p) {
    h ^= split.pixels[i * px + p];
    h *= 1099511628211ull;
  }
  return h;
}

absl::StatusOr<SoftLabels> ComputeSoftLabels(const ForwardFn& teacher, const Split& split, float temperature) {
  if (!(temperature > 0 && temperature <= 100)) {
    return absl::InvalidArgumentError(absl::StrCat("temperature: ", temperature, " must be in (0, 100]"));
  }
  SoftLabels out;
  out.temperature = temperature;
  constexpr int64_t kBatch = 128;
  std::vector<int64_t> indices(split.count);
  std::iota(indices.begin(), indices.end(), 0);
  Batch batch;
  std::vector<float> probs;
  for (int64_t begin = 0; begin < split.count; begin += kBatch) {
    const int64_t n = std::min(kBatch, split.count - begin);
    FillBatch(split, indices.data() + begin, n, nullptr, &batch);
    ASSIGN_OR_RETURN(const Tensor* logits, teacher(batch.images, {false, 0.0f}));
    out.classes = static_cast<int32_t>(logits->dims().c);
    SoftenedProbabilities(*logits, temperature, &probs);
    out.probs.insert(out.probs.end(), probs.begin(), probs.end());
    for (int64_t i = begin; i < begin + n; ++i) {
      out.labels.push_back(split.labels[i]);
      out.pixel_hashes.push_back(ImageHash(split, i));
    }
  }
  return out;
}

absl::Status WriteSoftLabels(const std::string& path, const SoftLabels& labels) {
  std::string out(kMagic, sizeof(kMagic));
  Put<uint32_t>(&out, kVersion);
  Put<uint32_t>(&out, static_cast<uint32_t>(labels.classes));
  Put<uint64_t>(&out, static_cast<uint64_t>(labels.count()));
  Put<float>(&out, labels.temperature);
  Put<uint32_t>(&out, 0);
  for (int64_t i = 0; i < labels.count(); ++i) {
    Put<int32_t>(&out, labels.labels[i]);
    Put<uint64_t>(&out, labels.pixel_hashes[i]);
    out.append(reinterpret_cast<const char*>(labels.row(i)), sizeof(float) * labels.classes);
  }
  Put<uint32_t>(&out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(out.data()), out.size())));
  return WriteFileAtomically(path, out);
}

absl::StatusOr<SoftLabels> ReadSoftLabels(const std::string& path, const Split& split) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path, kMaxSoftLabelBytes));
  SoftLabels out;
  int64_t count = 0;
  RETURN_IF_ERROR(ReadHeader(path, bytes, &out, &count));
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  if (crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4) != stored) {
    return absl::DataLossError(absl::StrCat(path, ": CRC mismatch (the file is corrupt)"));
  }
  RETURN_IF_ERROR(ReadRecords(path, bytes, count, &out));
  if (count < split.count) {
    return Invalid(path, absl::StrCat("has ", count, " records; the train split has ", split.count, " images"));
  }
  for (int64_t i = 0; i < split.count; ++i) {
    if (out.labels[i] != split.labels[i] || out.pixel_hashes[i] != ImageHash(split, i)) {
      return Invalid(path, absl::StrCat("record ", i, " was made for another image than image ", i,
                                        " of the train split (another dataset, or another split)"));
    }
  }
  return out;
}

}  // namespace ridge::nn
