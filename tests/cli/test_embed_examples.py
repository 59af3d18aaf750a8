"""The examples in examples/embed, run as a firmware developer would run them,
against the Bedrock simulator under an EU policy: routed_converse (C++ API),
routed_converse_c (C API) and poll_loop (one thread drives calls and probes).
Each makes a routed call that the nearest EU region serves; then, with that
region throttling every request, the call still succeeds elsewhere in the EU.
The simulator's request log shows that nothing left the EU.

Run: python3 tests/cli/test_embed_examples.py --bin-dir build/host/examples/embed --source-dir .
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import clitest

BIN_DIR = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
NEAREST = "eu-central-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
EXAMPLES = ("routed_converse", "routed_converse_c")


class EmbedExamples(clitest.DemoWorldTest):
    REGION_SETS = {"eu": EU}

    def setUp(self):
        super().setUp()

    def run_example(self, name, *args, timeout=None):
        cmd = [os.path.join(BIN_DIR, name), "--model", HAIKU, "--allow", "eu", "--catalog", self.catalog,
               "--ca-bundle", self.ready["ca_file"], *args]
        for region, r in self.ready["regions"].items():
            cmd += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout or clitest.allowance(60))
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        return p

    def served(self):
        """Regions the simulator served Bedrock calls in (probes excluded)."""
        lines = clitest.settled_requests(self.sim)
        self.assertTrue(os.path.exists(os.path.join(self.sim.state_dir, "requests.jsonl")))
        for r in lines:
            self.assertIn(r["region"], EU, r)  # probes and calls alike stay in the EU
        return [(r["region"], r["status"]) for r in lines if r.get("operation")]

    def test_a_routed_call_is_served_by_the_nearest_eu_region(self):
        for name in EXAMPLES:
            with self.subTest(example=name):
                p = self.run_example(name, "--prompt", "Which region are you in?", "--probe")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(f"Hello from {NEAREST}", p.stdout)
                self.assertEqual(p.stdout.count("\n"), 1, p.stdout)
        self.assertEqual(self.served(), [(NEAREST, 200)] * len(EXAMPLES))

    def test_with_the_nearest_region_throttling_every_request_the_call_succeeds_inside_the_eu(self):
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 1.0}])
        for name in EXAMPLES:
            with self.subTest(example=name):
                p = self.run_example(name, "--prompt", "Which region are you in?", "--probe")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn(NEAREST, p.stdout)
                self.assertRegex(p.stdout, r"Hello from eu-west-[13]")
        served = self.served()
        self.assertEqual([s for s in served if s[0] == NEAREST], [(NEAREST, 429)] * len(EXAMPLES))
        self.assertEqual(len([s for s in served if s[1] == 200]), len(EXAMPLES))

    def test_a_failure_is_one_line_and_a_nonzero_exit(self):
        for name in EXAMPLES:
            with self.subTest(example=name):
                p = self.run_example(name, "--prompt", "x", "--allow", "ap-south-1")  # nothing allowed serves it
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.served(), [])

    def test_the_poll_loop_drives_calls_and_probes_on_one_thread(self):
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 1.0}])
        start = time.monotonic()
        p = self.run_example("poll_loop", "--prompt", "Which region are you in?", "--repeat", "4",
                             "--interval-ms", "700", "--probe-interval-ms", "500")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 4, p.stdout)
        for line in lines:
            self.assertRegex(line, r"^eu-west-[13]: Hello from eu-west-[13]")
        # The start-up sweep (3 rounds of 3 EU endpoints) and at least one round
        # the loop ran itself between calls.
        probes = int(p.stderr.strip().splitlines()[-1].rsplit(" ", 2)[1])
        self.assertGreater(probes, 9, p.stderr)
        self.assertLess(time.monotonic() - start, clitest.allowance(30))
        self.served()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    args, rest = parser.parse_known_args()
    BIN_DIR = os.path.abspath(args.bin_dir)
    SOURCE_DIR = clitest.SOURCE_DIR = os.path.abspath(args.source_dir)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
