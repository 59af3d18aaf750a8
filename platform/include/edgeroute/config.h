// edgeroute/config.h -- every compile-time limit of the library, in one place.
//
// Each limit has a default, a unit, and can be overridden at build time by defining
// the macro: the CMake cache variable EDGEROUTE_CONFIG_DEFINES writes the overrides
// into the generated edgeroute/build_config.h, which is installed with the library,
// so every consumer compiles against the same limits (and so the same struct
// layouts). The static_asserts at the end reject combinations that cannot work.
// Code reads the constexpr names in edgeroute::limits, never the macros.
#ifndef EDGEROUTE_CONFIG_H
#define EDGEROUTE_CONFIG_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>

#include "edgeroute/build_config.h"

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

// --- Bedrock client ----------------------------------------------------------
// Longest error message kept from a server (AWS's "message", a stream exception's
// text), bytes. Longer ones are cut at a character boundary and say how much was cut.
#ifndef EDGEROUTE_CLIENT_MAX_SERVER_MESSAGE_BYTES
#define EDGEROUTE_CLIENT_MAX_SERVER_MESSAGE_BYTES 1024
#endif

// --- Router (catalog, residency policy, probes, selection) ----------------------
// Distinct region names the catalog may mention (sources, destinations, sets), count.
// Regions are bits in a fixed mask, so this also sizes every region set.
#ifndef EDGEROUTE_ROUTER_MAX_REGIONS
#define EDGEROUTE_ROUTER_MAX_REGIONS 64
#endif
// Named region sets (geographies and user-defined sets), count.
#ifndef EDGEROUTE_ROUTER_MAX_REGION_SETS
#define EDGEROUTE_ROUTER_MAX_REGION_SETS 24
#endif
// Base models the catalog may describe, count.
#ifndef EDGEROUTE_ROUTER_MAX_MODELS
#define EDGEROUTE_ROUTER_MAX_MODELS 32
#endif
// Inference profiles the catalog may describe, count.
#ifndef EDGEROUTE_ROUTER_MAX_PROFILES
#define EDGEROUTE_ROUTER_MAX_PROFILES 64
#endif
// Source regions one inference profile may list, count (global profiles have ~25).
#ifndef EDGEROUTE_ROUTER_MAX_SOURCES_PER_PROFILE
#define EDGEROUTE_ROUTER_MAX_SOURCES_PER_PROFILE 32
#endif
// (identifier, source region) candidates across all models, count.
#ifndef EDGEROUTE_ROUTER_MAX_CANDIDATES
#define EDGEROUTE_ROUTER_MAX_CANDIDATES 512
#endif
// Candidates of one model, count; sizes the per-pick explanation.
#ifndef EDGEROUTE_ROUTER_MAX_CANDIDATES_PER_MODEL
#define EDGEROUTE_ROUTER_MAX_CANDIDATES_PER_MODEL 64
#endif
// Longest model or inference-profile identifier, bytes.
#ifndef EDGEROUTE_ROUTER_MAX_ID_BYTES
#define EDGEROUTE_ROUTER_MAX_ID_BYTES 96
#endif
// Longest region or region-set name, bytes.
#ifndef EDGEROUTE_ROUTER_MAX_NAME_BYTES
#define EDGEROUTE_ROUTER_MAX_NAME_BYTES 32
#endif
// Session keys remembered for sticky routing, count (least recently used is evicted).
#ifndef EDGEROUTE_ROUTER_STICKY_SLOTS
#define EDGEROUTE_ROUTER_STICKY_SLOTS 256
#endif

// --- Endpoint health (cooldown, circuit breaker, adaptive rate, retry budget) -----
// Buckets of a circuit breaker's sliding failure-rate window, count. Each endpoint
// keeps one breaker of about 16 bytes per bucket.
#ifndef EDGEROUTE_HEALTH_WINDOW_BUCKETS
#define EDGEROUTE_HEALTH_WINDOW_BUCKETS 10
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

constexpr std::size_t kClientMaxServerMessageBytes = EDGEROUTE_CLIENT_MAX_SERVER_MESSAGE_BYTES;

static_assert(kClientMaxServerMessageBytes >= 64 && kClientMaxServerMessageBytes <= 64u * 1024u,
              "a server's message needs room to say what went wrong, and is one line");

constexpr std::size_t kRouterMaxRegions = EDGEROUTE_ROUTER_MAX_REGIONS;
constexpr std::size_t kRouterMaxRegionSets = EDGEROUTE_ROUTER_MAX_REGION_SETS;
constexpr std::size_t kRouterMaxModels = EDGEROUTE_ROUTER_MAX_MODELS;
constexpr std::size_t kRouterMaxProfiles = EDGEROUTE_ROUTER_MAX_PROFILES;
constexpr std::size_t kRouterMaxSourcesPerProfile = EDGEROUTE_ROUTER_MAX_SOURCES_PER_PROFILE;
constexpr std::size_t kRouterMaxCandidates = EDGEROUTE_ROUTER_MAX_CANDIDATES;
constexpr std::size_t kRouterMaxCandidatesPerModel = EDGEROUTE_ROUTER_MAX_CANDIDATES_PER_MODEL;
constexpr std::size_t kRouterMaxIdBytes = EDGEROUTE_ROUTER_MAX_ID_BYTES;
constexpr std::size_t kRouterMaxNameBytes = EDGEROUTE_ROUTER_MAX_NAME_BYTES;
constexpr std::size_t kRouterStickySlots = EDGEROUTE_ROUTER_STICKY_SLOTS;

