"""What the tool's simulator-backed tests share: the catalog that matches a
simulator world, and the command line every test script takes.

    python3 tests/cli/test_X.py --tool build/host/examples/edgeroute --source-dir . [unittest args]
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

# Set by main() (or by a script with its own command line): the source tree.
SOURCE_DIR = None
TOOL = None
DEMO_EU = ("eu-central-1", "eu-west-1", "eu-west-3")


class DemoWorldTest(unittest.TestCase):
    """A test class over the simulator's demo world: its faults removed and quotas
    (QUOTAS) that no test meets by accident, written with its catalog (under
    REGION_SETS) and an empty HOME into a temporary directory for the class; a fresh
    simulator per test, started within SIM_MAX_SECONDS and always stopped.
    adjust_region(region) changes each region of the world before it is written."""
    QUOTAS = {"rpm": 100000, "tpm": 100000000}
    REGION_SETS = {"eu": DEMO_EU}
    SIM_MAX_SECONDS = 120

    @classmethod
    def adjust_region(cls, region):
        pass

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        with open(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "demo.json")) as f:
            world = widen_latencies(json.load(f))
        for r in world["regions"]:
            r.pop("faults", None)
            r["quotas"] = dict(cls.QUOTAS)
            cls.adjust_region(r)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.world_path = os.path.join(cls.tmp.name, "world.json")
        with open(cls.world_path, "w") as f:
            json.dump(world, f)
        cls.catalog = os.path.join(cls.tmp.name, "catalog.json")
        with open(cls.catalog, "w") as f:
            json.dump(world_catalog(world, cls.REGION_SETS), f)
        cls.home = os.path.join(cls.tmp.name, "home")
        os.makedirs(cls.home)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        import simtest  # bounded start, always stopped
        self.sim = simtest.SimProcess(self.world_path)
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=self.SIM_MAX_SECONDS)

    def post_control(self, path, payload):
        """POST to the simulator's control endpoint (/faults, /latency, /profiles)."""
        req = urllib.request.Request(self.ready["control"]["url"] + path, data=json.dumps(payload).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def set_faults(self, region, faults):
        """POST /faults: the region's faults from now on ([] clears them)."""
        self.post_control("/faults", {"region": region, "faults": faults})


# EDGEROUTE_TEST_SLOWDOWN: how many times slower than natively the program under
# test starts and runs (a whole number, 1 when unset). The cross builds set it for
# the tests that run the ARM tool under qemu-user (tests/cli/CMakeLists.txt). It
# scales only the allowance for the program's own start-up and CPU time and the
# time a test waits for it: never a deadline given to the tool, never a count.
def slowdown():
    value = os.environ.get("EDGEROUTE_TEST_SLOWDOWN", "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"EDGEROUTE_TEST_SLOWDOWN must be a whole number >= 1, not {value!r}")
    return int(value)


def allowance(seconds):
    """`seconds` of start-up or waiting allowance, scaled by EDGEROUTE_TEST_SLOWDOWN."""
    return seconds * slowdown()


def widen_latencies(world):
    """The simulator world with each region's latency multiplied by
    EDGEROUTE_TEST_SLOWDOWN (unchanged natively): an emulated client on a loaded
    machine adds tens of milliseconds of its own to a probe's round trip, and the
    gaps between regions that the probes must rank stay well above that."""
    for r in world["regions"]:
        if "latency_ms" in r:
            r["latency_ms"] *= slowdown()
    return world


def world_catalog(world, region_sets):
    """The catalog of a simulator world: its profiles and in-region models, so that
    every endpoint the tool may reach is a simulated one (never the real AWS), and
    the given region sets ({name: [regions]})."""
    in_region = {}
    for r in world["regions"]:
        for m in r.get("models", []):
            in_region.setdefault(m, []).append(r["name"])
    return {
        "region_sets": {name: sorted(regions) for name, regions in region_sets.items()},
        "profiles": [{"id": p["id"], "model": p["id"].split(".", 1)[1], "geography": p["id"].split(".")[0],
                      "sources": {s: p["destination_regions"] for s in p["source_regions"]}}
                     for p in world["profiles"]],
        "in_region": [{"model": m, "regions": regions} for m, regions in in_region.items()],
    }


def settled_requests(sim, quiet_s=0.1, limit_s=3.0):
    """The simulator's request log once it has stopped growing: a line is written
    just after its answer, so a tool that has exited can be a moment ahead of it."""
    path = os.path.join(sim.state_dir, "requests.jsonl")
    deadline = time.monotonic() + limit_s
    last = None
    while True:
        lines = sim.requests() if os.path.exists(path) else []
        if lines == last or time.monotonic() > deadline:
            return lines
        last = lines
        time.sleep(quiet_s)


@contextlib.contextmanager
def hostile_server(source_dir, mode, *extra, ready_s=10.0):
    """tests/support/hostile_server.py in `mode` on 127.0.0.1, for one test: yields
    its endpoint URL; always stopped (and reaped) on the way out."""
    with tempfile.TemporaryDirectory(prefix="edgeroute-hostile-") as tmp:
        ready = os.path.join(tmp, "ready.json")
        script = os.path.join(source_dir, "tests", "support", "hostile_server.py")
        proc = subprocess.Popen([sys.executable, script, "--mode", mode, "--ready-file", ready,
                                 "--max-seconds", "120", *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + ready_s
            while not os.path.exists(ready):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"hostile server ({mode}) did not start: "
                                       f"{proc.stderr.read().decode(errors='replace')}")
                time.sleep(0.02)
            with open(ready) as f:
                yield f"http://127.0.0.1:{json.load(f)['port']}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stderr.close()


def main(module_globals, verbosity=2):
    """Parses --tool and --source-dir into the test module's TOOL and SOURCE_DIR,
    then runs its tests with the remaining arguments."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--source-dir", required=True)
    args, rest = parser.parse_known_args()
    global TOOL, SOURCE_DIR
    TOOL = module_globals["TOOL"] = os.path.abspath(args.tool)
    SOURCE_DIR = module_globals["SOURCE_DIR"] = os.path.abspath(args.source_dir)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=verbosity)
