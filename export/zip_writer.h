// A minimal ZIP archive writer: stored (uncompressed) entries only, no ZIP64,
// each entry's data aligned to 64 bytes. That is the container PyTorch's
// torch.save uses (PKWARE APPNOTE.TXT 6.3.x, sections 4.3.7 local file header,
// 4.3.12 central directory header, 4.3.16 end of central directory record).
#ifndef RIDGE_EXPORT_ZIP_WRITER_H_
#define RIDGE_EXPORT_ZIP_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ridge::exporter {

class ZipWriter {
 public:
  // Appends an entry. INVALID_ARGUMENT once the archive would pass 4 GiB or
  // 65535 entries, the limits of a ZIP without ZIP64 records.
  absl::Status Add(absl::string_view name, absl::string_view data);
  // The archive: the entries, then the central directory. Call once, last.
  std::string Finish();

 private:
  struct Entry {
    std::string name;
    uint32_t crc = 0, size = 0, offset = 0;
  };
  std::string out_;
  std::vector<Entry> entries_;
};

}  // namespace ridge::exporter

#endif  // RIDGE_EXPORT_ZIP_WRITER_H_
