// edgeroute/eventstream.h -- the AWS event-stream (application/vnd.amazon.eventstream)
// message decoder and encoder.
//
// A stream is a sequence of messages, each laid out big-endian as
//
//   total_length:u32  headers_length:u32  prelude_crc:u32   (the 12-byte prelude)
//   headers (headers_length bytes)  payload  message_crc:u32
//
// prelude_crc is CRC-32 of the first 8 bytes, message_crc CRC-32 of everything
// before it. A header is name_len:u8, name, type:u8 (HeaderType), value.
//
// Contracts:
//   - No heap, ever. A Decoder holds one message buffer of
//     limits::kEventStreamMaxMessageBytes plus a table of
//     limits::kEventStreamMaxHeaders headers (about 130 KiB with the defaults):
//     give it static storage or a member slot, not a small thread stack.
//   - Bytes may arrive in any split. A message that arrives whole in one feed() is
//     decoded in place; only a message cut across feed() calls is copied.
//   - Nothing is passed on before it is verified: the prelude CRC is checked as
//     soon as 12 bytes are in (so a corrupted length is reported as such, not
//     awaited), the message CRC before any header is parsed.
//   - A Decoder is not thread-safe; use one per stream.
//
// Errors (Status codes), all sticky until reset():
//   kChecksumMismatch  prelude or message CRC does not verify
//   kParseError        total_length < 16, headers_length > total_length - 16, a header
//                      that runs past the headers section, an unknown header type, a
//                      zero-length header name; finish() on a partial message
//   kLimitExceeded     a message larger than limits::kEventStreamMaxMessageBytes or
//                      with more than limits::kEventStreamMaxHeaders headers
//   anything else      returned by the MessageHandler, passed through unchanged
// Messages are one line and never quote payload or header bytes.
#ifndef EDGEROUTE_EVENTSTREAM_H
#define EDGEROUTE_EVENTSTREAM_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgeroute/config.h"
#include "edgeroute/status.h"

namespace edgeroute {
namespace eventstream {

// Size of the fixed parts of a message: the prelude and the trailing message CRC.
constexpr std::size_t kPreludeBytes = 12;
constexpr std::size_t kMinMessageBytes = kPreludeBytes + 4;

// Header value types as they appear on the wire.
enum class HeaderType : std::uint8_t {
  kBoolTrue = 0,
  kBoolFalse = 1,
  kByte = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kBytes = 6,      // u16 length + bytes
  kString = 7,     // u16 length + UTF-8 bytes (not validated)
  kTimestamp = 8,  // int64 milliseconds since the epoch
  kUuid = 9,       // 16 bytes
};

struct Header {
  std::string_view name;
  HeaderType type = HeaderType::kBoolTrue;
  // kBoolTrue/kBoolFalse: 1/0; kByte, kInt16, kInt32, kInt64: the signed value;
  // kTimestamp: milliseconds. Unused (0) for the other types.
  std::int64_t integer = 0;
  // kBytes, kString, kUuid (16 bytes): the value. Empty for the other types.
  std::string_view bytes;
};

// One verified message. Every view (header names and values, payload) points into
// the decoder's buffer or the caller's input and is valid only during
// MessageHandler::on_message: copy what must outlive it.
struct Message {
  std::uint32_t total_length = 0;
  std::uint32_t headers_length = 0;
  std::uint32_t prelude_crc = 0;
  std::uint32_t message_crc = 0;
  const Header* headers = nullptr;  // in wire order
  std::size_t header_count = 0;
  std::string_view payload;

  // The first header with that name, or nullptr.
  const Header* find(std::string_view name) const;
  // The value of the first header with that name if it is a kString header, else empty.
  std::string_view string_header(std::string_view name) const;
};

class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  // Called once per verified message, in stream order. A non-OK result stops the
  // decoder: feed() returns it and the decoder stays failed until reset().
  virtual Status on_message(const Message& m) = 0;
};

class Decoder {
 public:
  Decoder();  // fixed internal buffer of limits::kEventStreamMaxMessageBytes; no heap ever
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Consumes `bytes` bytes in any split and calls handler for every complete,
  // verified message (views valid only during the call). Returns the first error;
  // after an error the decoder stays failed (same code and message) until reset().
  // A null handler, or null data with bytes > 0, is kInvalidArgument and leaves the
  // decoder as it was.
  Status feed(const void* data, std::size_t bytes, MessageHandler* handler);

  // End of input: OK if no partial message is pending, else kParseError
  // "event stream: truncated: N of M bytes of a message". A failed decoder returns
  // its error.
  Status finish() const;

  // Forgets the pending message, the error and the counters: ready for a new stream.
  void reset();

  // Messages passed to the handler since the last reset().
  std::uint64_t messages() const { return messages_; }
  // Stream bytes taken since the last reset(): every delivered message plus the
  // pending partial one. After an error it is the stream offset of the message
  // that failed (the handler's message counts as delivered).
  std::uint64_t bytes_consumed() const { return delivered_bytes_ + pending_bytes_; }

 private:
  // The prelude fields, verified.
  struct Prelude {
    std::uint32_t total_length;
    std::uint32_t headers_length;
    std::uint32_t crc;
  };

  // Verifies one complete message and passes it to the handler. On failure the
  // error is in failure_ and the result is false.
  bool deliver(const std::uint8_t* message, const Prelude& prelude, MessageHandler* handler);
  // Enters the failed state once failure_ holds the error; returns it.
  Status stop();

  Status failure_;
  Prelude prelude_ = {};            // of the pending message, once pending_bytes_ >= 12
  std::size_t pending_bytes_ = 0;   // bytes of a partial message held in buffer_
  std::uint64_t delivered_bytes_ = 0;
  std::uint64_t messages_ = 0;
  Header headers_[limits::kEventStreamMaxHeaders];
  std::uint8_t buffer_[limits::kEventStreamMaxMessageBytes];
};

// Encodes one message into out: the prelude, the headers in the given order, the
// payload, and both CRCs. Checks what the wire format itself requires (a header
// name of 1..255 bytes, a known type, a value that fits its type: kByte, kInt16,
// kInt32 in range, kBytes/kString at most 65535 bytes, kUuid exactly 16, lengths
// that fit u32), but not this build's decoder limits, so tests can produce messages
// a Decoder must refuse. For kBoolTrue/kBoolFalse the type is the value.
// *written is the message size on success and on kBufferTooSmall (the capacity
// needed); out is untouched when the message does not fit. Bad input is
// kInvalidArgument.
Status encode(const Header* headers, std::size_t header_count, const void* payload,
              std::size_t payload_bytes, void* out, std::size_t out_capacity, std::size_t* written);

}  // namespace eventstream
}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_EVENTSTREAM_H
