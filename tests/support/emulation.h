// Tests that start threads cannot run under the qemu-user emulator of the build
// machine (qemu 7.2 there hangs in, or crashes on, the first pthread_create of an
// aarch64 or armhf binary: see docs/porting.md). Such a test begins with
// EDGEROUTE_SKIP_WITHOUT_THREADS(); it still runs in the host, ASan and
// no-exceptions builds, and on real ARM hardware.
#ifndef EDGEROUTE_TESTS_EMULATION_H
#define EDGEROUTE_TESTS_EMULATION_H

#include <gtest/gtest.h>

#if defined(EDGEROUTE_TESTS_UNDER_EMULATOR)
#define EDGEROUTE_SKIP_WITHOUT_THREADS() \
  GTEST_SKIP() << "threads do not start under qemu-user on the build machine"
#else
#define EDGEROUTE_SKIP_WITHOUT_THREADS() static_cast<void>(0)
#endif

#endif  // EDGEROUTE_TESTS_EMULATION_H
