// Event-stream decoder and encoder: the shared vectors (every field, every split,
// byte-for-byte round trips, the error class of each corrupted frame), malformed
// and oversized messages, sticky failure, and the zero-heap contract.
//
// Vectors come from <testdata>/eventstream, found at run time: $EDGEROUTE_TESTDATA_DIR
// when set, else the build's EDGEROUTE_TESTDATA_DIR, so another set runs unchanged.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "edgeroute/crc32.h"
#include "edgeroute/eventstream.h"

namespace edgeroute {
namespace {

using eventstream::Decoder;
using eventstream::Header;
using eventstream::HeaderType;
using eventstream::Message;
using eventstream::MessageHandler;
using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------
// Test data

std::filesystem::path vectors_dir() {
  const char* env = std::getenv("EDGEROUTE_TESTDATA_DIR");
  const std::filesystem::path root = (env != nullptr && *env != '\0') ? env : EDGEROUTE_TESTDATA_DIR;
  return root / "eventstream";
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_text(const std::filesystem::path& path) {
  const Bytes b = read_file(path);
  return std::string(b.begin(), b.end());
}

// Case names under encoded/<kind>, sorted.
std::vector<std::string> cases(const char* kind) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(vectors_dir() / "encoded" / kind, ec)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Bytes encoded(const char* kind, const std::string& name) {
  return read_file(vectors_dir() / "encoded" / kind / name);
}

// RFC 4648 base64 with padding, as the vectors use; false on anything else.
bool base64_decode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out->clear();
  if (in.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const std::size_t pad = (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=');
    if (pad > 0 && i + 4 != in.size()) return false;
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4 - pad; ++k) {
      const int v = value(in[i + k]);
      if (v < 0) return false;
      group |= static_cast<std::uint32_t>(v) << (18 - 6 * k);
    }
    out->push_back(static_cast<char>(group >> 16));
    if (pad < 2) out->push_back(static_cast<char>((group >> 8) & 0xFF));
    if (pad < 1) out->push_back(static_cast<char>(group & 0xFF));
  }
  return true;
}

TEST(Base64, DecodesTheVectorsAlphabetAndPadding) {
  std::string s;
  ASSERT_TRUE(base64_decode("eydmb28nOidiYXInfQ==", &s));
  EXPECT_EQ(s, "{'foo':'bar'}");
  ASSERT_TRUE(base64_decode("YWJj", &s));
  EXPECT_EQ(s, "abc");
  ASSERT_TRUE(base64_decode("YWI=", &s));
  EXPECT_EQ(s, "ab");
  ASSERT_TRUE(base64_decode("", &s));
  EXPECT_EQ(s, "");
  EXPECT_FALSE(base64_decode("YW=I", &s));
  EXPECT_FALSE(base64_decode("YWJ", &s));
  EXPECT_FALSE(base64_decode("YW*j", &s));
}

// ---------------------------------------------------------------------------
// Decoded messages, owned so they outlive the handler call

struct OwnedHeader {
  std::string name;
  HeaderType type = HeaderType::kBoolTrue;
  std::int64_t integer = 0;
  std::string bytes;
  bool operator==(const OwnedHeader& o) const {
    return name == o.name && type == o.type && integer == o.integer && bytes == o.bytes;
  }
};

struct OwnedMessage {
  std::uint32_t total_length = 0, headers_length = 0, prelude_crc = 0, message_crc = 0;
  std::vector<OwnedHeader> headers;
  std::string payload;
  bool operator==(const OwnedMessage& o) const {
    return total_length == o.total_length && headers_length == o.headers_length &&
           prelude_crc == o.prelude_crc && message_crc == o.message_crc && headers == o.headers &&
           payload == o.payload;
  }
  // Views for encode(), valid while this object lives.
  std::vector<Header> views() const {
    std::vector<Header> v;
    for (const OwnedHeader& h : headers) v.push_back(Header{h.name, h.type, h.integer, h.bytes});
    return v;
  }
};

void PrintTo(const OwnedMessage& m, std::ostream* os) {
  *os << "{total " << m.total_length << ", headers_length " << m.headers_length << ", prelude_crc "
      << m.prelude_crc << ", message_crc " << m.message_crc << ", headers [";
  for (const OwnedHeader& h : m.headers) {
    *os << " " << h.name << ":" << static_cast<int>(h.type) << "=" << h.integer << "/"
        << h.bytes.size() << "B";
  }
  *os << " ], payload " << m.payload.size() << "B}";
}

OwnedMessage own(const Message& m) {
  OwnedMessage o;
  o.total_length = m.total_length;
  o.headers_length = m.headers_length;
  o.prelude_crc = m.prelude_crc;
  o.message_crc = m.message_crc;
  for (std::size_t i = 0; i < m.header_count; ++i) {
    const Header& h = m.headers[i];
    o.headers.push_back(OwnedHeader{std::string(h.name), h.type, h.integer, std::string(h.bytes)});
  }
  o.payload = std::string(m.payload);
  return o;
}

class Recorder : public MessageHandler {
 public:
  Status on_message(const Message& m) override {
    messages.push_back(own(m));
    return Status();
  }
  std::vector<OwnedMessage> messages;
};

// The JSON description of a positive vector, as an OwnedMessage.
OwnedMessage expected_from_json(const std::string& name) {
  OwnedMessage m;
  const std::string text = read_text(vectors_dir() / "decoded" / "positive" / name);
  cJSON* root = cJSON_Parse(text.c_str());
  EXPECT_NE(root, nullptr) << name << ": bad JSON";
  if (root == nullptr) return m;
  auto number = [&](cJSON* obj, const char* key) -> std::int64_t {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
    EXPECT_TRUE(cJSON_IsNumber(item)) << name << ": " << key;
    return cJSON_IsNumber(item) ? static_cast<std::int64_t>(item->valuedouble) : 0;
  };
  auto base64 = [&](const cJSON* item) {
    std::string out;
    EXPECT_TRUE(cJSON_IsString(item) && base64_decode(item->valuestring, &out)) << name;
    return out;
  };
  m.total_length = static_cast<std::uint32_t>(number(root, "total_length"));
  m.headers_length = static_cast<std::uint32_t>(number(root, "headers_length"));
  // The CRCs are written as signed 32-bit integers (-44921766 is 0xFD528C5A).
  m.prelude_crc = static_cast<std::uint32_t>(static_cast<std::int32_t>(number(root, "prelude_crc")));
  m.message_crc = static_cast<std::uint32_t>(static_cast<std::int32_t>(number(root, "message_crc")));
  m.payload = base64(cJSON_GetObjectItemCaseSensitive(root, "payload"));
  const cJSON* headers = cJSON_GetObjectItemCaseSensitive(root, "headers");
  EXPECT_TRUE(cJSON_IsArray(headers)) << name;
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, headers) {
    OwnedHeader h;
    const cJSON* hname = cJSON_GetObjectItemCaseSensitive(item, "name");
    EXPECT_TRUE(cJSON_IsString(hname)) << name;
    if (cJSON_IsString(hname)) h.name = hname->valuestring;
    const auto type = number(const_cast<cJSON*>(item), "type");
    EXPECT_TRUE(type >= 0 && type <= 9) << name << ": type " << type;
    h.type = static_cast<HeaderType>(type);
    const cJSON* value = cJSON_GetObjectItemCaseSensitive(item, "value");
    switch (h.type) {
      case HeaderType::kBoolTrue:
      case HeaderType::kBoolFalse:
        EXPECT_TRUE(cJSON_IsBool(value)) << name << ": " << h.name;
        EXPECT_EQ(cJSON_IsTrue(value) != 0, h.type == HeaderType::kBoolTrue) << name << ": " << h.name;
        h.integer = cJSON_IsTrue(value) ? 1 : 0;
        break;
      case HeaderType::kByte:
      case HeaderType::kInt16:
      case HeaderType::kInt32:
      case HeaderType::kInt64:
      case HeaderType::kTimestamp:
        h.integer = number(const_cast<cJSON*>(item), "value");
        break;
      case HeaderType::kBytes:
      case HeaderType::kString:
      case HeaderType::kUuid:
        h.bytes = base64(value);
        break;
    }
    m.headers.push_back(h);
  }
  cJSON_Delete(root);
  return m;
}

// ---------------------------------------------------------------------------
// Feeding

struct Outcome {
  Status feed;    // the first non-OK feed(), or OK
  Status finish;  // finish() after the last piece
  std::vector<OwnedMessage> messages;
  std::uint64_t bytes_consumed = 0;
};

// Feeds data in pieces whose sizes next_piece() picks (at least 1), stopping at
// the first error.
template <class NextPiece>
Outcome decode_in_pieces(const Bytes& data, NextPiece next_piece) {
  auto decoder = std::make_unique<Decoder>();
  Recorder recorder;
  Outcome out;
  std::size_t at = 0;
  while (at < data.size()) {
    const std::size_t n = std::min(next_piece(), data.size() - at);
    out.feed = decoder->feed(data.data() + at, n, &recorder);
    if (!out.feed.ok()) break;
    at += n;
  }
  out.finish = decoder->finish();
  out.messages = std::move(recorder.messages);
  out.bytes_consumed = decoder->bytes_consumed();
  return out;
}

Outcome decode_whole(const Bytes& data) {
  return decode_in_pieces(data, [&] { return data.size(); });
}

bool contains(const Status& s, const char* text) { return std::strstr(s.message(), text) != nullptr; }

void append(Bytes* to, const Bytes& from) { to->insert(to->end(), from.begin(), from.end()); }

// A frame with the given raw headers section and payload and correct CRCs, so
// that only the headers are wrong.
Bytes frame(const Bytes& headers, std::string_view payload) {
  const std::size_t total = 16 + headers.size() + payload.size();
  Bytes f;
  auto put32 = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  put32(static_cast<std::uint32_t>(total));
  put32(static_cast<std::uint32_t>(headers.size()));
  put32(crc32(0, f.data(), 8));
  append(&f, headers);
  f.insert(f.end(), payload.begin(), payload.end());
  put32(crc32(0, f.data(), f.size()));
  return f;
}

// A prelude with a correct CRC for the given lengths.
Bytes prelude(std::uint32_t total_length, std::uint32_t headers_length) {
  Bytes f;
  for (std::uint32_t v : {total_length, headers_length}) {
    for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  const std::uint32_t c = crc32(0, f.data(), 8);
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<std::uint8_t>(c >> shift));
  return f;
}

Bytes encode_message(const std::vector<Header>& headers, std::string_view payload) {
  std::size_t needed = 0;
  Status s = eventstream::encode(headers.data(), headers.size(), payload.data(), payload.size(),
                                 nullptr, 0, &needed);
  EXPECT_EQ(s.code(), Code::kBufferTooSmall) << s.message();
  Bytes out(needed);
  std::size_t written = 0;
  s = eventstream::encode(headers.data(), headers.size(), payload.data(), payload.size(), out.data(),
                          out.size(), &written);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(written, needed);
  return out;
}

// A Bedrock ConverseStream event.
Bytes converse_event(std::string_view event_type, std::string_view json) {
  return encode_message({Header{":event-type", HeaderType::kString, 0, event_type},
                         Header{":content-type", HeaderType::kString, 0, "application/json"},
                         Header{":message-type", HeaderType::kString, 0, "event"}},
                        json);
}

// Fixtures for the behaviour tests, built here so that those tests run the same
// whatever vector set EDGEROUTE_TESTDATA_DIR points at.
const Bytes& delta_event() {
  static const Bytes b = converse_event(
      "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefghijklmnopqrstu"})");
  return b;
}

