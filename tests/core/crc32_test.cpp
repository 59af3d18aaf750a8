// CRC-32/IEEE: zlib's published values, running on across pieces, and agreement
// with a bit-at-a-time reference at every length and alignment the slice-by-8
// loop and the hardware path treat differently.
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "edgeroute/crc32.h"

namespace edgeroute {
namespace {

std::uint32_t crc_of(std::string_view s) { return crc32(0, s.data(), s.size()); }

// The definition, one bit at a time, in the zlib convention.
std::uint32_t reference_crc32(std::uint32_t crc, const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

TEST(Crc32, MatchesZlibCheckValues) {
  EXPECT_EQ(crc_of("123456789"), 0xCBF43926u);  // the CRC catalogue's check value
  EXPECT_EQ(crc_of(""), 0u);
  EXPECT_EQ(crc32(0, nullptr, 0), 0u);
  EXPECT_EQ(crc_of("a"), 0xE8B7BE43u);
  EXPECT_EQ(crc_of("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  const std::uint8_t zeros[32] = {};
  EXPECT_EQ(crc32(0, zeros, sizeof zeros), 0x190A55ADu);
  std::uint8_t ones[32];
  std::memset(ones, 0xFF, sizeof ones);
  EXPECT_EQ(crc32(0, ones, sizeof ones), 0xFF6CAB0Bu);
}

TEST(Crc32, EmptyInputLeavesARunningValueUnchanged) {
  EXPECT_EQ(crc32(0xCBF43926u, nullptr, 0), 0xCBF43926u);
  EXPECT_EQ(crc32(0x12345678u, "", 0), 0x12345678u);
}

TEST(Crc32, EventStreamPreludeOfTheAllHeadersVector) {
  // total_length 204, headers_length 175; the frame states prelude_crc 0x0FAE64CA.
  const std::uint8_t prelude[8] = {0x00, 0x00, 0x00, 0xCC, 0x00, 0x00, 0x00, 0xAF};
  EXPECT_EQ(crc32(0, prelude, sizeof prelude), 0x0FAE64CAu);
}

TEST(Crc32, RunsOnAcrossEverySplit) {
  const std::vector<std::uint8_t> data = random_bytes(300, 1);
  const std::uint32_t whole = crc32(0, data.data(), data.size());
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    const std::uint32_t first = crc32(0, data.data(), cut);
    EXPECT_EQ(crc32(first, data.data() + cut, data.size() - cut), whole) << "cut at " << cut;
  }
}

TEST(Crc32, RunsOnAcrossRandomPieces) {
  const std::vector<std::uint8_t> data = random_bytes(1 << 16, 2);
  const std::uint32_t whole = crc32(0, data.data(), data.size());
  std::mt19937 rng(3);
  for (int round = 0; round < 20; ++round) {
    std::uint32_t c = 0;
    std::size_t at = 0;
    while (at < data.size()) {
      const std::size_t n = std::min<std::size_t>(rng() % 100, data.size() - at);
      c = crc32(c, data.data() + at, n);
      at += n;
    }
    EXPECT_EQ(c, whole) << "round " << round;
  }
}

TEST(Crc32, AgreesWithTheBitwiseReferenceAtEveryLengthAndAlignment) {
  const std::vector<std::uint8_t> data = random_bytes(256 + 8, 4);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n <= 256; ++n) {
      const std::uint8_t* p = data.data() + offset;
      const std::uint32_t expected = reference_crc32(0x5A5A5A5Au, p, n);
      ASSERT_EQ(crc32(0x5A5A5A5Au, p, n), expected) << "offset " << offset << " length " << n;
      ASSERT_EQ(crc32_portable(0x5A5A5A5Au, p, n), expected)
          << "offset " << offset << " length " << n;
    }
  }
}

TEST(Crc32, ReportsItsImplementation) {
  const std::string_view name = crc32_implementation();
  EXPECT_TRUE(name == "slice-by-8" || name == "armv8-crc32") << name;
}

}  // namespace
}  // namespace edgeroute
