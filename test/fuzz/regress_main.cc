// Replays every file under the directories given on the command line (seed corpus and kept
// crashers) through one fuzz target's LLVMFuzzerTestOneInput, built without libFuzzer: the
// fuzz targets' regression test in the normal (and sanitizer) build. Prints `N passed, 0 failed`.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t n = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i], ec)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), {});
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++n;
    }
  }
  std::printf("%zu passed, 0 failed\n", n);  // a failing input aborts (SPW_ASSERT / sanitizer)
  return n > 0 ? 0 : 1;
}