// delta_event() with one payload byte changed: its message CRC no longer verifies.
Bytes corrupted_delta_event() {
  Bytes b = delta_event();
  // Every message is at least 16 bytes; the guard also tells GCC so (armhf
  // builds otherwise warn about a write before the start of the buffer).
  if (b.size() >= 16) b[b.size() - 10] ^= 0x01;
  return b;
}

// ---------------------------------------------------------------------------
// The shared vectors

TEST(EventStreamVectors, AreFoundAndPaired) {
  const auto positive = cases("positive");
  const auto negative = cases("negative");
  EXPECT_FALSE(positive.empty()) << "no positive vectors under " << vectors_dir();
  EXPECT_FALSE(negative.empty()) << "no negative vectors under " << vectors_dir();
  for (const char* kind : {"positive", "negative"}) {
    for (const std::string& name : cases(kind)) {
      EXPECT_TRUE(std::filesystem::exists(vectors_dir() / "decoded" / kind / name))
          << kind << "/" << name << " has no decoded form";
    }
  }
}

TEST(EventStreamVectors, PositiveDecodeToExactlyTheirJson) {
  for (const std::string& name : cases("positive")) {
    SCOPED_TRACE(name);
    const Bytes bytes = encoded("positive", name);
    const Outcome out = decode_whole(bytes);
    ASSERT_TRUE(out.feed.ok()) << out.feed.message();
    EXPECT_TRUE(out.finish.ok()) << out.finish.message();
    EXPECT_EQ(out.bytes_consumed, bytes.size());
    ASSERT_EQ(out.messages.size(), 1u);
    const OwnedMessage expected = expected_from_json(name);
    EXPECT_EQ(out.messages[0], expected);
    // The same fields one by one, for a readable failure.
    const OwnedMessage& got = out.messages[0];
    EXPECT_EQ(got.total_length, bytes.size());
    EXPECT_EQ(static_cast<std::int32_t>(got.prelude_crc), static_cast<std::int32_t>(expected.prelude_crc));
    EXPECT_EQ(static_cast<std::int32_t>(got.message_crc), static_cast<std::int32_t>(expected.message_crc));
    ASSERT_EQ(got.headers.size(), expected.headers.size());
    for (std::size_t i = 0; i < got.headers.size(); ++i) {
      EXPECT_EQ(got.headers[i].name, expected.headers[i].name) << "header " << i;
      EXPECT_EQ(got.headers[i].type, expected.headers[i].type) << "header " << i;
      EXPECT_EQ(got.headers[i].integer, expected.headers[i].integer) << "header " << i;
      EXPECT_EQ(got.headers[i].bytes, expected.headers[i].bytes) << "header " << i;
    }
    EXPECT_EQ(got.payload, expected.payload);
  }
}

