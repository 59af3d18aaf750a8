# Shared part of the Debian cross toolchain files: set EDGEROUTE_TRIPLE and
# CMAKE_SYSTEM_PROCESSOR, then include this file.
set(CMAKE_C_COMPILER ${EDGEROUTE_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${EDGEROUTE_TRIPLE}-g++)

# Target libraries and headers come from the multiarch folders; programs from the host.
set(CMAKE_LIBRARY_ARCHITECTURE ${EDGEROUTE_TRIPLE})
set(CMAKE_FIND_ROOT_PATH / /usr/${EDGEROUTE_TRIPLE} /usr/lib/${EDGEROUTE_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/cmake /usr/include/x86_64-linux-gnu)

# ctest runs the target's test binaries under qemu-user with Debian's multiarch
# runtime as the root (`-L /`: /lib/ld-linux-*.so from libc6:<arch>, the
# libraries from /lib/<triple>). The cross toolchain's own root
# (/usr/<triple>, libc6-<arch>-cross) is for linking only: under qemu 7.2 the first
# pthread_create of a binary loaded from it hangs (aarch64) or crashes (armhf).
if(EDGEROUTE_TRIPLE STREQUAL "aarch64-linux-gnu")
  set(_qemu qemu-aarch64)
  set(_loader /lib/ld-linux-aarch64.so.1)
  set(_debian_arch arm64)
else()
  set(_qemu qemu-arm)
  set(_loader /lib/ld-linux-armhf.so.3)
  set(_debian_arch armhf)
endif()
find_program(EDGEROUTE_QEMU NAMES ${_qemu}-static ${_qemu})
if(EDGEROUTE_QEMU)
  if(NOT EXISTS ${_loader} OR NOT EXISTS /usr/lib/${EDGEROUTE_TRIPLE}/libstdc++.so.6)
    message(FATAL_ERROR "${EDGEROUTE_TRIPLE} tests run under ${_qemu} -L / and need Debian's "
                        "${_debian_arch} runtime: apt-get install libc6:${_debian_arch} "
                        "libstdc++6:${_debian_arch} (scripts/bootstrap does)")
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${EDGEROUTE_QEMU} -L /)
endif()

# pkg-config (used by FindCURL and others) must see the target's .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${EDGEROUTE_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
