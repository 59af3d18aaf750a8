"""Nearest by default: routed calls in latency mode probe each allowed endpoint once
before the first call, keep the results in a probe state file between runs, and
`--no-probe` keeps catalog order. Against the simulator's demo world, where the
first EU source in catalog order (eu-central-1) has twice the latency of eu-west-1.

Run: python3 tests/cli/test_nearest_cli.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import clitest

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
LATENCY_MS = {"eu-central-1": 80, "eu-west-1": 40, "eu-west-3": 160}
CALLS = 20
RUN_TIMEOUT_S = 120


class NearestByDefault(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.state_dir = os.path.join(self.tmp, "state")
        self.state_file = os.path.join(self.state_dir, "probes.json")
        with open(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "demo.json")) as f:
            world = json.load(f)
        for r in world["regions"]:
            r.pop("faults", None)
            r["quotas"] = {"rpm": 100000, "tpm": 100000000}
            if r["name"] in LATENCY_MS:
                r["latency_ms"], r["jitter_ms"] = LATENCY_MS[r["name"]], 0
        world_path = os.path.join(self.tmp, "world.json")
        with open(world_path, "w") as f:
            json.dump(world, f)
        self.catalog = os.path.join(self.tmp, "catalog.json")
        with open(self.catalog, "w") as f:
            json.dump(clitest.world_catalog(world, {"eu": EU}), f)
        import simtest  # bounded start, always stopped
        self.sim = simtest.SimProcess(world_path)
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=120)

    def converse(self, *args, env=None):
        cmd = [TOOL, "converse", "--model", HAIKU, "--allow", "eu", "--catalog", self.catalog,
               "--ca-bundle", self.ready["ca_file"], "--deadline-ms", "20000", "--repeat", str(CALLS),
               "--prompt", "Which region are you in?", *args]
        for region, r in self.ready["regions"].items():
            cmd += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                   "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        run_env.update(env or {})
        p = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def log(self):
        return clitest.settled_requests(self.sim)

    def calls_and_probes(self, since=0):
        log = self.log()[since:]
        calls = [r["region"] for r in log if r["operation"] == "Converse"]
        probes = [r["region"] for r in log if r["operation"] is None]
        self.assertTrue(set(calls + probes) <= EU, log)  # nothing outside the policy, probes included
        return calls, probes

    def write_state(self, samples):
        os.makedirs(self.state_dir, exist_ok=True)
        with open(self.state_file, "w") as f:
            json.dump({"format": "edgeroute-probe-state/1", "regions": samples}, f)

    def sample(self, region, rtt_us, age_s):
        now_ms = int(time.time() * 1000)
        r = self.ready["regions"][region]
        return {"region": region, "endpoint": f"{r['host']}:{r['port']}", "rtt_us": rtt_us,
                "measured_unix_ms": now_ms - age_s * 1000, "expires_unix_ms": now_ms - age_s * 1000 + 1800 * 1000}

    def test_calls_go_to_the_nearer_region_without_probe_flags(self):
        self.converse("--state-dir", self.state_dir)
        calls, probes = self.calls_and_probes()
        self.assertEqual(calls, ["eu-west-1"] * CALLS)
        self.assertEqual(set(probes), EU)  # each allowed endpoint probed (cold + one warm GET)
        self.assertLessEqual(len(probes), 2 * len(EU))
        with open(self.state_file) as f:
            state = json.load(f)
        self.assertEqual(state["format"], "edgeroute-probe-state/1")
        self.assertEqual({s["region"] for s in state["regions"]}, EU)
        rtt = {s["region"]: s["rtt_us"] for s in state["regions"]}
        self.assertLess(rtt["eu-west-1"], rtt["eu-central-1"])
        for s in state["regions"]:
            self.assertEqual(s["expires_unix_ms"] - s["measured_unix_ms"], 30 * 60 * 1000)

    def test_a_second_run_reuses_the_state_file(self):
        self.converse("--state-dir", self.state_dir)
        before = len(self.log())
        self.converse("--state-dir", self.state_dir)
        calls, probes = self.calls_and_probes(since=before)
        self.assertEqual(probes, [])
        self.assertEqual(calls, ["eu-west-1"] * CALLS)

    def test_the_state_file_decides_while_fresh(self):
        # A fresh file that says eu-west-3 is nearest is believed: no probes.
        self.write_state([self.sample("eu-central-1", 90000, 60), self.sample("eu-west-1", 50000, 60),
                          self.sample("eu-west-3", 1000, 60)])
        self.converse("--state-dir", self.state_dir)
        calls, probes = self.calls_and_probes()
        self.assertEqual(probes, [])
        self.assertEqual(calls, ["eu-west-3"] * CALLS)

    def test_an_expired_state_file_is_probed_again(self):
        # The same claim measured 31 minutes ago: past the 30-minute expiry.
        self.write_state([self.sample("eu-central-1", 90000, 31 * 60), self.sample("eu-west-1", 50000, 31 * 60),
                          self.sample("eu-west-3", 1000, 31 * 60)])
        self.converse("--state-dir", self.state_dir)
        calls, probes = self.calls_and_probes()
        self.assertEqual(set(probes), EU)
        self.assertEqual(calls, ["eu-west-1"] * CALLS)

    def test_a_corrupt_state_file_is_a_note_and_a_new_probe(self):
        os.makedirs(self.state_dir)
        with open(self.state_file, "w") as f:
            f.write('{"format": "edgeroute-probe-state/1", "regions": [')
        p = self.converse("--state-dir", self.state_dir)
        notes = [line for line in p.stderr.splitlines() if "note:" in line]
        self.assertEqual(len(notes), 1, p.stderr)
        self.assertIn("probe state file " + self.state_file + ": not JSON; probing again", notes[0])
        calls, probes = self.calls_and_probes()
        self.assertEqual(set(probes), EU)
        self.assertEqual(calls, ["eu-west-1"] * CALLS)
        with open(self.state_file) as f:
            self.assertEqual(len(json.load(f)["regions"]), len(EU))  # replaced by a good one

    def test_the_xdg_state_directory_is_the_default(self):
        xdg = os.path.join(self.tmp, "xdg")
        self.converse(env={"XDG_STATE_HOME": xdg})
        self.assertTrue(os.path.exists(os.path.join(xdg, "edgeroute", "probes.json")))
        self.converse()  # without XDG_STATE_HOME: ~/.local/state
        self.assertTrue(os.path.exists(os.path.join(self.home, ".local", "state", "edgeroute", "probes.json")))

    def test_no_probe_keeps_catalog_order(self):
        self.converse("--no-probe", "--state-dir", self.state_dir)
        calls, probes = self.calls_and_probes()
        self.assertEqual(probes, [])
        self.assertEqual(calls, ["eu-central-1"] * CALLS)
        self.assertFalse(os.path.exists(self.state_file))


if __name__ == "__main__":
    clitest.main(globals())
