// Fuzz target for the event-stream decoder.
//
// Each input is decoded twice: whole, and in pieces whose sizes come from a PRNG
// seeded with the input's CRC. Both runs must agree exactly (messages, first
// error code and text, finish() result): the decoder's output may not depend on
// how the bytes were split. Every message the decoder accepts must re-encode to a
// message of the same length and CRCs, i.e. to the same bytes.
//
// Random bytes almost never carry two valid CRCs, so a custom mutator (libFuzzer
// build) and the input generator (replay build) reseal the CRCs of the frames
// they produce most of the time; that is what gets inputs past the checksums into
// the length and header parsers.
//
// Two builds of this file:
//   eventstream_fuzzer          libFuzzer (clang): eventstream_fuzzer -max_total_time=30 CORPUS
//   fuzz_eventstream_replay     plain main (any compiler), run by ctest:
//                               fuzz_eventstream_replay [--generated N] [FILE|DIR]...
//                               replays files (directories recursively), then N
//                               deterministic generated inputs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(EDGEROUTE_FUZZ_REPLAY)
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>
#endif

#include "edgeroute/crc32.h"
#include "edgeroute/eventstream.h"

namespace {

using namespace edgeroute;
using eventstream::Decoder;
using eventstream::Message;

constexpr std::size_t kMaxRecodedBytes = limits::kEventStreamMaxMessageBytes;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "eventstream fuzz: invariant broken: %s\n", what);
  std::abort();
}

std::uint32_t load_be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}

void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// Rewrites the prelude and message CRCs of each frame from the start of data, as
// far as the frames' stated lengths allow.
void reseal(std::uint8_t* data, std::size_t size) {
  std::size_t at = 0;
  while (size - at >= eventstream::kPreludeBytes) {
    std::uint8_t* frame = data + at;
    store_be32(frame + 8, crc32(0, frame, 8));
    const std::uint32_t total = load_be32(frame);
    if (total < eventstream::kMinMessageBytes || total > size - at) return;
    store_be32(frame + total - 4, crc32(0, frame, total - 4));
    at += total;
  }
}

// What one decoding run produced, compared between the whole and the split run.
struct Summary {
  std::uint64_t messages = 0;
  std::uint32_t digest = 0;  // CRC over each message's CRCs, sizes and header count
  Status feed;
  Status finish;
};

class CheckingHandler : public eventstream::MessageHandler {
 public:
  explicit CheckingHandler(Summary* summary) : summary_(summary) {}

  Status on_message(const Message& m) override {
    if (m.header_count > limits::kEventStreamMaxHeaders) fail("header count over the limit");
    if (m.total_length != eventstream::kMinMessageBytes + m.headers_length + m.payload.size()) {
      fail("lengths do not add up");
    }
    std::size_t written = 0;
    const Status s = eventstream::encode(m.headers, m.header_count, m.payload.data(),
                                         m.payload.size(), recoded_, sizeof recoded_, &written);
    if (!s.ok()) fail("an accepted message does not re-encode");
    if (written != m.total_length) fail("re-encoded length differs");
    if (load_be32(recoded_ + 8) != m.prelude_crc) fail("re-encoded prelude CRC differs");
    if (load_be32(recoded_ + written - 4) != m.message_crc) fail("re-encoded message CRC differs");
    const std::uint32_t fields[] = {m.total_length, m.headers_length, m.prelude_crc, m.message_crc,
                                    static_cast<std::uint32_t>(m.header_count)};
    summary_->digest = crc32(summary_->digest, fields, sizeof fields);
    ++summary_->messages;
    return Status();
  }

 private:
  Summary* summary_;
  static std::uint8_t recoded_[kMaxRecodedBytes];
};

std::uint8_t CheckingHandler::recoded_[kMaxRecodedBytes];

// xorshift32: small, seedable, identical everywhere.
std::uint32_t next_random(std::uint32_t* state) {
  std::uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

// Decoders are ~130 KiB each: static, reset per input.
Decoder g_whole;
Decoder g_split;

Summary decode(Decoder* decoder, const std::uint8_t* data, std::size_t size, std::uint32_t seed) {
  Summary summary;
  CheckingHandler handler(&summary);
  decoder->reset();
  std::uint32_t state = seed | 1u;
  const std::size_t max_piece = seed == 0 ? size : 1 + seed % 97;
  std::size_t at = 0;
  while (at < size) {
    std::size_t n = size - at;
    if (seed != 0) {
      const std::size_t piece = 1 + next_random(&state) % max_piece;
      if (piece < n) n = piece;
    }
    summary.feed = decoder->feed(data + at, n, &handler);
    if (!summary.feed.ok()) break;
    at += n;
  }
  summary.finish = decoder->finish();
  if (summary.messages != decoder->messages()) fail("messages() disagrees with the handler");
  if (summary.feed.ok() && decoder->bytes_consumed() != size) fail("bytes_consumed() lost bytes");
  return summary;
}

bool same_status(const Status& a, const Status& b) {
  return a.code() == b.code() && std::strcmp(a.message(), b.message()) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Summary whole = decode(&g_whole, data, size, 0);
  const Summary split = decode(&g_split, data, size, crc32(0, data, size) | 1u);
  if (whole.messages != split.messages) fail("message count depends on the split");
  if (whole.digest != split.digest) fail("messages depend on the split");
  if (!same_status(whole.feed, split.feed)) fail("feed() error depends on the split");
  if (!same_status(whole.finish, split.finish)) fail("finish() depends on the split");
  if (whole.feed.ok()) {
    if (!whole.finish.ok() && whole.finish.code() != Code::kParseError) {
      fail("finish() after a clean feed can only report truncation");
    }
  } else if (!same_status(whole.feed, whole.finish)) {
    fail("the failure is not sticky");
  }
  return 0;
}

#if !defined(EDGEROUTE_FUZZ_REPLAY)

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

// libFuzzer's mutations, then (seven times in eight) valid CRCs again.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 8 != 0) reseal(data, size);
  return size;
}

