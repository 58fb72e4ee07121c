// IDX, CIFAR-10/100 and image-folder datasets, each written by the test
// into TEST_TMPDIR: pixels, labels, splits, normalisation, and the errors
// for bad files.
#include <png.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

extern "C" {
#include <jpeglib.h>
}

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supernet/batcher.h"
#include "supernet/dataset.h"
#include "supernet/image_decode.h"

namespace ridge::nn {
namespace {

using ::testing::HasSubstr;

// A fresh directory under TEST_TMPDIR.
std::string Dir(const std::string& name) {
  const std::string dir =
      absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp", "/", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A smooth pattern, distinct per image id, that JPEG keeps within a few
// levels: every value stays in [0, 255] for ids below 20.
uint8_t Pixel(int id, int y, int x, int c) {
  return static_cast<uint8_t>(id * 4 + y * 2 + x * 2 + c * 10);
}

std::vector<uint8_t> PatternHwc(int id, int h, int w, int c) {
  std::vector<uint8_t> out;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int ch = 0; ch < c; ++ch) out.push_back(Pixel(id, y, x, ch));
    }
  }
  return out;
}

// ---- IDX ----

std::string IdxHeader(const std::vector<uint32_t>& dims) {
  std::string s = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) s += static_cast<char>((d >> shift) & 0xff);
  }
  return s;
}

// n images of 32x32x3 (rank 4) with labels i % 5, gzipped as Fashion-MNIST's.
void WriteIdxPair(const std::string& dir, const std::string& prefix, int n, int first_id) {
  std::string images = IdxHeader({static_cast<uint32_t>(n), 32, 32, 3}),
              labels = IdxHeader({static_cast<uint32_t>(n)});
  for (int i = 0; i < n; ++i) {
    const std::vector<uint8_t> p = PatternHwc((first_id + i) % 20, 32, 32, 3);
    images.append(p.begin(), p.end());
    labels += static_cast<char>(i % 5);
  }
  gzFile f = gzopen((dir + "/" + prefix + "-images-idx3-ubyte.gz").c_str(), "wb");
  gzwrite(f, images.data(), images.size());
  gzclose(f);
  WriteFile(dir + "/" + prefix + "-labels-idx1-ubyte", labels);  // Plain: either is found.
}

TEST(IdxFormat, Rank4ImagesAndFiveClasses) {
  const std::string dir = Dir("idx");
  WriteIdxPair(dir, "train", 60, 0);
  WriteIdxPair(dir, "t10k", 12, 7);
  DatasetOptions o;
  o.dir = dir;
  absl::StatusOr<Dataset> d = LoadDataset(o);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->num_classes, 5);
  EXPECT_EQ(d->train.count, 50);  // The last sixth is valid, in file order.
  EXPECT_EQ(d->valid.count, 10);
  EXPECT_EQ(d->test.count, 12);
  EXPECT_EQ(d->train.channels, 3);
  const int64_t bytes = 32 * 32 * 3;
  EXPECT_EQ(std::vector<uint8_t>(d->train.pixels.begin(), d->train.pixels.begin() + bytes),
            PatternHwc(0, 32, 32, 3));
  EXPECT_EQ(std::vector<uint8_t>(d->valid.pixels.begin(), d->valid.pixels.begin() + bytes),
            PatternHwc(10, 32, 32, 3));
  EXPECT_EQ(d->valid.labels[0], 0);  // Image 50.
  EXPECT_EQ(d->test.labels[3], 3);
  EXPECT_THAT(d->description, HasSubstr("idx in " + dir));

  o.num_classes = 4;  // Labels 0..4 do not fit 4 classes.
  EXPECT_EQ(LoadDataset(o).status().message(),
            dir + "/train-labels-idx1-ubyte: record 4: label 4 is not in [0, 4) (num_classes 4)");
}

// ---- CIFAR ----

