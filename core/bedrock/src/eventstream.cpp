// Event-stream decoding and encoding.
//
// feed() has two paths. When no partial message is pending and the caller's
// bytes hold a whole message, the message is verified and delivered in place
// (the common case: curl hands over KiB-sized pieces, Bedrock events are a few
// hundred bytes). Otherwise bytes are copied into the fixed buffer until the
// message is complete. Either way a message costs one CRC pass: the message CRC
// continues from the verified prelude CRC instead of starting again at byte 0.
#include "edgeroute/eventstream.h"

#include <cstring>

#include "edgeroute/crc32.h"

namespace edgeroute {
namespace eventstream {
namespace {

constexpr std::size_t kMessageCrcBytes = 4;
constexpr std::size_t kMaxHeaderNameBytes = 255;     // name_len is a u8
constexpr std::size_t kMaxHeaderValueBytes = 65535;  // kBytes/kString lengths are u16
constexpr std::size_t kUuidBytes = 16;

static_assert(limits::kEventStreamMaxMessageBytes >= kMinMessageBytes,
              "a decoder must hold at least the smallest message");

std::uint32_t load_be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}

std::uint64_t load_be(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

void store_be(std::uint8_t* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = n; i > 0; --i) {
    p[i - 1] = static_cast<std::uint8_t>(v & 0xFFu);
    v >>= 8;
  }
}

// Sign-extends the low `bytes` bytes of v (two's complement on the wire).
std::int64_t sign_extend(std::uint64_t v, std::size_t bytes) {
  const unsigned shift = static_cast<unsigned>(64 - 8 * bytes);
  return static_cast<std::int64_t>(v << shift) >> shift;
}

std::string_view view(const std::uint8_t* p, std::size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// Bytes of a fixed-size value, or 0 for the types that carry none or a length.
std::size_t fixed_value_bytes(HeaderType type) {
  switch (type) {
    case HeaderType::kByte: return 1;
    case HeaderType::kInt16: return 2;
    case HeaderType::kInt32: return 4;
    case HeaderType::kInt64:
    case HeaderType::kTimestamp: return 8;
    case HeaderType::kUuid: return kUuidBytes;
    case HeaderType::kBoolTrue:
    case HeaderType::kBoolFalse:
    case HeaderType::kBytes:
    case HeaderType::kString: return 0;
  }
  return 0;
}

bool is_known_type(std::uint8_t type) { return type <= static_cast<std::uint8_t>(HeaderType::kUuid); }

// Reads and checks the 12-byte prelude: CRC first, so a corrupted length field is
// reported as the checksum failure it is rather than acted on. On failure sets
// *error and returns false. (The helpers report through a Status* because a Status
// carries a message buffer: building one per message on the success path would
// cost more than the parsing.)
bool read_prelude(const std::uint8_t* p, std::uint32_t* total_length,
                  std::uint32_t* headers_length, std::uint32_t* crc, Status* error) {
  const std::uint32_t stated_crc = load_be32(p + 8);
  const std::uint32_t computed_crc = edgeroute::crc32(0, p, 8);
  if (stated_crc != computed_crc) {
    *error = Status::error(Code::kChecksumMismatch,
                         "event stream: prelude checksum mismatch (stated 0x%08x, computed 0x%08x)",
                         static_cast<unsigned>(stated_crc), static_cast<unsigned>(computed_crc));
    return false;
  }
  const std::uint32_t total = load_be32(p);
  const std::uint32_t headers = load_be32(p + 4);
  if (total < kMinMessageBytes) {
    *error = Status::error(Code::kParseError,
                         "event stream: total_length %u is below the 16-byte minimum",
                         static_cast<unsigned>(total));
    return false;
  }
  if (total > limits::kEventStreamMaxMessageBytes) {
    *error = Status::error(Code::kLimitExceeded,
                         "event stream: message of %u bytes exceeds "
                         "limits::kEventStreamMaxMessageBytes (%zu)",
                         static_cast<unsigned>(total), limits::kEventStreamMaxMessageBytes);
    return false;
  }
  if (headers > total - kMinMessageBytes) {
    *error = Status::error(Code::kParseError,
                         "event stream: headers_length %u does not fit a %u-byte message",
                         static_cast<unsigned>(headers), static_cast<unsigned>(total));
    return false;
  }
  *total_length = total;
  *headers_length = headers;
  *crc = computed_crc;
  return true;
}

Status runs_past_section(std::size_t header) {
  return Status::error(Code::kParseError,
                       "event stream: header %zu runs past the headers section", header);
}

// Parses the headers section [p, end) into out (room for kEventStreamMaxHeaders).
// On failure sets *error and returns false.
bool parse_headers(const std::uint8_t* p, const std::uint8_t* end, Header* out,
                   std::size_t* count, Status* error) {
  std::size_t n = 0;
  for (; p < end; ++n) {
    if (n == limits::kEventStreamMaxHeaders) {
      *error = Status::error(Code::kLimitExceeded,
                             "event stream: more than limits::kEventStreamMaxHeaders (%zu) "
                             "headers in a message",
                             limits::kEventStreamMaxHeaders);
      return false;
    }
    const std::size_t name_bytes = *p++;
    if (name_bytes == 0) {
      *error = Status::error(Code::kParseError, "event stream: header %zu has a zero-length name", n);
      return false;
    }
    if (static_cast<std::size_t>(end - p) < name_bytes + 1) {  // the name and the type byte
      *error = runs_past_section(n);
      return false;
    }
    Header& h = out[n];
    h.name = view(p, name_bytes);
    p += name_bytes;
    const std::uint8_t type = *p++;
    if (!is_known_type(type)) {
      *error = Status::error(Code::kParseError, "event stream: header %zu has unknown type %u", n,
                             static_cast<unsigned>(type));
      return false;
    }
    h.type = static_cast<HeaderType>(type);
    h.integer = 0;
    h.bytes = std::string_view();
    std::size_t value_bytes = fixed_value_bytes(h.type);
    const std::uint8_t* value = p;
    if (h.type == HeaderType::kBytes || h.type == HeaderType::kString) {
      if (end - p < 2) {
        *error = runs_past_section(n);
        return false;
      }
      value_bytes = static_cast<std::size_t>(load_be(p, 2));
      value += 2;
    }
    if (static_cast<std::size_t>(end - value) < value_bytes) {
      *error = runs_past_section(n);
      return false;
    }
    switch (h.type) {
      case HeaderType::kBoolTrue: h.integer = 1; break;
      case HeaderType::kBoolFalse: break;
      case HeaderType::kByte:
      case HeaderType::kInt16:
      case HeaderType::kInt32:
      case HeaderType::kInt64:
      case HeaderType::kTimestamp:
        h.integer = sign_extend(load_be(value, value_bytes), value_bytes);
        break;
      case HeaderType::kBytes:
      case HeaderType::kString:
      case HeaderType::kUuid: h.bytes = view(value, value_bytes); break;
    }
    p = value + value_bytes;
  }
  *count = n;
  return true;
}

}  // namespace

const Header* Message::find(std::string_view name) const {
  for (std::size_t i = 0; i < header_count; ++i) {
    if (headers[i].name == name) return &headers[i];
  }
  return nullptr;
}

std::string_view Message::string_header(std::string_view name) const {
  const Header* h = find(name);
  return (h != nullptr && h->type == HeaderType::kString) ? h->bytes : std::string_view();
}

Decoder::Decoder() = default;

void Decoder::reset() {
  failure_ = Status();
  prelude_ = {};
  pending_bytes_ = 0;
  delivered_bytes_ = 0;
  messages_ = 0;
}

Status Decoder::stop() {
  pending_bytes_ = 0;  // bytes_consumed() now marks where the failing message starts
  return failure_;
}

bool Decoder::deliver(const std::uint8_t* message, const Prelude& prelude,
                      MessageHandler* handler) {
  const std::size_t crc_at = prelude.total_length - kMessageCrcBytes;
  const std::uint32_t stated_crc = load_be32(message + crc_at);
  // The verified prelude CRC already covers bytes 0..7.
  const std::uint32_t computed_crc = edgeroute::crc32(prelude.crc, message + 8, crc_at - 8);
  if (stated_crc != computed_crc) {
    failure_ = Status::error(Code::kChecksumMismatch,
                             "event stream: message checksum mismatch (stated 0x%08x, computed "
                             "0x%08x, message of %u bytes)",
                             static_cast<unsigned>(stated_crc), static_cast<unsigned>(computed_crc),
                             static_cast<unsigned>(prelude.total_length));
    return false;
  }
  const std::uint8_t* headers_begin = message + kPreludeBytes;
  const std::uint8_t* headers_end = headers_begin + prelude.headers_length;
  std::size_t header_count = 0;
  if (!parse_headers(headers_begin, headers_end, headers_, &header_count, &failure_)) return false;

  Message m;
  m.total_length = prelude.total_length;
  m.headers_length = prelude.headers_length;
  m.prelude_crc = prelude.crc;
  m.message_crc = stated_crc;
  m.headers = headers_;
  m.header_count = header_count;
  m.payload = view(headers_end, crc_at - kPreludeBytes - prelude.headers_length);
  ++messages_;
  delivered_bytes_ += prelude.total_length;
  Status s = handler->on_message(m);
  if (!s.ok()) {
    failure_ = s;
    return false;
  }
  return true;
}

Status Decoder::feed(const void* data, std::size_t bytes, MessageHandler* handler) {
  if (!failure_.ok()) return failure_;
  if (handler == nullptr || (data == nullptr && bytes > 0)) {
    return Status::error(Code::kInvalidArgument, "event stream: feed() needs a handler and data");
  }
  const auto* in = static_cast<const std::uint8_t*>(data);
  std::size_t left = bytes;
  while (left > 0) {
    if (pending_bytes_ == 0 && left >= kPreludeBytes) {
      Prelude p;
      if (!read_prelude(in, &p.total_length, &p.headers_length, &p.crc, &failure_)) return stop();
      if (left >= p.total_length) {
        if (!deliver(in, p, handler)) return stop();
        in += p.total_length;
        left -= p.total_length;
        continue;
      }
      // The rest of this message comes in a later feed(): keep what is here.
      prelude_ = p;
      std::memcpy(buffer_, in, left);
      pending_bytes_ = left;
      break;
    }
    // Accumulate the prelude first, then the rest of the message it announces.
    const std::size_t want = pending_bytes_ < kPreludeBytes ? kPreludeBytes : prelude_.total_length;
    const std::size_t take = want - pending_bytes_ < left ? want - pending_bytes_ : left;
    std::memcpy(buffer_ + pending_bytes_, in, take);
    pending_bytes_ += take;
    in += take;
    left -= take;
    if (pending_bytes_ == kPreludeBytes && want == kPreludeBytes &&
        !read_prelude(buffer_, &prelude_.total_length, &prelude_.headers_length, &prelude_.crc,
                      &failure_)) {
      return stop();
    }
    if (pending_bytes_ >= kPreludeBytes && pending_bytes_ == prelude_.total_length) {
      pending_bytes_ = 0;
      if (!deliver(buffer_, prelude_, handler)) return stop();
    }
  }
  return Status();
}

Status Decoder::finish() const {
  if (!failure_.ok()) return failure_;
  if (pending_bytes_ == 0) return Status();
  if (pending_bytes_ < kPreludeBytes) {
    return Status::error(Code::kParseError,
                         "event stream: truncated: %zu of %zu bytes of a message prelude",
                         pending_bytes_, kPreludeBytes);
  }
  return Status::error(Code::kParseError, "event stream: truncated: %zu of %u bytes of a message",
                       pending_bytes_, static_cast<unsigned>(prelude_.total_length));
}

Status encode(const Header* headers, std::size_t header_count, const void* payload,
              std::size_t payload_bytes, void* out, std::size_t out_capacity,
              std::size_t* written) {
  if (written == nullptr || (headers == nullptr && header_count > 0) ||
      (payload == nullptr && payload_bytes > 0)) {
    return Status::error(Code::kInvalidArgument, "event stream: encode() argument is null");
  }
  // First pass: check every header and size the message.
  std::size_t headers_bytes = 0;
  for (std::size_t i = 0; i < header_count; ++i) {
    const Header& h = headers[i];
    if (h.name.empty() || h.name.size() > kMaxHeaderNameBytes) {
      return Status::error(Code::kInvalidArgument,
                           "event stream: header %zu name must be 1..255 bytes, not %zu", i,
                           h.name.size());
    }
    if (!is_known_type(static_cast<std::uint8_t>(h.type))) {
      return Status::error(Code::kInvalidArgument, "event stream: header %zu has unknown type %u",
                           i, static_cast<unsigned>(h.type));
    }
    std::size_t value_bytes = fixed_value_bytes(h.type);
    if (h.type == HeaderType::kBytes || h.type == HeaderType::kString) {
      if (h.bytes.size() > kMaxHeaderValueBytes) {
        return Status::error(Code::kInvalidArgument,
                             "event stream: header %zu value of %zu bytes exceeds 65535", i,
                             h.bytes.size());
      }
      value_bytes = 2 + h.bytes.size();
    } else if (h.type == HeaderType::kUuid && h.bytes.size() != kUuidBytes) {
      return Status::error(Code::kInvalidArgument,
                           "event stream: header %zu UUID must be 16 bytes, not %zu", i,
                           h.bytes.size());
    } else if (value_bytes > 0 && value_bytes < 8 &&
               sign_extend(static_cast<std::uint64_t>(h.integer), value_bytes) != h.integer) {
      return Status::error(Code::kInvalidArgument,
                           "event stream: header %zu value does not fit %zu bytes", i, value_bytes);
    }
    headers_bytes += 1 + h.name.size() + 1 + value_bytes;
  }
  constexpr std::size_t kMaxWireBytes = 0xFFFFFFFFu;  // total_length is a u32
  if (headers_bytes > kMaxWireBytes - kMinMessageBytes ||
      payload_bytes > kMaxWireBytes - kMinMessageBytes - headers_bytes) {
    return Status::error(Code::kInvalidArgument,
                         "event stream: message does not fit the u32 length field");
  }
  const std::size_t total = kMinMessageBytes + headers_bytes + payload_bytes;
  *written = total;
  if (out == nullptr || out_capacity < total) {
    return Status::error(Code::kBufferTooSmall,
                         "event stream: message needs %zu bytes, buffer has %zu", total,
                         out == nullptr ? std::size_t{0} : out_capacity);
  }

  // Second pass: write.
  auto* o = static_cast<std::uint8_t*>(out);
  store_be(o, total, 4);
  store_be(o + 4, headers_bytes, 4);
  store_be(o + 8, edgeroute::crc32(0, o, 8), 4);
  std::uint8_t* p = o + kPreludeBytes;
  for (std::size_t i = 0; i < header_count; ++i) {
    const Header& h = headers[i];
    *p++ = static_cast<std::uint8_t>(h.name.size());
    std::memcpy(p, h.name.data(), h.name.size());
    p += h.name.size();
    *p++ = static_cast<std::uint8_t>(h.type);
    switch (h.type) {
      case HeaderType::kBoolTrue:
      case HeaderType::kBoolFalse: break;
      case HeaderType::kByte:
      case HeaderType::kInt16:
      case HeaderType::kInt32:
      case HeaderType::kInt64:
      case HeaderType::kTimestamp: {
        const std::size_t n = fixed_value_bytes(h.type);
        store_be(p, static_cast<std::uint64_t>(h.integer), n);
        p += n;
        break;
      }
      case HeaderType::kBytes:
      case HeaderType::kString:
        store_be(p, h.bytes.size(), 2);
        p += 2;
        [[fallthrough]];
      case HeaderType::kUuid:
        if (!h.bytes.empty()) std::memcpy(p, h.bytes.data(), h.bytes.size());
        p += h.bytes.size();
        break;
    }
  }
  if (payload_bytes > 0) std::memcpy(p, payload, payload_bytes);
  p += payload_bytes;
  store_be(p, edgeroute::crc32(0, o, total - kMessageCrcBytes), 4);
  return Status();
}

}  // namespace eventstream
}  // namespace edgeroute