#else  // the replay build

namespace {

using Bytes = std::vector<std::uint8_t>;

std::size_t replay_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 1;
}

std::size_t replay_path(const std::filesystem::path& path) {
  if (!std::filesystem::is_directory(path)) return replay_file(path);
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) n += replay_file(entry.path());
  }
  return n;
}

// A valid message with random headers of every type and a random payload.
void append_random_message(Bytes* out, std::uint32_t* rng) {
  static const char* const kNames[] = {":event-type", ":content-type", ":message-type", "id", "x"};
  eventstream::Header headers[6];
  std::uint8_t values[6][24];
  const std::size_t count = next_random(rng) % 7;
  for (std::size_t i = 0; i < count; ++i) {
    eventstream::Header& h = headers[i];
    h.name = kNames[next_random(rng) % 5];
    h.type = static_cast<eventstream::HeaderType>(next_random(rng) % 10);
    for (std::uint8_t& b : values[i]) b = static_cast<std::uint8_t>(next_random(rng));
    const auto wide = static_cast<std::int64_t>(static_cast<std::uint64_t>(next_random(rng)) << 32 |
                                                next_random(rng));
    switch (h.type) {
      case eventstream::HeaderType::kByte: h.integer = static_cast<std::int8_t>(wide); break;
      case eventstream::HeaderType::kInt16: h.integer = static_cast<std::int16_t>(wide); break;
      case eventstream::HeaderType::kInt32: h.integer = static_cast<std::int32_t>(wide); break;
      case eventstream::HeaderType::kInt64:
      case eventstream::HeaderType::kTimestamp: h.integer = wide; break;
      case eventstream::HeaderType::kUuid:
        h.bytes = std::string_view(reinterpret_cast<const char*>(values[i]), 16);
        break;
      case eventstream::HeaderType::kBytes:
      case eventstream::HeaderType::kString:
        h.bytes = std::string_view(reinterpret_cast<const char*>(values[i]), next_random(rng) % 25);
        break;
      case eventstream::HeaderType::kBoolTrue:
      case eventstream::HeaderType::kBoolFalse: break;
    }
  }
  std::uint8_t payload[200];
  for (std::uint8_t& b : payload) b = static_cast<std::uint8_t>(next_random(rng));
  const std::size_t payload_bytes = next_random(rng) % sizeof payload;
  std::uint8_t frame[1024];
  std::size_t written = 0;
  if (!eventstream::encode(headers, count, payload, payload_bytes, frame, sizeof frame, &written).ok()) {
    fail("the generator built an unencodable message");
  }
  out->insert(out->end(), frame, frame + written);
}

// Bit flips, byte stores, cuts, insertions and duplicated ranges.
void mutate(Bytes* b, std::uint32_t* rng) {
  const std::size_t edits = 1 + next_random(rng) % 4;
  for (std::size_t e = 0; e < edits && !b->empty(); ++e) {
    const std::size_t at = next_random(rng) % b->size();
    switch (next_random(rng) % 5) {
      case 0: (*b)[at] ^= static_cast<std::uint8_t>(1u << (next_random(rng) % 8)); break;
      case 1: (*b)[at] = static_cast<std::uint8_t>(next_random(rng)); break;
      case 2: b->resize(at); break;
      case 3: b->insert(b->begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(next_random(rng))); break;
      case 4: {
        const std::size_t n = next_random(rng) % (b->size() - at) + 1;
        const Bytes range(b->begin() + static_cast<std::ptrdiff_t>(at),
                          b->begin() + static_cast<std::ptrdiff_t>(at + n));
        b->insert(b->end(), range.begin(), range.end());
        break;
      }
    }
  }
}

void run_generated(std::size_t count) {
  std::uint32_t rng = 0x9E3779B9u;
  for (std::size_t i = 0; i < count; ++i) {
    Bytes input;
    switch (i % 4) {
      case 0:  // valid streams
        for (std::size_t m = 1 + next_random(&rng) % 4; m > 0; --m) append_random_message(&input, &rng);
        break;
      case 1:  // mutated, CRCs left wrong
      case 2:  // mutated, CRCs resealed: reaches the length and header checks
        for (std::size_t m = 1 + next_random(&rng) % 3; m > 0; --m) append_random_message(&input, &rng);
        mutate(&input, &rng);
        if (i % 4 == 2) reseal(input.data(), input.size());
        break;
      case 3:  // noise, half of it behind a sealed prelude
        input.resize(next_random(&rng) % 300);
        for (std::uint8_t& b : input) b = static_cast<std::uint8_t>(next_random(&rng));
        if (input.size() >= 16 && next_random(&rng) % 2 == 0) {
          store_be32(input.data(), static_cast<std::uint32_t>(16 + next_random(&rng) % (input.size() - 15)));
          reseal(input.data(), input.size());
        }
        break;
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t generated = 0;
  std::size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--generated") == 0 && i + 1 < argc) {
      generated = static_cast<std::size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      std::error_code ec;
      if (!std::filesystem::exists(argv[i], ec)) {
        std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
        return 2;
      }
      files += replay_path(argv[i]);
    }
  }
  run_generated(generated);
  std::printf("eventstream fuzz replay: %zu files, %zu generated inputs, all invariants held\n",
              files, generated);
  return 0;
}

#endif