// `n` CIFAR records (label bytes, then 3 x 32 x 32 CHW) of ids first..first+n.
std::string CifarRecords(int n, int first, bool hundred) {
  std::string out;
  for (int i = first; i < first + n; ++i) {
    if (hundred) out += static_cast<char>(i % 20);                // Coarse.
    out += static_cast<char>(hundred ? (i * 17) % 100 : i % 10);  // Fine (or the only) label.
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) out += static_cast<char>(Pixel(i % 20, y, x, c));
      }
    }
  }
  return out;
}

std::string WriteCifar10(const std::string& name) {
  const std::string dir = Dir(name);
  for (int b = 1; b <= 5; ++b)
    WriteFile(absl::StrCat(dir, "/data_batch_", b, ".bin"), CifarRecords(4, (b - 1) * 4, false));
  WriteFile(dir + "/test_batch.bin", CifarRecords(3, 17, false));
  return dir;
}

TEST(CifarFormat, Cifar10PixelsLabelsAndSeededSplits) {
  DatasetOptions o;
  o.format = DataFormat::kCifar10;
  o.dir = WriteCifar10("cifar10");
  o.split_seed = 5;
  absl::StatusOr<Dataset> d = LoadDataset(o);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->num_classes, 10);
  EXPECT_EQ(d->train.count, 18);  // 20 records, a tenth carved off as valid.
  EXPECT_EQ(d->valid.count, 2);
  EXPECT_EQ(d->test.count, 3);
  // Every image came through CHW -> HWC intact, with its label; record ids
  // are recovered from the pattern (id * 4 at the first pixel).
  std::set<int> ids;
  for (const Split* s : {&d->train, &d->valid}) {
    for (int64_t i = 0; i < s->count; ++i) {
      const int id = s->pixels[i * 3072] / 4;
      ids.insert(id);
      EXPECT_EQ(
          std::vector<uint8_t>(s->pixels.begin() + i * 3072, s->pixels.begin() + (i + 1) * 3072),
          PatternHwc(id, 32, 32, 3));
      EXPECT_EQ(s->labels[i], id % 10);
    }
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(d->test.labels, (std::vector<int32_t>{7, 8, 9}));
  // The same seed carves the same splits; another seed others.
  Dataset again = *LoadDataset(o);
  EXPECT_EQ(again.valid.pixels, d->valid.pixels);
  EXPECT_EQ(again.train.labels, d->train.labels);
  o.split_seed = 6;
  Dataset other = *LoadDataset(o);
  EXPECT_NE(other.train.pixels, d->train.pixels);
}

TEST(CifarFormat, Cifar100UsesFineLabels) {
  const std::string dir = Dir("cifar100");
  WriteFile(dir + "/train.bin", CifarRecords(12, 0, true));
  WriteFile(dir + "/test.bin", CifarRecords(2, 3, true));
  DatasetOptions o;
  o.format = DataFormat::kCifar100;
  o.dir = dir;
  absl::StatusOr<Dataset> d = LoadDataset(o);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->num_classes, 100);
  EXPECT_EQ(d->test.labels, (std::vector<int32_t>{51, 68}));  // 3 * 17, 4 * 17.
  for (int64_t i = 0; i < d->train.count; ++i) {
    EXPECT_EQ(d->train.labels[i], (d->train.pixels[i * 3072] / 4) * 17 % 100);
  }
}

// ---- Normalisation ----

