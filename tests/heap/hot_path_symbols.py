"""The hot paths never call the allocator, checked on the objects the linker sees.

The allocation-counting tests prove that the paths they drive do not allocate; this
check covers every path at once: the object files of the signer (and the SHA-256
code under it), the event-stream decoder and the router's pick/report code (with
the health tables and policy they use) must not reference malloc & co., operator new/delete, or a heap-backed
std::string. Any such reference fails the check with the object and symbol named.

A negative control keeps the check honest: an object that is known to allocate
(the catalog loader, which uses cJSON and std::string at start-up) must be caught.

    python3 tests/heap/hot_path_symbols.py --nm NM OBJECT...
"""
import argparse
import os
import re
import subprocess
import sys

# Source files (by base name) whose objects make up the hot paths.
HOT_PATH_SOURCES = ["signer.cpp", "eventstream.cpp", "crc32.cpp", "router.cpp", "health.cpp", "policy.cpp",
                    # the SHA-256 the signer runs on: prepared HMAC, the hardware backends' hashing
                    # (not their Crypto adaptor, whose vtable brings the base's deleting destructor)
                    "crypto.cpp", "sha256_block.cpp", "sha256_shani.cpp", "sha256_armv8.cpp",
                    "metrics.cpp"]
# An object known to allocate: the check must flag it.
CONTROL_SOURCE = "catalog.cpp"

FORBIDDEN = [
    re.compile(r"^(malloc|calloc|realloc|free|reallocarray|posix_memalign|aligned_alloc|memalign|valloc"
               r"|strdup|strndup|__cxa_allocate_exception)(@.*)?$"),
    re.compile(r"^_Zn[wa]"),   # operator new / new[]
    re.compile(r"^_Zd[la]"),   # operator delete / delete[]
    re.compile(r"^_ZNSt7__cxx1112basic_string.*(_M_create|_M_mutate|_M_construct|reserve)"),
    re.compile(r"^cJSON_"),
]


def undefined_symbols(nm, path):
    out = subprocess.run([nm, "--undefined-only", "--format=posix", path], check=True,
                         capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def violations(nm, path):
    return [s for s in undefined_symbols(nm, path) if any(p.search(s) for p in FORBIDDEN)]


def source_of(obj):
    name = os.path.basename(obj)
    return name[:-2] if name.endswith(".o") else name[:-4] if name.endswith(".obj") else name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nm", required=True)
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()
    by_source = {}
    for obj in args.objects:
        by_source.setdefault(source_of(obj), []).append(obj)

    failed = False
    missing = [s for s in HOT_PATH_SOURCES if s not in by_source]
    if missing:
        print(f"hot_path_symbols: no object for {', '.join(missing)} (renamed? update HOT_PATH_SOURCES)")
        failed = True
    checked = 0
    for source in HOT_PATH_SOURCES:
        for obj in by_source.get(source, []):
            checked += 1
            for symbol in violations(args.nm, obj):
                print(f"hot_path_symbols: {source} references {symbol}: the hot paths must not touch the heap")
                failed = True
    control = by_source.get(CONTROL_SOURCE, [])
    if not control or not any(violations(args.nm, obj) for obj in control):
        print(f"hot_path_symbols: the control object {CONTROL_SOURCE} shows no allocator reference: "
              "the check cannot see what it looks for")
        failed = True
    print(f"hot_path_symbols: {checked} hot-path objects checked, control {'caught' if control else 'missing'}")
    print("hot_path_symbols: " + ("FAILED" if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