TEST(EventStreamVectors, AllHeadersCoversEveryTypeIncludingANegativeByte) {
  if (!std::filesystem::exists(vectors_dir() / "encoded" / "positive" / "all_headers")) {
    GTEST_SKIP() << "this vector set has no all_headers case";
  }
  const Outcome out = decode_whole(encoded("positive", "all_headers"));
  ASSERT_TRUE(out.feed.ok()) << out.feed.message();
  ASSERT_EQ(out.messages.size(), 1u);
  std::vector<bool> seen(10, false);
  for (const OwnedHeader& h : out.messages[0].headers) seen[static_cast<std::size_t>(h.type)] = true;
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 10);
  const auto byte = std::find_if(out.messages[0].headers.begin(), out.messages[0].headers.end(),
                                 [](const OwnedHeader& h) { return h.type == HeaderType::kByte; });
  ASSERT_NE(byte, out.messages[0].headers.end());
  EXPECT_EQ(byte->integer, -49);
}

TEST(EventStreamVectors, PositiveRoundTripByteForByteThroughEncode) {
  for (const std::string& name : cases("positive")) {
    SCOPED_TRACE(name);
    const Bytes bytes = encoded("positive", name);
    const OwnedMessage m = expected_from_json(name);
    EXPECT_EQ(encode_message(m.views(), m.payload), bytes);
  }
}

