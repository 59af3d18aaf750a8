# Cross-compiling for 64-bit ARM Linux (aarch64) with Debian's cross compiler and
# multiarch -dev packages. Tests run under qemu-user through ctest.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(EDGEROUTE_TRIPLE aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