static_assert(kRouterMaxRegions >= 8 && kRouterMaxRegions <= 65535,
              "router regions are 16-bit indices; a catalog needs a handful at least");
static_assert(kRouterMaxRegionSets >= 8, "the default catalog defines eight geographies");
static_assert(kRouterMaxModels >= 1 && kRouterMaxModels <= 65535, "models are 16-bit indices");
static_assert(kRouterMaxProfiles >= 1 && kRouterMaxProfiles <= 32767,
              "profiles are signed 16-bit indices (-1 marks an in-region model ID)");
static_assert(kRouterMaxSourcesPerProfile >= 1 && kRouterMaxSourcesPerProfile <= kRouterMaxRegions,
              "a profile cannot have more sources than there are regions");
static_assert(kRouterMaxCandidates >= kRouterMaxCandidatesPerModel && kRouterMaxCandidates <= 65535,
              "candidates are 16-bit indices and hold every model's candidates");
static_assert(kRouterMaxIdBytes >= 64 && kRouterMaxIdBytes <= 255,
              "Bedrock identifiers such as us.anthropic.claude-sonnet-4-5-20250929-v1:0 must fit");
static_assert(kRouterMaxNameBytes >= 16 && kRouterMaxNameBytes <= 255,
              "region names such as ap-southeast-4 must fit");
static_assert(kRouterStickySlots >= 4, "sticky routing probes four slots per key");

constexpr std::size_t kHealthWindowBuckets = EDGEROUTE_HEALTH_WINDOW_BUCKETS;

static_assert(kHealthWindowBuckets >= 2 && kHealthWindowBuckets <= 1000,
              "a sliding window needs at least two buckets; more than 1000 wastes memory");

// (identifier, source region) pairs the metrics keep counters and latency
// histograms for, count (about 300 bytes each); calls of further pairs are counted
// as dropped. A device uses a handful.
#ifndef EDGEROUTE_METRICS_MAX_CANDIDATES
#define EDGEROUTE_METRICS_MAX_CANDIDATES 32
#endif
constexpr std::size_t kMetricsMaxCandidates = EDGEROUTE_METRICS_MAX_CANDIDATES;
static_assert(kMetricsMaxCandidates >= 1 && kMetricsMaxCandidates <= kRouterMaxCandidates,
              "metrics keep at least one pair and no more than the catalog can have");

// Every limit above folded into one number (FNV-1a): two translation units with
// the same fingerprint see the same struct layouts.
constexpr std::uint64_t layout_fingerprint_of(const std::size_t* values, std::size_t count) {
  std::uint64_t h = 14695981039346656037ull;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t v = static_cast<std::uint64_t>(values[i]);
    for (int byte = 0; byte < 8; ++byte) {
      h = (h ^ (v & 0xffu)) * 1099511628211ull;
      v >>= 8;
    }
  }
  return h;
}
constexpr std::size_t kAllLimits[] = {
    kStatusMessageBytes,       kSigv4MaxHeaders,           kSigv4MaxQueryParams,
    kSigv4MaxPathSegments,     kSigv4KeyCacheSlots,        kSigv4MaxScopePartBytes,
    kSigv4MaxAccessKeyBytes,   kEventStreamMaxMessageBytes, kEventStreamMaxHeaders,
    kClientMaxServerMessageBytes, kRouterMaxRegions,       kRouterMaxRegionSets,
    kRouterMaxModels,          kRouterMaxProfiles,         kRouterMaxSourcesPerProfile,
    kRouterMaxCandidates,      kRouterMaxCandidatesPerModel, kRouterMaxIdBytes,
    kRouterMaxNameBytes,       kRouterStickySlots,         kHealthWindowBuckets,
    sizeof(void*)};
// The limits this translation unit was compiled with.
constexpr std::uint64_t kLayoutFingerprint =
    layout_fingerprint_of(kAllLimits, sizeof kAllLimits / sizeof kAllLimits[0]);

}  // namespace limits

// The fingerprint the library itself was compiled with.
std::uint64_t library_layout_fingerprint();

// The start-up layout check: false when the program was compiled with other limits
// than the library (a -D that build_config.h does not have, or headers from another
// build), which would make the two disagree on the size of Signer, Router and
// the rest. Call it once before using the library; the tool and examples do.
inline bool layout_matches_library() { return library_layout_fingerprint() == limits::kLayoutFingerprint; }

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CONFIG_H