TEST(EventStreamVectors, PositiveGiveTheSameResultInPiecesOfEverySize) {
  for (const std::string& name : cases("positive")) {
    SCOPED_TRACE(name);
    const Bytes bytes = encoded("positive", name);
    const Outcome whole = decode_whole(bytes);
    ASSERT_TRUE(whole.feed.ok());
    for (std::size_t piece = 1; piece <= bytes.size(); ++piece) {
      const Outcome out = decode_in_pieces(bytes, [&] { return piece; });
      ASSERT_TRUE(out.feed.ok()) << "pieces of " << piece << ": " << out.feed.message();
      ASSERT_TRUE(out.finish.ok()) << "pieces of " << piece << ": " << out.finish.message();
      ASSERT_EQ(out.messages, whole.messages) << "pieces of " << piece;
    }
    // Two pieces, cut at every position (the prelude boundary included).
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
      bool first = true;
      const Outcome out = decode_in_pieces(bytes, [&] {
        const std::size_t n = first ? cut : bytes.size();
        first = false;
        return n;
      });
      ASSERT_TRUE(out.feed.ok()) << "cut at " << cut << ": " << out.feed.message();
      ASSERT_EQ(out.messages, whole.messages) << "cut at " << cut;
    }
  }
}

TEST(EventStreamVectors, ConcatenatedPositivesDecodeInRandomPieces) {
  std::vector<OwnedMessage> expected;
  Bytes stream;
  std::vector<std::string> names = cases("positive");
  ASSERT_FALSE(names.empty());
  std::mt19937 rng(20250301);
  for (int round = 0; round < 4; ++round) {
    std::shuffle(names.begin(), names.end(), rng);
    for (const std::string& name : names) {
      append(&stream, encoded("positive", name));
      expected.push_back(expected_from_json(name));
    }
  }
  for (std::uint32_t seed = 1; seed <= 50; ++seed) {
    std::mt19937 pieces(seed);
    const std::size_t max_piece = 1 + seed * 7;  // from byte-sized to several messages
    const Outcome out = decode_in_pieces(stream, [&] { return 1 + pieces() % max_piece; });
    ASSERT_TRUE(out.feed.ok()) << "seed " << seed << ": " << out.feed.message();
    ASSERT_TRUE(out.finish.ok()) << "seed " << seed << ": " << out.finish.message();
    ASSERT_EQ(out.messages, expected) << "seed " << seed;
    EXPECT_EQ(out.bytes_consumed, stream.size());
  }
}

// The expected text names the class: "Prelude checksum mismatch" or "Message
// checksum mismatch". Both are kChecksumMismatch; the message tells them apart.
const char* expected_error_text(const std::string& name) {
  const std::string text = read_text(vectors_dir() / "decoded" / "negative" / name);
  if (text.rfind("Prelude checksum mismatch", 0) == 0) return "prelude checksum mismatch";
  if (text.rfind("Message checksum mismatch", 0) == 0) return "message checksum mismatch";
  ADD_FAILURE() << name << ": unknown error class \"" << text << "\"";
  return "";
}

TEST(EventStreamVectors, NegativeFailWithTheirErrorClassWholeAndByteAtATime) {
  for (const std::string& name : cases("negative")) {
    SCOPED_TRACE(name);
    const Bytes bytes = encoded("negative", name);
    const char* text = expected_error_text(name);
    for (std::size_t piece : {bytes.size(), std::size_t{1}, std::size_t{5}}) {
      const Outcome out = decode_in_pieces(bytes, [&] { return piece; });
      // From feed(), not finish(): a truncated-looking frame must not be awaited.
      EXPECT_EQ(out.feed.code(), Code::kChecksumMismatch) << "pieces of " << piece << ": " << out.feed.message();
      EXPECT_TRUE(contains(out.feed, text)) << "pieces of " << piece << ": " << out.feed.message();
      EXPECT_TRUE(out.messages.empty());
      EXPECT_EQ(out.finish.code(), out.feed.code()) << "finish() keeps the failure";
      EXPECT_EQ(out.bytes_consumed, 0u) << "the failing message starts at offset 0";
    }
  }
}

