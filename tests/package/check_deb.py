"""The Debian package a build makes (examples/edgeroute/packaging, CPack): built
with `cpack -G DEB` from the build tree, then read back with dpkg-deb. Checks the
architecture it claims, that dpkg-shlibdeps found the libraries the tool links,
that it holds the tool, the libraries, the headers and the systemd unit, that the
unit passes `systemd-analyze verify` (when systemd-analyze is there), and, for a
package of the build machine's own architecture, that the packaged tool runs.

    python3 tests/package/check_deb.py --build-dir build/host --cxx /usr/bin/c++ --work-dir DIR
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def run(cmd, timeout=600, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, **kw)
    if p.returncode != 0:
        sys.exit(f"check_deb: {' '.join(cmd)} exited {p.returncode}:\n{p.stdout}")
    return p.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--cxx", required=True, help="the build's C++ compiler: its target names the architecture")
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()

    # The Debian architecture of the compiler's target, as dpkg itself maps it.
    triple = run([args.cxx, "-dumpmachine"]).strip()
    args.arch = run(["dpkg-architecture", "-t", triple, "-qDEB_HOST_ARCH"]).strip()
    config = os.path.join(args.build_dir, "CPackConfig.cmake")
    if not os.path.exists(config):
        sys.exit(f"check_deb: {config} is missing: the build did not configure CPack")
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    run(["cpack", "-G", "DEB", "--config", config, "-B", args.work_dir])
    debs = [f for f in os.listdir(args.work_dir) if f.endswith(".deb")]
    if len(debs) != 1:
        sys.exit(f"check_deb: expected one .deb in {args.work_dir}, found {debs}")
    deb = os.path.join(args.work_dir, debs[0])
    errors = []

    def field(name):
        return run(["dpkg-deb", "-f", deb, name]).strip()

    if field("Package") != "edgeroute":
        errors.append(f"Package is '{field('Package')}', not 'edgeroute'")
    if field("Architecture") != args.arch:
        errors.append(f"Architecture is '{field('Architecture')}', the build targets '{args.arch}'")
    if not debs[0].endswith(f"_{args.arch}.deb"):
        errors.append(f"file name {debs[0]} does not end in _{args.arch}.deb")
    depends = field("Depends")
    for lib in ("libcurl", "libmbedcrypto", "libcjson", "libc6"):
        if lib not in depends:
            errors.append(f"Depends does not name {lib} (dpkg-shlibdeps): '{depends}'")

    contents = run(["dpkg-deb", "-c", deb])
    paths = set(re.findall(r"\s\./(\S+)$", contents, re.M))
    wanted = ["usr/bin/edgeroute", "usr/lib/systemd/system/edgeroute-serve.service",
              "usr/include/edgeroute/runtime.h", "usr/include/edgeroute/edgeroute.h",
              "usr/include/edgeroute/build_config.h", "usr/share/doc/edgeroute/operating.md",
              "usr/share/doc/edgeroute/greengrass-recipe.yaml"]
    for w in wanted:
        if w not in paths:
            errors.append(f"the package lacks /{w}")
    if not any(re.match(r"usr/lib/(\S+/)?libedgeroute_runtime\.(a|so)", p) for p in paths):
        errors.append("the package lacks libedgeroute_runtime")
    if any("/home/" in p or "/work/" in p or "/tmp/" in p for p in paths):
        errors.append("the package holds build-machine paths")

    with tempfile.TemporaryDirectory(prefix="edgeroute-deb-") as root:
        run(["dpkg-deb", "-x", deb, root])
        tool = os.path.join(root, "usr", "bin", "edgeroute")
        host_arch = run(["dpkg", "--print-architecture"]).strip()
        if args.arch == host_arch and os.path.exists(tool):
            out = run([tool, "version"], timeout=30)
            if not out.startswith("edgeroute "):
                errors.append(f"the packaged tool's version output is '{out.strip()}'")
        unit = os.path.join(root, "usr", "lib", "systemd", "system", "edgeroute-serve.service")
        if shutil.which("systemd-analyze") and os.path.exists(unit) and os.path.exists(tool):
            # verify checks that ExecStart's program exists: point it at the unpacked one.
            with open(unit) as f:
                text = f.read()
            checked = os.path.join(root, "edgeroute-serve.service")
            with open(checked, "w") as f:
                f.write(text.replace("/usr/bin/edgeroute", tool))
            p = subprocess.run(["systemd-analyze", "verify", "--man=no", checked], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=60)
            if p.returncode != 0:
                errors.append(f"systemd-analyze verify: {p.stdout.strip()}")

    if errors:
        sys.exit("check_deb: " + debs[0] + ":\n  " + "\n  ".join(errors))
    print(f"check_deb: {debs[0]}: {len(paths)} paths, Depends: {depends}")


if __name__ == "__main__":
    main()