TEST(Normalization, PerChannelFromTheWholeTrainSplit) {
  Split s;
  s.count = 2, s.height = 1, s.width = 2, s.channels = 2;
  s.pixels = {0, 7, 255, 7, 0, 7, 255, 7};  // Channel 0: half 0, half 255; channel 1 constant.
  Normalization n = ComputeNormalization(s);
  EXPECT_FLOAT_EQ(n.mean[0], 0.5f);
  EXPECT_FLOAT_EQ(n.stddev[0], 0.5f);
  EXPECT_NEAR(n.mean[1], 7 / 255.0, 1e-6);
  EXPECT_EQ(n.stddev[1], 1.0f);  // Constant: no division by ~0.

  DatasetOptions o;
  o.format = DataFormat::kCifar10;
  o.dir = WriteCifar10("cifar10_norm");
  Dataset all = *LoadDataset(o);
  o.train_images = 4;
  Dataset few = *LoadDataset(o);
  EXPECT_EQ(few.train.count, 4);
  EXPECT_EQ(few.norm.mean, all.norm.mean);  // Trimming keeps the statistics.
  EXPECT_EQ(all.norm.mean, ComputeNormalization(all.train).mean);
  EXPECT_EQ(few.test.norm.stddev, all.norm.stddev);
  ASSERT_EQ(all.norm.mean.size(), 3u);
  EXPECT_LT(all.norm.mean[0], all.norm.mean[2]);  // The pattern adds 10 per channel.

  // Batches are n x 3 x 32 x 32, each channel normalised by its own statistics.
  const int64_t idx[] = {1};
  Batch batch;
  FillBatch(all.train, idx, 1, nullptr, &batch);
  EXPECT_EQ(batch.images.dims(), (Dims4{1, 3, 32, 32}));
  for (int c = 0; c < 3; ++c) {
    const float want =
        (all.train.pixels[3072 + 5 * 3 + c] / 255.0f - all.norm.mean[c]) / all.norm.stddev[c];
    EXPECT_NEAR(batch.images.data()[5 * 3 + c], want, 1e-5);
  }
  std::mt19937_64 rng(3);
  FillBatch(all.train, idx, 1, &rng,
            &batch);  // Augmented: shifted and maybe flipped, channels together.
  EXPECT_EQ(batch.labels[0], all.train.labels[1]);
}

// ---- Image folders ----

void WritePng(const std::string& path, int w, int h, int channels,
              const std::vector<uint8_t>& pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = w, image.height = h;
  image.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr))
      << image.message;
}

void WriteJpeg(const std::string& path, int w, int h, const std::vector<uint8_t>& rgb) {
  jpeg_compress_struct c;
  jpeg_error_mgr errors;
  c.err = jpeg_std_error(&errors);
  jpeg_create_compress(&c);
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  jpeg_stdio_dest(&c, f);
  c.image_width = w, c.image_height = h, c.input_components = 3, c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(rgb.data()) + c.next_scanline * w * 3;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  fclose(f);
  jpeg_destroy_compress(&c);
}

// Three classes, given out of order; in each 4 PNGs and 2 JPEGs of 32x32 RGB
// (ids 0..17, the PNGs' ids below 12). Returns the directory.
std::string WriteFolder(const std::string& name) {
  const std::string dir = Dir(name);
  int id = 0;
  for (const std::string cls : {"cat", "ant", "bee"}) {
    std::filesystem::create_directories(dir + "/" + cls);
    for (int i = 0; i < 4; ++i, ++id)
      WritePng(absl::StrCat(dir, "/", cls, "/p", i, ".png"), 32, 32, 3, PatternHwc(id, 32, 32, 3));
  }
  for (const std::string cls : {"cat", "ant", "bee"}) {
    for (int i = 0; i < 2; ++i, ++id)
      WriteJpeg(absl::StrCat(dir, "/", cls, "/j", i, ".JPG"), 32, 32, PatternHwc(id, 32, 32, 3));
  }
  WriteFile(dir + "/README.txt", "not a class");  // Files beside the class folders are ignored.
  return dir;
}

DatasetOptions FolderOptions(const std::string& dir) {
  DatasetOptions o;
  o.format = DataFormat::kImageFolder;
  o.dir = dir;
  o.height = 32, o.width = 32, o.channels = 3;
  o.split_seed = 1;
  return o;
}

