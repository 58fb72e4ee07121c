// Helpers for the libFuzzer targets in tests/fuzz/ (bench/fuzz.sh builds and
// runs them with clang, ASan and UBSan).
#ifndef RIDGE_TESTS_FUZZ_FUZZ_UTIL_H_
#define RIDGE_TESTS_FUZZ_FUZZ_UTIL_H_

#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace ridge::fuzz {

// A file holding `data`, for readers that take a path; one per process.
inline std::string WriteInput(const uint8_t* data, size_t size) {
  static const std::string path = "/dev/shm/ridge_fuzz_" + std::to_string(getpid());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), size);
  return path;
}

// `data` with its last four bytes replaced by the CRC-32 of the rest, so a
// mutation reaches the parser behind a file's checksum.
inline std::string WithCrc(const uint8_t* data, size_t size) {
  std::string out(reinterpret_cast<const char*>(data), size);
  if (out.size() < 4) return out;
  const uint32_t crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data()), out.size() - 4);
  std::memcpy(out.data() + out.size() - 4, &crc, 4);
  return out;
}

// Stops the run: a property that must hold did not.
inline void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace ridge::fuzz

#endif  // RIDGE_TESTS_FUZZ_FUZZ_UTIL_H_
