# Cross-compiling for 32-bit ARM Linux with hardware floating point (armhf,
# ARMv7-A) with Debian's cross compiler and multiarch -dev packages. Tests run
# under qemu-user through ctest.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(EDGEROUTE_TRIPLE arm-linux-gnueabihf)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