TEST(ImageFolder, PngLosslessJpegCloseLabelsBySortedFolders) {
  absl::StatusOr<Dataset> d = LoadDataset(FolderOptions(WriteFolder("folder")));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->class_names, (std::vector<std::string>{"ant", "bee", "cat"}));
  EXPECT_EQ(d->num_classes, 3);
  EXPECT_EQ(d->train.count + d->valid.count + d->test.count, 18);
  EXPECT_EQ(d->valid.count, 1);  // A tenth each for valid and test, at least one.
  EXPECT_EQ(d->test.count, 1);
  // The class of each id: cat 0-3 and 12-13, ant 4-7 and 14-15, bee 8-11 and 16-17.
  auto label_of = [](int id) {
    return id < 12 ? std::vector<int>{2, 0, 1}[id / 4] : std::vector<int>{2, 0, 1}[(id - 12) / 2];
  };
  int pngs = 0;
  for (const Split* s : {&d->train, &d->valid, &d->test}) {
    for (int64_t i = 0; i < s->count; ++i) {
      const std::vector<uint8_t> got(s->pixels.begin() + i * 3072,
                                     s->pixels.begin() + (i + 1) * 3072);
      const int id = (got[0] + 2) / 4;  // JPEG may move the first pixel by a level or two.
      const std::vector<uint8_t> want = PatternHwc(id, 32, 32, 3);
      EXPECT_EQ(s->labels[i], label_of(id)) << "id " << id;
      if (id < 12) {
        EXPECT_EQ(got, want) << "PNG " << id;  // Lossless.
        ++pngs;
      } else {
        for (int p = 0; p < 3072; ++p)
          ASSERT_NEAR(got[p], want[p], 8) << "JPEG " << id << " byte " << p;
      }
    }
  }
  EXPECT_EQ(pngs, 12);
}

TEST(ImageFolder, SplitsAreDeterministicForASeed) {
  const std::string dir = WriteFolder("folder_seed");
  Dataset a = *LoadDataset(FolderOptions(dir)), b = *LoadDataset(FolderOptions(dir));
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  EXPECT_EQ(a.test.pixels, b.test.pixels);
  EXPECT_EQ(a.train.labels, b.train.labels);
  DatasetOptions o = FolderOptions(dir);
  o.split_seed = 2;
  Dataset c = *LoadDataset(o);
  EXPECT_NE(c.train.labels, a.train.labels);
}

TEST(ImageFolder, GreyAndRgbConvertAndResize) {
  const std::string dir = Dir("folder_convert");
  std::filesystem::create_directories(dir + "/a");
  std::filesystem::create_directories(dir + "/b");
  WritePng(dir + "/a/grey.png", 64, 48, 1, std::vector<uint8_t>(64 * 48, 77));
  WritePng(dir + "/a/grey2.png", 8, 8, 1, std::vector<uint8_t>(64, 77));
  WritePng(dir + "/b/rgb.png", 32, 32, 3, std::vector<uint8_t>(32 * 32 * 3, 200));
  DatasetOptions o = FolderOptions(dir);
  o.height = 16, o.width = 16;
  Dataset rgb = *LoadDataset(o);
  EXPECT_EQ(rgb.train.image_bytes(), 16 * 16 * 3);
  for (const Split* s : {&rgb.train, &rgb.valid, &rgb.test}) {
    for (int64_t i = 0; i < s->count; ++i) {
      EXPECT_EQ(s->pixels[i * 768 + 100],
                s->labels[i] == 0 ? 77 : 200);  // Grey repeated in R, G and B.
    }
  }
  o.channels = 1;
  Dataset grey = *LoadDataset(o);
  EXPECT_EQ(grey.train.image_bytes(), 16 * 16);
  for (int64_t i = 0; i < grey.train.count; ++i)
    EXPECT_EQ(grey.train.pixels[i * 256], grey.train.labels[i] == 0 ? 77 : 200);
}

