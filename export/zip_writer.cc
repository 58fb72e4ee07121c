#include "export/zip_writer.h"

#include <zlib.h>

#include <limits>

#include "absl/strings/str_cat.h"

namespace ridge::exporter {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfCentral = 0x06054b50;
constexpr uint16_t kVersion = 20;      // 2.0: the lowest version that knows directories and stored data.
constexpr uint16_t kDosDate = 0x21;    // 1980-01-01, so the same weights give the same bytes.
constexpr uint16_t kPaddingId = 0x4246;  // Extra field "FB", as torch.save pads with (readers skip it).
constexpr size_t kAlignment = 64;      // torch can map tensor data in place when aligned.

void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v & 0xffff));
  Put16(out, static_cast<uint16_t>(v >> 16));
}

// The fields local and central headers share, from "version needed" to the
// name length (APPNOTE 4.4.3-4.4.10).
void PutCommon(std::string* out, uint32_t crc, uint32_t size, size_t name_size) {
  Put16(out, kVersion);
  Put16(out, 0);  // Flags.
  Put16(out, 0);  // Method: stored.
  Put16(out, 0);  // Time.
  Put16(out, kDosDate);
  Put32(out, crc);
  Put32(out, size);  // Compressed size equals the size: stored.
  Put32(out, size);
  Put16(out, static_cast<uint16_t>(name_size));
}

}  // namespace

absl::Status ZipWriter::Add(absl::string_view name, absl::string_view data) {
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  if (out_.size() + data.size() + name.size() + 2 * kAlignment > kMax || entries_.size() >= 0xffff ||
      name.size() > 0xffff) {
    return absl::InvalidArgumentError(
        absl::StrCat("zip entry '", name, "': the archive would exceed 4 GiB or 65535 entries"));
  }
  Entry e;
  e.name = std::string(name);
  e.size = static_cast<uint32_t>(data.size());
  e.crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data.data()), data.size()));
  e.offset = static_cast<uint32_t>(out_.size());
  Put32(&out_, kLocalHeader);
  PutCommon(&out_, e.crc, e.size, name.size());
  // The padding extra field (4 bytes of header, then zeros) aligns the data.
  const size_t unpadded = out_.size() + 2 + name.size() + 4;
  const size_t pad = (kAlignment - unpadded % kAlignment) % kAlignment;
  Put16(&out_, static_cast<uint16_t>(4 + pad));
  out_.append(name.data(), name.size());
  Put16(&out_, kPaddingId);
  Put16(&out_, static_cast<uint16_t>(pad));
  out_.append(pad, '\0');
  out_.append(data.data(), data.size());
  entries_.push_back(std::move(e));
  return absl::OkStatus();
}

std::string ZipWriter::Finish() {
  std::string& out = out_;
  const uint32_t directory_offset = static_cast<uint32_t>(out.size());
  for (const Entry& e : entries_) {
    Put32(&out, kCentralHeader);
    Put16(&out, kVersion);  // Version made by.
    PutCommon(&out, e.crc, e.size, e.name.size());
    Put16(&out, 0);  // Extra field length.
    Put16(&out, 0);  // Comment length.
    Put16(&out, 0);  // Disk number.
    Put16(&out, 0);  // Internal attributes.
    Put32(&out, 0);  // External attributes.
    Put32(&out, e.offset);
    out.append(e.name);
  }
  const uint32_t directory_size = static_cast<uint32_t>(out.size()) - directory_offset;
  Put32(&out, kEndOfCentral);
  Put16(&out, 0);  // This disk.
  Put16(&out, 0);  // The directory's disk.
  Put16(&out, static_cast<uint16_t>(entries_.size()));
  Put16(&out, static_cast<uint16_t>(entries_.size()));
  Put32(&out, directory_size);
  Put32(&out, directory_offset);
  Put16(&out, 0);  // Comment length.
  return std::move(out_);
}

}  // namespace ridge::exporter
