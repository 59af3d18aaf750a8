// The plain main() of the fuzz targets' replay builds (EDGEROUTE_FUZZ_REPLAY): the
// libFuzzer entry point run on each seed, then on N deterministic mutations of
// them, so that ctest exercises every target with any compiler.
//
//   NAME [--generated N]                   seeds built into the target
//   NAME [--generated N] SEED_DIR|FILE...  seeds read from files (directories one
//                                          level deep), in sorted order
//
// A target's replay section includes this header and hands replay_main() a
// ReplayTarget; the mutations depend only on the seeds and that description, so a
// failing input comes back on every machine. The target's CMakeLists puts
// tests/fuzz on the include path.
#ifndef EDGEROUTE_TESTS_FUZZ_REPLAY_MAIN_H
#define EDGEROUTE_TESTS_FUZZ_REPLAY_MAIN_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace edgeroute {
namespace fuzz {

// What differs between the targets' replay runs.
struct ReplayTarget {
  // Not explicit: a target that needs nothing else passes {"its name"}.
  ReplayTarget(const char* program) : name(program) {}

  const char* name;  // the program, for its messages
  // Seeds built into the target (they may hold NUL bytes). When there are none,
  // the seeds are the files named on the command line, which then needs one.
  std::vector<std::string> seeds;
  // Leading bytes no mutation touches (e.g. a byte that picks the input's kind).
  std::size_t fixed_prefix_bytes = 0;
  // Whether a mutation may splice in a run of another seed (a field from elsewhere).
  bool splice = true;
};

// xorshift32: small, seedable, identical everywhere.
inline std::uint32_t replay_next(std::uint32_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

inline void replay_run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

inline int replay_usage(const ReplayTarget& target) {
  std::fprintf(stderr, "usage: %s [--generated N]%s\n", target.name,
               target.seeds.empty() ? " SEED_DIR|FILE..." : "");
  return 2;
}

inline int replay_main(int argc, char** argv, const ReplayTarget& target) {
  const bool seeds_from_files = target.seeds.empty();
  long generated = 2000;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--generated") == 0 && i + 1 < argc) {
      generated = std::strtol(argv[++i], nullptr, 10);
      continue;
    }
    if (!seeds_from_files) return replay_usage(target);
    std::error_code ec;
    if (!std::filesystem::exists(argv[i], ec)) {
      std::fprintf(stderr, "%s: no such file or directory: %s\n", target.name, argv[i]);
      return 2;
    }
    if (!std::filesystem::is_directory(argv[i])) {
      files.emplace_back(argv[i]);
      continue;
    }
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::vector<std::string> seeds = target.seeds;
  if (seeds_from_files) {
    if (files.empty()) return replay_usage(target);
    // Directory order is the file system's; sorted, the mutations are the same everywhere.
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      std::ifstream in(path, std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  for (const std::string& seed : seeds) replay_run(seed);

  const std::size_t fixed = target.fixed_prefix_bytes;
  const std::uint32_t kinds = target.splice ? 5 : 4;
  std::uint32_t rng = 0x9e3779b9u;
  for (long i = 0; i < generated; ++i) {
    std::string input = seeds[replay_next(&rng) % seeds.size()];
    const std::uint32_t edits = 1 + replay_next(&rng) % 8;
    for (std::uint32_t e = 0; e < edits && input.size() > fixed; ++e) {
      const std::size_t at = fixed + replay_next(&rng) % (input.size() - fixed);
      switch (replay_next(&rng) % kinds) {
        case 0: input[at] = static_cast<char>(replay_next(&rng)); break;           // flip a byte
        case 1: input.resize(at); break;                                           // truncate
        case 2: input.insert(at, input.substr(at, replay_next(&rng) % 64)); break;  // repeat a run
        case 3: input.erase(at, 1); break;                                         // drop a byte
        default: {  // splice in a run of another seed
          const std::string& other = seeds[replay_next(&rng) % seeds.size()];
          if (!other.empty()) {
            const std::size_t from = replay_next(&rng) % other.size();
            input.insert(at, other.substr(from, replay_next(&rng) % 48));
          }
        }
      }
    }
    replay_run(input);
  }
  std::printf("%s: %zu seeds and %ld generated inputs, no invariant broken\n", target.name,
              seeds.size(), generated);
  return 0;
}

}  // namespace fuzz
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_FUZZ_REPLAY_MAIN_H