TEST(EventStreamVectors, PreludeClassFailsOnTheFirstTwelveBytes) {
  int checked = 0;
  for (const std::string& name : cases("negative")) {
    if (std::string_view(expected_error_text(name)) != "prelude checksum mismatch") continue;
    SCOPED_TRACE(name);
    const Bytes bytes = encoded("negative", name);
    const Bytes first12(bytes.begin(), bytes.begin() + 12);
    const Outcome out = decode_whole(first12);
    EXPECT_EQ(out.feed.code(), Code::kChecksumMismatch) << out.feed.message();
    EXPECT_TRUE(contains(out.feed, "prelude checksum mismatch")) << out.feed.message();
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no prelude-class vector found";
}

// ---------------------------------------------------------------------------
// Truncation, limits, malformed headers

TEST(EventStreamDecoder, EmptyStreamFinishesCleanly) {
  Decoder decoder;
  EXPECT_TRUE(decoder.finish().ok());
  Recorder r;
  EXPECT_TRUE(decoder.feed(nullptr, 0, &r).ok());
  EXPECT_TRUE(decoder.finish().ok());
  EXPECT_EQ(decoder.messages(), 0u);
}

TEST(EventStreamDecoder, TruncatedStreamFailsAtFinishAtEveryCut) {
  const Bytes& bytes = delta_event();
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    const Bytes part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    const Outcome out = decode_whole(part);
    ASSERT_TRUE(out.feed.ok()) << "cut " << cut << ": " << out.feed.message();
    EXPECT_TRUE(out.messages.empty());
    EXPECT_EQ(out.bytes_consumed, cut);
    EXPECT_EQ(out.finish.code(), Code::kParseError) << "cut " << cut;
    EXPECT_TRUE(contains(out.finish, "event stream: truncated: ")) << out.finish.message();
  }
  const Outcome out = decode_whole(Bytes(bytes.begin(), bytes.end() - 1));
  EXPECT_EQ(std::string(out.finish.message()),
            "event stream: truncated: " + std::to_string(bytes.size() - 1) + " of " +
                std::to_string(bytes.size()) + " bytes of a message");
  const Outcome prelude_only = decode_whole(Bytes(bytes.begin(), bytes.begin() + 5));
  EXPECT_STREQ(prelude_only.finish.message(),
               "event stream: truncated: 5 of 12 bytes of a message prelude");
}

TEST(EventStreamDecoder, TruncatedAfterCompleteMessagesStillFails) {
  const Bytes second = encode_message({Header{"a", HeaderType::kInt32, 1, {}}}, std::string(200, 'x'));
  ASSERT_EQ(second.size(), 16u + 7 + 200);
  Bytes stream = delta_event();
  stream.insert(stream.end(), second.begin(), second.begin() + 100);
  const Outcome out = decode_whole(stream);
  ASSERT_TRUE(out.feed.ok());
  EXPECT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.finish.code(), Code::kParseError);
  EXPECT_STREQ(out.finish.message(), "event stream: truncated: 100 of 223 bytes of a message");
}

TEST(EventStreamDecoder, OversizeMessageIsRefusedFromItsPrelude) {
  const auto limit = static_cast<std::uint32_t>(limits::kEventStreamMaxMessageBytes);
  const Outcome out = decode_whole(prelude(limit + 1, 0));
  EXPECT_EQ(out.feed.code(), Code::kLimitExceeded) << out.feed.message();
  EXPECT_TRUE(contains(out.feed, "kEventStreamMaxMessageBytes")) << out.feed.message();
  const Outcome huge = decode_whole(prelude(0xFFFFFFFFu, 0));
  EXPECT_EQ(huge.feed.code(), Code::kLimitExceeded) << huge.feed.message();
}

TEST(EventStreamDecoder, MessageExactlyAtTheLimitDecodesAndOneMoreByteDoesNot) {
  const std::vector<Header> headers = {Header{":event-type", HeaderType::kString, 0, "chunk"}};
  const std::size_t overhead = encode_message(headers, "").size();
  const std::string payload(limits::kEventStreamMaxMessageBytes - overhead, 'p');
  const Bytes at_limit = encode_message(headers, payload);
  ASSERT_EQ(at_limit.size(), limits::kEventStreamMaxMessageBytes);
  std::mt19937 rng(7);
  for (const std::size_t max_piece : {at_limit.size(), std::size_t{1024}, std::size_t{16384}}) {
    const Outcome out = decode_in_pieces(at_limit, [&] { return 1 + rng() % max_piece; });
    ASSERT_TRUE(out.feed.ok()) << out.feed.message();
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_EQ(out.messages[0].payload, payload);
  }
  const Bytes over = encode_message(headers, payload + "p");
  const Outcome out = decode_whole(over);
  EXPECT_EQ(out.feed.code(), Code::kLimitExceeded) << out.feed.message();
  EXPECT_TRUE(out.messages.empty());
}

std::vector<Header> numbered_headers(std::size_t count, std::vector<std::string>* names) {
  names->clear();
  for (std::size_t i = 0; i < count; ++i) names->push_back("h" + std::to_string(i));
  std::vector<Header> headers;
  for (std::size_t i = 0; i < count; ++i) {
    headers.push_back(Header{(*names)[i], HeaderType::kInt32, static_cast<std::int64_t>(i), {}});
  }
  return headers;
}

TEST(EventStreamDecoder, HeaderCountLimitIsEnforced) {
  std::vector<std::string> names;
  const Bytes at_limit = encode_message(numbered_headers(limits::kEventStreamMaxHeaders, &names), "x");
  const Outcome ok = decode_whole(at_limit);
  ASSERT_TRUE(ok.feed.ok()) << ok.feed.message();
  ASSERT_EQ(ok.messages.size(), 1u);
  ASSERT_EQ(ok.messages[0].headers.size(), limits::kEventStreamMaxHeaders);
  EXPECT_EQ(ok.messages[0].headers.back().integer,
            static_cast<std::int64_t>(limits::kEventStreamMaxHeaders - 1));

  const Bytes over = encode_message(numbered_headers(limits::kEventStreamMaxHeaders + 1, &names), "x");
  const Outcome out = decode_whole(over);
  EXPECT_EQ(out.feed.code(), Code::kLimitExceeded) << out.feed.message();
  EXPECT_TRUE(contains(out.feed, "kEventStreamMaxHeaders")) << out.feed.message();
  EXPECT_TRUE(out.messages.empty());
}