TEST(ImageDecode, AlphaIsDroppedAndSixteenBitsScaled) {
  const std::string dir = Dir("decode");
  png_image rgba{};
  rgba.version = PNG_IMAGE_VERSION;
  rgba.width = 2, rgba.height = 1, rgba.format = PNG_FORMAT_RGBA;
  const uint8_t rgba_pixels[] = {10, 20, 30, 0, 40, 50, 60, 255};
  ASSERT_TRUE(
      png_image_write_to_file(&rgba, (dir + "/rgba.png").c_str(), 0, rgba_pixels, 0, nullptr));
  png_image deep{};
  deep.version = PNG_IMAGE_VERSION;
  deep.width = 3, deep.height = 2, deep.format = PNG_FORMAT_LINEAR_Y;  // 16-bit grey.
  const uint16_t deep_pixels[6] = {0, 1000, 20000, 40000, 60000, 65535};
  ASSERT_TRUE(
      png_image_write_to_file(&deep, (dir + "/deep.png").c_str(), 0, deep_pixels, 0, nullptr));
  auto decode = [&](const std::string& name) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    return DecodeImage(
        name, std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
        64);
  };
  absl::StatusOr<Image> a = decode("rgba.png");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->channels, 3);
  EXPECT_EQ(a->pixels,
            (std::vector<uint8_t>{10, 20, 30, 40, 50, 60}));  // Alpha dropped, not composited.
  absl::StatusOr<Image> d = decode("deep.png");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->channels, 1);
  EXPECT_EQ(d->pixels.size(), 6u);
  EXPECT_EQ(d->pixels.front(), 0);
  EXPECT_EQ(d->pixels.back(), 255);
  EXPECT_THAT(DecodeImage("x.png", "\x89PNG\r\n\x1a\n", 64).status().message(),
              HasSubstr("x.png: not a decodable PNG"));
}

TEST(ImageDecode, BilinearResize) {
  Image image;
  image.height = 1, image.width = 2, image.channels = 1, image.pixels = {0, 100};
  Image wide = ResizeBilinear(image, 1, 4);
  EXPECT_EQ(wide.pixels,
            (std::vector<uint8_t>{0, 25, 75, 100}));  // Centres at -0.25, 0.25, 0.75, 1.25.
  EXPECT_EQ(ResizeBilinear(wide, 1, 4).pixels, wide.pixels);
  Image rgb;
  rgb.height = 1, rgb.width = 1, rgb.channels = 3, rgb.pixels = {255, 0, 0};
  EXPECT_EQ(ToChannels(rgb, 1).pixels, (std::vector<uint8_t>{76}));  // 0.299 * 255.
}

// ---- Bad input: one test per case, each checking the message. ----

TEST(BadData, TruncatedCifarRecordNamesFileAndOffset) {
  const std::string dir = WriteCifar10("cifar_truncated");
  WriteFile(dir + "/data_batch_3.bin", CifarRecords(2, 0, false) + std::string(1000, 'x'));
  DatasetOptions o;
  o.format = DataFormat::kCifar10;
  o.dir = dir;
  absl::Status s = LoadDataset(o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      s.message(),
      dir +
          "/data_batch_3.bin: truncated: record 2 at byte offset 6146 has 1000 of its 3073 bytes");
}

TEST(BadData, LabelOutOfRangeNamesFileRecordAndRange) {
  const std::string dir = WriteCifar10("cifar_label");
  std::string records = CifarRecords(3, 0, false);
  records[3073] = 12;  // Record 1's label.
  WriteFile(dir + "/data_batch_2.bin", records);
  DatasetOptions o;
  o.format = DataFormat::kCifar10;
  o.dir = dir;
  EXPECT_EQ(LoadDataset(o).status().message(),
            dir + "/data_batch_2.bin: record 1: label 12 is not in [0, 10)");
}

TEST(BadData, UndecodableImageNamesTheFile) {
  const std::string dir = WriteFolder("folder_bad");
  WriteFile(dir + "/bee/broken.png", "\x89PNG\r\n\x1a\n and then garbage");
  absl::Status s = LoadDataset(FolderOptions(dir)).status();
  EXPECT_THAT(s.message(), HasSubstr(dir + "/bee/broken.png: not a decodable PNG file"));
  // A truncated JPEG fails too (libjpeg would fill the rest with grey).
  std::filesystem::remove(dir + "/bee/broken.png");
  std::ifstream in(dir + "/cat/j0.JPG", std::ios::binary);
  std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  WriteFile(dir + "/cat/j0.JPG", jpeg.substr(0, jpeg.size() / 2));
  EXPECT_THAT(LoadDataset(FolderOptions(dir)).status().message(),
              HasSubstr(dir + "/cat/j0.JPG: not a decodable JPEG file"));
  WriteFile(dir + "/cat/j0.JPG", "GIF89a");
  EXPECT_THAT(LoadDataset(FolderOptions(dir)).status().message(),
              HasSubstr(dir + "/cat/j0.JPG: not a decodable image: its first bytes are neither"));
}

