// edgeroute/config.h -- every compile-time limit of the library, in one place.
//
// Each limit has a default, a unit, and can be overridden at build time by defining
// the macro (for example -DEDGEROUTE_SIGV4_MAX_HEADERS=32, or the CMake cache
// variable EDGEROUTE_CONFIG_DEFINES). The static_asserts at the end reject
// combinations that cannot work. Code reads the constexpr names in
// edgeroute::limits, never the macros.
#ifndef EDGEROUTE_CONFIG_H
#define EDGEROUTE_CONFIG_H

#include <cstddef>

// --- Status -------------------------------------------------------------------
// Bytes kept for an error message, including the terminating NUL. Longer messages
// are cut at a character boundary and end in "...".
#ifndef EDGEROUTE_STATUS_MESSAGE_BYTES
#define EDGEROUTE_STATUS_MESSAGE_BYTES 192
#endif

// --- SigV4 signer -------------------------------------------------------------
// Headers a request may carry into the signer (signed or not), count.
#ifndef EDGEROUTE_SIGV4_MAX_HEADERS
#define EDGEROUTE_SIGV4_MAX_HEADERS 48
#endif
// Query parameters a request may carry, count (query mode adds up to 7 of its own).
#ifndef EDGEROUTE_SIGV4_MAX_QUERY_PARAMS
#define EDGEROUTE_SIGV4_MAX_QUERY_PARAMS 48
#endif
// Path segments kept while normalizing a path, count.
#ifndef EDGEROUTE_SIGV4_MAX_PATH_SEGMENTS
#define EDGEROUTE_SIGV4_MAX_PATH_SEGMENTS 64
#endif
// Signing keys cached (one per date x region x service x credential), count.
#ifndef EDGEROUTE_SIGV4_KEY_CACHE_SLOTS
#define EDGEROUTE_SIGV4_KEY_CACHE_SLOTS 8
#endif
// Longest region or service name, bytes.
#ifndef EDGEROUTE_SIGV4_MAX_SCOPE_PART_BYTES
#define EDGEROUTE_SIGV4_MAX_SCOPE_PART_BYTES 32
#endif
// Longest access key ID, bytes.
#ifndef EDGEROUTE_SIGV4_MAX_ACCESS_KEY_BYTES
#define EDGEROUTE_SIGV4_MAX_ACCESS_KEY_BYTES 128
#endif

// --- Event-stream decoder -----------------------------------------------------
// Largest event-stream message accepted (prelude + headers + payload + CRC), bytes.
// Bedrock's stream events are small; AWS's protocol maximum is 16 MiB.
#ifndef EDGEROUTE_EVENTSTREAM_MAX_MESSAGE_BYTES
#define EDGEROUTE_EVENTSTREAM_MAX_MESSAGE_BYTES (128u * 1024u)
#endif
// Headers one event-stream message may carry, count.
#ifndef EDGEROUTE_EVENTSTREAM_MAX_HEADERS
#define EDGEROUTE_EVENTSTREAM_MAX_HEADERS 32
#endif

namespace edgeroute {
namespace limits {

constexpr std::size_t kStatusMessageBytes = EDGEROUTE_STATUS_MESSAGE_BYTES;

constexpr std::size_t kSigv4MaxHeaders = EDGEROUTE_SIGV4_MAX_HEADERS;
constexpr std::size_t kSigv4MaxQueryParams = EDGEROUTE_SIGV4_MAX_QUERY_PARAMS;
constexpr std::size_t kSigv4MaxPathSegments = EDGEROUTE_SIGV4_MAX_PATH_SEGMENTS;
constexpr std::size_t kSigv4KeyCacheSlots = EDGEROUTE_SIGV4_KEY_CACHE_SLOTS;
constexpr std::size_t kSigv4MaxScopePartBytes = EDGEROUTE_SIGV4_MAX_SCOPE_PART_BYTES;
constexpr std::size_t kSigv4MaxAccessKeyBytes = EDGEROUTE_SIGV4_MAX_ACCESS_KEY_BYTES;

constexpr std::size_t kEventStreamMaxMessageBytes = EDGEROUTE_EVENTSTREAM_MAX_MESSAGE_BYTES;
constexpr std::size_t kEventStreamMaxHeaders = EDGEROUTE_EVENTSTREAM_MAX_HEADERS;

static_assert(kStatusMessageBytes >= 64, "status messages need room to name the problem");
static_assert(kSigv4MaxHeaders >= 4, "a signed request needs host, x-amz-date, and a few more");
static_assert(kSigv4MaxQueryParams >= 8, "query signing adds 7 parameters of its own");
static_assert(kSigv4KeyCacheSlots >= 1, "the signing-key cache needs at least one slot");
static_assert(kSigv4MaxScopePartBytes >= 16, "region names such as ap-southeast-2 must fit");
static_assert(kEventStreamMaxMessageBytes >= 16, "the smallest event-stream message is 16 bytes");
static_assert(kEventStreamMaxMessageBytes <= 16u * 1024u * 1024u,
              "the event-stream protocol caps a message at 16 MiB");
static_assert(kEventStreamMaxHeaders >= 4, "Bedrock events carry three or four headers");

}  // namespace limits
}  // namespace edgeroute

#endif  // EDGEROUTE_CONFIG_H