struct MalformedCase {
  const char* what;
  Bytes headers;      // the raw headers section
  const char* error;  // expected in the message
};

TEST(EventStreamDecoder, MalformedHeadersAreParseErrors) {
  const std::vector<MalformedCase> malformed = {
      {"unknown type 10", {1, 'a', 10}, "unknown type 10"},
      {"unknown type 255", {1, 'a', 255, 0, 0}, "unknown type 255"},
      {"zero-length name", {0, 0}, "zero-length name"},
      {"name past the section", {5, 'a', 'b'}, "runs past the headers section"},
      {"type byte past the section", {2, 'a', 'b'}, "runs past the headers section"},
      {"int32 cut short", {1, 'a', 4, 0, 0}, "runs past the headers section"},
      {"int64 cut short", {1, 'a', 5, 0, 0, 0, 0, 0, 0, 0}, "runs past the headers section"},
      {"string length cut short", {1, 'a', 7, 0}, "runs past the headers section"},
      {"string longer than the section", {1, 'a', 7, 0, 5, 'x', 'y'}, "runs past the headers section"},
      {"uuid cut short", {1, 'a', 9, 1, 2, 3}, "runs past the headers section"},
      {"second header bad", {1, 'a', 0, 1, 'b', 42}, "header 1 has unknown type 42"},
  };
  for (const MalformedCase& c : malformed) {
    SCOPED_TRACE(c.what);
    // The headers section is wrong while both CRCs are right, so the parser is what
    // must catch it; the payload right behind it must not be read as headers.
    const Outcome out = decode_whole(frame(c.headers, "payload"));
    EXPECT_EQ(out.feed.code(), Code::kParseError) << out.feed.message();
    EXPECT_TRUE(contains(out.feed, c.error)) << out.feed.message();
    EXPECT_TRUE(out.messages.empty());
  }
}

TEST(EventStreamDecoder, ImpossibleLengthsAreParseErrors) {
  for (std::uint32_t total : {0u, 1u, 15u}) {
    const Outcome out = decode_whole(prelude(total, 0));
    EXPECT_EQ(out.feed.code(), Code::kParseError) << total << ": " << out.feed.message();
    EXPECT_TRUE(contains(out.feed, "total_length")) << out.feed.message();
  }
  // headers_length must leave room for the message CRC.
  Bytes bad = prelude(20, 5);
  bad.resize(20, 0);
  const Outcome out = decode_whole(bad);
  EXPECT_EQ(out.feed.code(), Code::kParseError) << out.feed.message();
  EXPECT_TRUE(contains(out.feed, "headers_length")) << out.feed.message();
  const Outcome fits = decode_whole(frame(Bytes{1, 'a', 0, 1, 'b', 1}, ""));
  EXPECT_TRUE(fits.feed.ok()) << "headers filling the message up to its CRC are fine: "
                              << fits.feed.message();
}

TEST(EventStreamDecoder, SignedHeaderValuesSurviveEncodeAndDecode) {
  const std::vector<Header> headers = {
      Header{"byte min", HeaderType::kByte, -128, {}},
      Header{"byte max", HeaderType::kByte, 127, {}},
      Header{"int16 min", HeaderType::kInt16, -32768, {}},
      Header{"int32 min", HeaderType::kInt32, INT32_MIN, {}},
      Header{"int32 max", HeaderType::kInt32, INT32_MAX, {}},
      Header{"int64 min", HeaderType::kInt64, INT64_MIN, {}},
      Header{"int64 max", HeaderType::kInt64, INT64_MAX, {}},
      Header{"before 1970", HeaderType::kTimestamp, -1000, {}},
      Header{"empty bytes", HeaderType::kBytes, 0, ""},
      Header{"empty string", HeaderType::kString, 0, ""},
      Header{"binary", HeaderType::kBytes, 0, std::string_view("\0\xff\0", 3)},
  };
  const Outcome out = decode_whole(encode_message(headers, ""));
  ASSERT_TRUE(out.feed.ok()) << out.feed.message();
  ASSERT_EQ(out.messages.size(), 1u);
  ASSERT_EQ(out.messages[0].headers.size(), headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) {
    EXPECT_EQ(out.messages[0].headers[i].name, headers[i].name);
    EXPECT_EQ(out.messages[0].headers[i].type, headers[i].type) << headers[i].name;
    EXPECT_EQ(out.messages[0].headers[i].integer, headers[i].integer) << headers[i].name;
    EXPECT_EQ(out.messages[0].headers[i].bytes, headers[i].bytes) << headers[i].name;
  }
}

// ---------------------------------------------------------------------------
// Failure is sticky; reset() recovers; handler errors pass through

