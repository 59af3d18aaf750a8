"""Routed calls: `edgeroute converse` / `invoke` with --allow and no --region, against
the Bedrock simulator's demo world (tests/sim/worlds/demo.json) and a catalog built
from that world. Each test runs its own simulator and checks the simulator's request
log: no request ever reached a region outside the allowed set, nor was served there.

Run: python3 tests/cli/test_routed_converse.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import clitest

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
EU_SONNET = "eu." + SONNET
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
# The demo world's fake keys.
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"



class RoutedConverse(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        cls.world_path = os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "demo.json")
        with open(cls.world_path) as f:
            world = json.load(f)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.catalog = os.path.join(cls.tmp.name, "catalog.json")
        with open(cls.catalog, "w") as f:
            json.dump(clitest.world_catalog(world, {"eu": EU}), f)
        cls.home = os.path.join(cls.tmp.name, "home")
        os.makedirs(cls.home)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        import simtest  # the simulator's own helper: bounded start, always stopped
        self.sim = simtest.SimProcess(self.world_path)
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=120)

    def env(self, **extra):
        # Only what the test sets: no proxy, no real ~/.aws, no ambient region.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        env.update(extra)
        return env

    def tool(self, *args, stdin=None, catalog=True):
        """Runs the tool with every simulated region reachable: what keeps a call
        in the allowed set is the router and the policy, not the connection flags."""
        connection = ["--ca-bundle", self.ready["ca_file"], "--deadline-ms", "10000"]
        if catalog:
            connection += ["--catalog", self.catalog]
        for region, r in self.ready["regions"].items():
            connection += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        p = subprocess.run([TOOL, *args, *connection], env=self.env(), input=stdin, capture_output=True,
                           text=True, timeout=60)
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        return p

    def converse(self, model, *args, catalog=True):
        return self.tool("converse", "--model", model, "--prompt", "Which region are you in?", *args,
                         catalog=catalog)

    def requests(self):
        return clitest.settled_requests(self.sim)

    def assert_only(self, allowed):
        """Every logged request went to an allowed endpoint and was served inside the set."""
        for r in self.requests():
            self.assertIn(r["region"], allowed, r)
            if r.get("served_region"):
                self.assertIn(r["served_region"], allowed, r)

    def test_allow_eu_with_probes_serves_from_the_nearest_eu_region(self):
        p = self.converse(SONNET, "--allow", "eu", "--probe", "--json", "--repeat", "3")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(lines), 3, p.stdout)
        for out in lines:
            self.assertIsNone(out["error"])
            # The model has no in-region ID here: the EU profile, called in Frankfurt (12 ms).
            self.assertEqual(out["route"], {"identifier": EU_SONNET, "source_region": "eu-central-1",
                                            "endpoint": "bedrock-runtime.eu-central-1.amazonaws.com"})
            self.assertEqual([(a["identifier"], a["source_region"]) for a in out["attempts"]],
                             [(EU_SONNET, "eu-central-1")])
            self.assertRegex(out["text"], r"Hello from eu-(central-1|west-1|west-3)")
        calls = [r for r in self.requests() if r.get("operation") == "Converse"]
        self.assertEqual(len(calls), 3)
        self.assertTrue(all(r["identifier"] == EU_SONNET for r in calls), calls)
        self.assert_only(EU)

    def test_a_profile_id_stands_for_its_model_family(self):
        # The US profile is named, but the policy allows only EU: the router picks.
        p = self.converse("us." + SONNET, "--allow", "eu", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["route"]["identifier"], EU_SONNET)
        self.assertIn(out["route"]["source_region"], EU)
        self.assert_only(EU)

    def test_region_level_policy_uses_the_in_region_id(self):
        p = self.converse(HAIKU, "--allow", "eu-west-3", "--json", "--session", "conversation-1", "--repeat", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        for line in p.stdout.splitlines():
            out = json.loads(line)
            self.assertIsNone(out["error"])
            self.assertEqual(out["route"], {"identifier": HAIKU, "source_region": "eu-west-3",
                                            "endpoint": "bedrock-runtime.eu-west-3.amazonaws.com"})
            self.assertIn("Hello from eu-west-3", out["text"])
        # Two calls (the first call's probes, operation null, are not calls).
        self.assertEqual(len([r for r in self.requests() if r.get("operation")]), 2)
        self.assert_only({"eu-west-3"})

    def test_region_level_policy_without_an_in_region_id_fails_in_one_line(self):
        p = self.converse(SONNET, "--allow", "eu-west-3", "--probe")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("--allow eu-west-3", p.stderr)
        self.assertIn(SONNET, p.stderr)
        self.assertEqual([r for r in self.requests() if r.get("operation")], [])  # nothing was sent
        self.assert_only({"eu-west-3"})

    def test_invoke_is_routed_too(self):
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                           "messages": [{"role": "user", "content": "Which region?"}]})
        p = self.tool("invoke", "--model", HAIKU, "--body", "-", "--json", "--allow", "eu-central-1", stdin=body)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["route"], {"identifier": HAIKU, "source_region": "eu-central-1",
                                        "endpoint": "bedrock-runtime.eu-central-1.amazonaws.com"})
        self.assertIn("Hello from eu-central-1", json.loads(out["body"])["content"][0]["text"])
        self.assert_only({"eu-central-1"})

    def test_region_with_allow(self):
        # An allowed region: the call goes there, under an identifier the policy allows.
        p = self.converse(HAIKU, "--allow", "eu", "--region", "eu-west-3", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["route"]["source_region"], "eu-west-3")
        # A region outside the allowed set: refused before anything is sent.
        p = self.converse(HAIKU, "--allow", "eu", "--region", "us-east-1")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("--region us-east-1 is not allowed", p.stderr)
        self.assertEqual(len(self.requests()), 1)
        self.assert_only({"eu-west-3"})

    def test_usage_errors(self):
        p = self.converse(HAIKU, catalog=False)  # neither --region nor --allow, and no AWS_REGION
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("no region", p.stderr)
        self.assertIn("--allow", p.stderr)
        for args in (["--mode", "failover"], ["--allow", "eu", "--order", "eu-west-1"],
                     ["--allow", "eu", "--region", "eu-west-1", "--mode", "failover"],
                     ["--allow", "atlantis"]):
            p = self.converse(HAIKU, *args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertEqual(self.requests(), [])


if __name__ == "__main__":
    clitest.main(globals())
