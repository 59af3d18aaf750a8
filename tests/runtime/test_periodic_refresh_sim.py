"""The routed client's periodic catalog refresh against the simulator: a device loop
(refresh_sim_driver) calls the EU Sonnet 4.5 profile; while it runs, the world's
EU profile gains a London destination (the control endpoint's POST /profiles); the
loop's next due refresh, run by poll(), lists it, and the next call refuses the
profile, sending nothing. The simulator and the driver are started and stopped
here; every request goes to loopback; every wait is bounded.

Run: python3 tests/runtime/test_periodic_refresh_sim.py --driver build/host/tests/runtime/refresh_sim_driver --source-dir .
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

DRIVER = None
SOURCE_DIR = None
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
EU_SONNET = "eu." + SONNET
EU = ["eu-central-1", "eu-west-1", "eu-west-3"]
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # live.json's fake key
LINE_TIMEOUT_S = 60


class PeriodicRefreshSim(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "cli"))
        import clitest
        import simtest  # bounded start, always stopped
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        with open(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "live.json")) as f:
            world = json.load(f)
        # The device's catalog: the world's profiles with the EU ones inside the EU set.
        snapshot = {"profiles": [dict(p, destination_regions=EU) if p["id"].startswith("eu.") else dict(p)
                                 for p in world["profiles"] if p.get("type") != "APPLICATION"],
                    "regions": world["regions"]}
        catalog = clitest.world_catalog(snapshot, {"eu": EU, "global": EU + ["us-east-1", "eu-west-2"]})
        catalog["regions"] = {"eu-central-1": {"country": "DE"}, "eu-west-1": {"country": "IE"},
                              "eu-west-3": {"country": "FR"}, "us-east-1": {"country": "US"},
                              "eu-west-2": {"country": "GB"}}
        self.catalog = os.path.join(self.tmp, "catalog.json")
        with open(self.catalog, "w") as f:
            json.dump(catalog, f)
        self.sim = simtest.SimProcess(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "live.json"))
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=120)
        self.settled_requests = lambda: clitest.settled_requests(self.sim)

    def start_driver(self):
        args = [DRIVER, "--model", SONNET, "--allow", "eu", "--catalog", self.catalog,
                "--ca-bundle", self.ready["ca_file"]]
        for region, r in self.ready["regions"].items():
            args += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        home = os.path.join(self.tmp, "home")
        os.makedirs(home, exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
               "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET}
        driver = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1)

        # Its lines, read on a thread that ends with its stdout.
        self.lines = queue.Queue()
        reader = threading.Thread(target=lambda: [self.lines.put(l) for l in driver.stdout] + [self.lines.put("")])
        reader.start()

        def stop():
            if driver.poll() is None:
                driver.kill()
            driver.wait(timeout=10)
            reader.join(timeout=10)
            driver.stdin.close()
            driver.stdout.close()
            driver.stderr.close()
        self.addCleanup(stop)
        return driver

    def read_line(self, driver):
        try:
            line = self.lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            self.fail("the driver said nothing within %d s" % LINE_TIMEOUT_S)
        self.assertTrue(line, "the driver exited: " + (driver.stderr.read() if driver.poll() is not None else ""))
        self.assertNotIn(SECRET, line)
        return line.rstrip("\n")

    def control(self, path, payload):
        request = urllib.request.Request(self.ready["control"]["url"] + path, data=json.dumps(payload).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def converses(self):
        return [r for r in self.settled_requests() if r["operation"] == "Converse"]

    def test_a_profile_that_gains_london_while_running_is_refused_after_the_next_refresh(self):
        driver = self.start_driver()
        first = self.read_line(driver).split()
        self.assertEqual(first[:3], ["call", "ok", EU_SONNET], first)
        self.assertIn(first[3], EU)
        # Nothing changed yet: the due refresh lists the world as the catalog has it.
        driver.stdin.write("skip\n")
        driver.stdin.flush()
        refresh = self.read_line(driver)
        self.assertTrue(refresh.startswith("refresh ok catalog refreshed: ListInferenceProfiles in "
                                           "eu-central-1, eu-west-1, eu-west-3 at "), refresh)
        self.assertEqual(self.read_line(driver).split()[:3], ["call", "ok", EU_SONNET])
        calls_before = len(self.converses())
        # The world's EU profile gains London while the device runs.
        self.control("/profiles", {"id": EU_SONNET, "destination_regions": EU + ["eu-west-2"]})
        driver.stdin.write("skip\n")
        driver.stdin.flush()
        refresh = self.read_line(driver)
        self.assertTrue(refresh.startswith("refresh ok catalog refreshed: "), refresh)
        # The model's only EU candidates now reach London: the call is refused with
        # the reason, and nothing more was sent.
        call = self.read_line(driver)
        self.assertTrue(call.startswith("call failed "), call)
        self.assertIn("destination eu-west-2 (GB) outside eu", call)
        self.assertEqual(len(self.converses()), calls_before)
        listings = [r for r in self.settled_requests() if r["operation"] == "ListInferenceProfiles"]
        self.assertEqual(sorted({r["region"] for r in listings}), EU)
        for r in listings:
            self.assertTrue(r["signature_verified"], r)
        driver.stdin.close()
        self.assertEqual(driver.wait(timeout=30), 0)


if __name__ == "__main__":
    args = sys.argv[1:]
    DRIVER = os.path.abspath(args[args.index("--driver") + 1])
    SOURCE_DIR = os.path.abspath(args[args.index("--source-dir") + 1])
    unittest.main(argv=[sys.argv[0]])