TEST(EventStreamDecoder, FailureIsStickyUntilReset) {
  const Bytes bad = corrupted_delta_event();
  const Bytes& good = delta_event();
  auto decoder = std::make_unique<Decoder>();
  Recorder r;
  const Status first = decoder->feed(bad.data(), bad.size(), &r);
  ASSERT_EQ(first.code(), Code::kChecksumMismatch);
  const Status again = decoder->feed(good.data(), good.size(), &r);
  EXPECT_EQ(again.code(), first.code());
  EXPECT_STREQ(again.message(), first.message());
  EXPECT_EQ(decoder->finish().code(), first.code());
  EXPECT_TRUE(r.messages.empty()) << "nothing is delivered after a failure";

  decoder->reset();
  EXPECT_EQ(decoder->messages(), 0u);
  EXPECT_EQ(decoder->bytes_consumed(), 0u);
  ASSERT_TRUE(decoder->feed(good.data(), good.size(), &r).ok());
  EXPECT_TRUE(decoder->finish().ok());
  EXPECT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(decoder->messages(), 1u);
}

TEST(EventStreamDecoder, ResetDropsAPendingPartialMessage) {
  const Bytes& good = delta_event();
  auto decoder = std::make_unique<Decoder>();
  Recorder r;
  ASSERT_TRUE(decoder->feed(good.data(), 50, &r).ok());
  EXPECT_EQ(decoder->bytes_consumed(), 50u);
  decoder->reset();
  EXPECT_TRUE(decoder->finish().ok());
  ASSERT_TRUE(decoder->feed(good.data(), good.size(), &r).ok());
  EXPECT_EQ(r.messages.size(), 1u);
}

class StopAfter : public MessageHandler {
 public:
  explicit StopAfter(std::uint64_t n) : n_(n) {}
  Status on_message(const Message&) override {
    if (++seen_ < n_) return Status();
    return Status::error(Code::kUnavailable, "handler gave up");
  }

 private:
  std::uint64_t n_;
  std::uint64_t seen_ = 0;
};

TEST(EventStreamDecoder, HandlerErrorStopsTheStreamAndSticks) {
  const Bytes& one = delta_event();
  Bytes stream;
  for (int i = 0; i < 4; ++i) append(&stream, one);
  for (std::size_t piece : {stream.size(), std::size_t{1}, std::size_t{7}}) {
    SCOPED_TRACE(piece);
    auto decoder = std::make_unique<Decoder>();
    StopAfter handler(2);
    Status s;
    for (std::size_t at = 0; at < stream.size() && s.ok(); at += piece) {
      s = decoder->feed(stream.data() + at, std::min(piece, stream.size() - at), &handler);
    }
    EXPECT_EQ(s.code(), Code::kUnavailable);
    EXPECT_STREQ(s.message(), "handler gave up");
    EXPECT_EQ(decoder->messages(), 2u);
    EXPECT_EQ(decoder->bytes_consumed(), 2 * one.size());
    EXPECT_EQ(decoder->feed(one.data(), one.size(), &handler).code(), Code::kUnavailable);
    EXPECT_EQ(decoder->messages(), 2u);
  }
}

TEST(EventStreamDecoder, BadArgumentsLeaveTheDecoderUsable) {
  const Bytes& good = delta_event();
  Decoder decoder;
  EXPECT_EQ(decoder.feed(good.data(), good.size(), nullptr).code(), Code::kInvalidArgument);
  Recorder r;
  EXPECT_EQ(decoder.feed(nullptr, 3, &r).code(), Code::kInvalidArgument);
  EXPECT_TRUE(decoder.feed(good.data(), good.size(), &r).ok());
  EXPECT_EQ(r.messages.size(), 1u);
}

TEST(EventStreamDecoder, ErrorMessagesAreOneLineAndNeverQuoteThePayload) {
  const std::string secret = "SECRET-PAYLOAD-do-not-log\nsecond line";
  Bytes bad = converse_event("contentBlockDelta", secret);
  bad[bad.size() - 10] ^= 0x01;  // a payload byte
  const Outcome out = decode_whole(bad);
  ASSERT_EQ(out.feed.code(), Code::kChecksumMismatch);
  EXPECT_TRUE(contains(out.feed, "event stream: message checksum mismatch")) << out.feed.message();
  EXPECT_FALSE(contains(out.feed, "SECRET")) << out.feed.message();
  EXPECT_EQ(std::strchr(out.feed.message(), '\n'), nullptr);
}

// ---------------------------------------------------------------------------
// Message accessors

class Capture : public MessageHandler {
 public:
  Status on_message(const Message& m) override {
    const Header* dup = m.find("dup");
    first_dup = dup != nullptr ? dup->integer : -1;
    missing = m.find("missing") == nullptr;
    event_type = std::string(m.string_header(":event-type"));
    non_string = std::string(m.string_header("dup"));
    bytes_header = std::string(m.string_header("raw"));
    return Status();
  }
  std::int64_t first_dup = 0;
  bool missing = false;
  std::string event_type, non_string, bytes_header;
};

TEST(EventStreamMessage, FindReturnsTheFirstMatchAndStringHeaderOnlyStrings) {
  const Bytes bytes = encode_message({Header{"dup", HeaderType::kInt32, 1, {}},
                                      Header{":event-type", HeaderType::kString, 0, "messageStop"},
                                      Header{"dup", HeaderType::kInt32, 2, {}},
                                      Header{"raw", HeaderType::kBytes, 0, "abc"}},
                                     "{}");
  Decoder decoder;
  Capture c;
  ASSERT_TRUE(decoder.feed(bytes.data(), bytes.size(), &c).ok());
  EXPECT_EQ(c.first_dup, 1);
  EXPECT_TRUE(c.missing);
  EXPECT_EQ(c.event_type, "messageStop");
  EXPECT_EQ(c.non_string, "");
  EXPECT_EQ(c.bytes_header, "");
}