TEST(BadData, EmptyClassFolderNamesIt) {
  const std::string dir = WriteFolder("folder_empty");
  std::filesystem::create_directories(dir + "/dog");
  WriteFile(dir + "/dog/notes.txt", "no images here");
  EXPECT_EQ(LoadDataset(FolderOptions(dir)).status().message(),
            dir + "/dog: empty class folder: no .png, .jpg or .jpeg files");
  EXPECT_THAT(LoadDataset(FolderOptions(Dir("folder_none"))).status().message(),
              HasSubstr(": no class folders"));
  EXPECT_EQ(LoadDataset(FolderOptions("/nonexistent/folder")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(BadData, OversizedImagesAreRefused) {
  const std::string dir = WriteFolder("folder_huge");
  WritePng(dir + "/ant/wide.png", 4097, 2, 1, std::vector<uint8_t>(4097 * 2, 0));
  EXPECT_EQ(LoadDataset(FolderOptions(dir)).status().message(),
            dir + "/ant/wide.png: a 4097x2 image exceeds 4096x4096, the limit");
  std::filesystem::remove(dir + "/ant/wide.png");
  WriteJpeg(dir + "/ant/tall.jpg", 8, 5000, std::vector<uint8_t>(8 * 5000 * 3, 9));
  EXPECT_EQ(LoadDataset(FolderOptions(dir)).status().message(),
            dir + "/ant/tall.jpg: a 8x5000 image exceeds 4096x4096, the limit");
  DatasetOptions o = FolderOptions(dir);
  o.height = 5000;
  EXPECT_EQ(LoadDataset(o).status().message(),
            "image size: 5000x32 must be in [1, 4096] on each side");
  o.height = 32, o.channels = 2;
  EXPECT_EQ(LoadDataset(o).status().message(), "image channels: 2 must be 1 (grey) or 3 (RGB)");
}

// Too many images for their size: refused from the file count, before any
// is decoded (23 images of 4096x4096x3 would take over 1 GiB).
TEST(BadData, TooManyBytesOfImagesAreRefused) {
  const std::string dir = WriteFolder("folder_many");
  for (int i = 0; i < 5; ++i) {
    WritePng(absl::StrCat(dir, "/bee/extra", i, ".png"), 2, 2, 1, std::vector<uint8_t>(4, 0));
  }
  DatasetOptions o = FolderOptions(dir);
  o.height = 4096, o.width = 4096;
  EXPECT_EQ(LoadDataset(o).status().message(),
            dir + ": 23 images of 50331648 bytes exceed 1073741824 bytes, the limit");
}

TEST(BadData, ShapeMismatchNamesBothShapes) {
  DatasetOptions o;
  o.format = DataFormat::kCifar10;
  o.dir = WriteCifar10("cifar_shape");
  Dataset d = *LoadDataset(o);
  EXPECT_TRUE(CheckInputFits(d, 32, 32, 3, 10, "space", "cifar_uib").ok());
  EXPECT_EQ(CheckInputFits(d, 28, 28, 1, 10, "space", "fmnist_uib").message(),
            "space 'fmnist_uib' takes 28x28x1 images and 10 classes, but the dataset (cifar10 in " +
                o.dir +
                ") has 32x32x3 images and 10 classes; use a space with input { height: 32 width: "
                "32 channels: 3 } "
                "and num_classes: 10");
  EXPECT_THAT(CheckInputFits(d, 32, 32, 3, 100, "architecture", "mine").message(),
              HasSubstr("architecture 'mine' takes 32x32x3 images and 100 classes"));
}

}  // namespace
}  // namespace ridge::nn
