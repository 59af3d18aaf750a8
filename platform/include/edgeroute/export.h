/* edgeroute/export.h -- which symbols a shared edgeroute library exports.
 *
 * The libraries build with hidden visibility (-fvisibility=hidden): only what the
 * public headers declare is part of the ABI. Each public header wraps its
 * declarations in EDGEROUTE_API_BEGIN ... EDGEROUTE_API_END, which gives them
 * default visibility; a single declaration can say EDGEROUTE_API instead. Static
 * builds and consumers see the same declarations, so nothing here depends on how
 * the library was built. C and C++. */
#ifndef EDGEROUTE_EXPORT_H
#define EDGEROUTE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define EDGEROUTE_API __attribute__((visibility("default")))
#define EDGEROUTE_API_BEGIN _Pragma("GCC visibility push(default)")
#define EDGEROUTE_API_END _Pragma("GCC visibility pop")
#else
#define EDGEROUTE_API
#define EDGEROUTE_API_BEGIN
#define EDGEROUTE_API_END
#endif

#endif /* EDGEROUTE_EXPORT_H */