// ---------------------------------------------------------------------------
// encode()

TEST(EventStreamEncode, ReportsTheSizeNeededAndLeavesASmallBufferUntouched) {
  const std::vector<Header> headers = {Header{"content-type", HeaderType::kString, 0, "application/json"}};
  const std::string payload = "{'foo':'bar'}";
  Bytes out(60, 0xAA);
  std::size_t written = 0;
  const Status s = eventstream::encode(headers.data(), headers.size(), payload.data(), payload.size(),
                                       out.data(), out.size(), &written);
  EXPECT_EQ(s.code(), Code::kBufferTooSmall) << s.message();
  EXPECT_EQ(written, 61u);
  EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0xAA; }));
  // The same bytes as the upstream payload_one_str_header vector.
  const std::uint8_t expected_prelude[12] = {0, 0, 0, 61, 0, 0, 0, 32, 0x07, 0xFD, 0x83, 0x96};
  const Bytes bytes = encode_message(headers, payload);
  ASSERT_EQ(bytes.size(), 61u);
  EXPECT_TRUE(std::equal(expected_prelude, expected_prelude + 12, bytes.begin()));
  std::uint32_t message_crc = 0;
  for (std::size_t i = 57; i < 61; ++i) message_crc = message_crc << 8 | bytes[i];
  EXPECT_EQ(static_cast<std::int32_t>(message_crc), -1919153999);
}

TEST(EventStreamEncode, RefusesWhatTheWireFormatCannotCarry) {
  const std::string long_name(256, 'n');
  const std::string long_value(65536, 'v');
  struct Bad {
    const char* what;
    Header header;
  };
  const std::vector<Bad> bad = {
      {"empty name", Header{"", HeaderType::kInt32, 1, {}}},
      {"256-byte name", Header{long_name, HeaderType::kInt32, 1, {}}},
      {"unknown type", Header{"a", static_cast<HeaderType>(10), 0, {}}},
      {"byte out of range", Header{"a", HeaderType::kByte, 128, {}}},
      {"int16 out of range", Header{"a", HeaderType::kInt16, 40000, {}}},
      {"int32 out of range", Header{"a", HeaderType::kInt32, std::int64_t{1} << 31, {}}},
      {"15-byte uuid", Header{"a", HeaderType::kUuid, 0, std::string_view("0123456789abcde")}},
      {"65536-byte string", Header{"a", HeaderType::kString, 0, long_value}},
  };
  for (const Bad& b : bad) {
    Bytes out(1 << 17);
    std::size_t written = 0;
    const Status s = eventstream::encode(&b.header, 1, nullptr, 0, out.data(), out.size(), &written);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << b.what << ": " << s.message();
  }
  // The largest values the format allows are fine.
  const std::string name255(255, 'n');
  const std::string value65535(65535, 'v');
  const Bytes ok = encode_message({Header{name255, HeaderType::kString, 0, value65535}}, "");
  EXPECT_EQ(ok.size(), 16u + 1 + 255 + 1 + 2 + 65535);
}

// ---------------------------------------------------------------------------
// No heap while decoding

// Counts what a ConverseStream consumer looks at, without allocating.
class CountingHandler : public MessageHandler {
 public:
  Status on_message(const Message& m) override {
    ++messages;
    if (m.string_header(":event-type") == "contentBlockDelta") ++deltas;
    payload_bytes += m.payload.size();
    return Status();
  }
  std::uint64_t messages = 0, deltas = 0, payload_bytes = 0;
};

TEST(EventStreamDecoder, FeedsWithoutAnyHeapAllocation) {
  Bytes stream;
  std::uint64_t expected_messages = 0;
  for (const std::string& name : cases("positive")) {
    append(&stream, encoded("positive", name));
    ++expected_messages;
  }
  for (int i = 0; i < 50; ++i) append(&stream, delta_event());
  expected_messages += 50;
  auto decoder = std::make_unique<Decoder>();
  CountingHandler handler;
  std::vector<Status> failures;
  failures.reserve(16);
  const Bytes bad = corrupted_delta_event();
  bool bad_rejected = false;
  std::size_t allocations = 0;
  {
    testing::AllocationScope scope;
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{1024}, stream.size()}) {
      decoder->reset();
      for (std::size_t at = 0; at < stream.size(); at += piece) {
        Status s = decoder->feed(stream.data() + at, std::min(piece, stream.size() - at), &handler);
        if (!s.ok() && failures.size() < failures.capacity()) failures.push_back(s);
      }
      Status s = decoder->finish();
      if (!s.ok() && failures.size() < failures.capacity()) failures.push_back(s);
    }
    // Failing paths format a message into the Status; that must not allocate either.
    decoder->reset();
    bad_rejected = !decoder->feed(bad.data(), bad.size(), &handler).ok();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0u);
  for (const Status& s : failures) ADD_FAILURE() << s.message();
  EXPECT_TRUE(bad_rejected);
  EXPECT_EQ(handler.messages, 4 * expected_messages);
  EXPECT_EQ(handler.deltas, 4 * 50u);
}

}  // namespace
}  // namespace edgeroute
