// Image-folder datasets: dir/<class>/*.png|*.jpg|*.jpeg.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "supernet/data_formats.h"
#include "supernet/image_decode.h"

namespace ridge::nn {
namespace {

namespace fs = std::filesystem;

struct ImageFile {
  std::string path;
  int32_t label;
};

bool IsImageName(const std::string& name) {
  const std::string ext = absl::AsciiStrToLower(fs::path(name).extension().string());
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// The sorted names of `dir`'s entries that are directories (`want_dirs`) or
// image files, skipping hidden ones. Errors name `dir`.
absl::StatusOr<std::vector<std::string>> ListEntries(const std::string& dir, bool want_dirs,
                                                     int64_t limit) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec)
    return absl::NotFoundError(absl::StrCat(dir, ": cannot open the directory: ", ec.message()));
  std::vector<std::string> names;
  for (; it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    const bool keep =
        want_dirs ? it->is_directory(ec) : it->is_regular_file(ec) && IsImageName(name);
    if (!keep) continue;
    if (static_cast<int64_t>(names.size()) >= limit) {
      return absl::InvalidArgumentError(absl::StrCat(
          dir, ": more than ", limit, want_dirs ? " class folders" : " images", ", the limit"));
    }
    names.push_back(name);
  }
  if (ec) return absl::DataLossError(absl::StrCat(dir, ": listing failed: ", ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

// Every image of every class folder, classes by their sorted names.
absl::StatusOr<std::vector<ImageFile>> ListImages(const std::string& dir,
                                                  std::vector<std::string>* classes) {
  ASSIGN_OR_RETURN(*classes, ListEntries(dir, /*want_dirs=*/true, kMaxDatasetClasses));
  if (classes->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        dir, ": no class folders; an image folder holds dir/<class>/*.png|*.jpg|*.jpeg"));
  }
  std::vector<ImageFile> files;
  for (size_t label = 0; label < classes->size(); ++label) {
    const std::string class_dir = absl::StrCat(dir, "/", (*classes)[label]);
    ASSIGN_OR_RETURN(std::vector<std::string> names,
                     ListEntries(class_dir, /*want_dirs=*/false, kMaxImageFiles - files.size()));
    if (names.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(class_dir, ": empty class folder: no .png, .jpg or .jpeg files"));
    }
    for (std::string& name : names) {
      files.push_back({absl::StrCat(class_dir, "/", name), static_cast<int32_t>(label)});
    }
  }
  return files;
}

absl::Status CheckTarget(const DatasetOptions& o) {
  if (o.height < 1 || o.height > kMaxImageSide || o.width < 1 || o.width > kMaxImageSide) {
    return absl::InvalidArgumentError(absl::StrCat("image size: ", o.height, "x", o.width,
                                                   " must be in [1, ", kMaxImageSide,
                                                   "] on each side"));
  }
  if (o.channels != 1 && o.channels != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("image channels: ", o.channels, " must be 1 (grey) or 3 (RGB)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RawDataset> ReadImageFolder(const DatasetOptions& o) {
  RETURN_IF_ERROR(CheckTarget(o));
  RawDataset raw;
  ASSIGN_OR_RETURN(std::vector<ImageFile> files, ListImages(o.dir, &raw.class_names));
  Split& s = raw.train;
  s.height = o.height, s.width = o.width, s.channels = o.channels;
  const int64_t bytes = s.image_bytes();
  if (static_cast<int64_t>(files.size()) > kMaxDatasetBytes / bytes) {
    return absl::InvalidArgumentError(absl::StrCat(o.dir, ": ", files.size(), " images of ", bytes,
                                                   " bytes exceed ", kMaxDatasetBytes,
                                                   " bytes, the limit"));
  }
  s.pixels.reserve(files.size() * bytes);
  for (const ImageFile& f : files) {
    ASSIGN_OR_RETURN(std::string contents, ReadFileToString(f.path, kMaxImageFileBytes));
    ASSIGN_OR_RETURN(Image image, DecodeImage(f.path, contents, kMaxImageSide));
    image = ResizeBilinear(ToChannels(std::move(image), o.channels), o.height, o.width);
    s.pixels.insert(s.pixels.end(), image.pixels.begin(), image.pixels.end());
    s.labels.push_back(f.label);
  }
  s.count = static_cast<int64_t>(files.size());
  raw.num_classes = static_cast<int64_t>(raw.class_names.size());
  return raw;
}

}  // namespace ridge::nn
