"""How a routed call fails, as a user of `edgeroute converse`, `invoke` and `drill`
sees it: a call whose attempts were all consumed by fail drills, a stream that
breaks while nothing has been shown yet, output that cannot be written, and an
alert command that misbehaves. Each is a rule about the exit status and the one
line of error, checked against the Bedrock simulator; the simulator's request log
shows that nothing was sent outside the allowed regions.

The world is the demo world's regions without scheduled faults: eu-central-1 is
the nearest EU region, then eu-west-1, then eu-west-3; Claude 3 Haiku is served
in-region in each.

Run: python3 tests/cli/test_call_failures_cli.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import clitest

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
NEAREST = "eu-central-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
INVOKE_BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                          "messages": [{"role": "user", "content": "Which region?"}]})


class CallFailures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        with open(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "demo.json")) as f:
            world = json.load(f)
        for r in world["regions"]:
            r.pop("faults", None)
            r["quotas"] = {"rpm": 100000, "tpm": 100000000}
        cls.tmp = tempfile.TemporaryDirectory()
        cls.world_path = os.path.join(cls.tmp.name, "world.json")
        with open(cls.world_path, "w") as f:
            json.dump(world, f)
        cls.catalog = os.path.join(cls.tmp.name, "catalog.json")
        with open(cls.catalog, "w") as f:
            json.dump(clitest.world_catalog(world, {"eu": EU}), f)
        cls.home = os.path.join(cls.tmp.name, "home")
        os.makedirs(cls.home)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        import simtest  # bounded start, always stopped
        self.sim = simtest.SimProcess(self.world_path)
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=120)
        self.addCleanup(self.assert_only_eu)

    def set_faults(self, region, faults):
        body = json.dumps({"region": region, "faults": faults}).encode()
        req = urllib.request.Request(self.ready["control"]["url"] + "/faults", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def run_tool(self, command, *args, allow="eu", stdin=None, stdout=subprocess.PIPE, timeout=60,
                 connect_to=None, ca_bundle=None):
        """`edgeroute COMMAND --model HAIKU --allow ALLOW ARGS`, every simulated region
        reachable (only the router and the policy keep calls in the EU);
        connect_to {region: "host:port"} replaces a region's listener."""
        cmd = [TOOL, *command, "--model", HAIKU, "--allow", allow, "--catalog", self.catalog,
               "--ca-bundle", ca_bundle or self.ready["ca_file"], *args]
        for region, r in self.ready["regions"].items():
            target = (connect_to or {}).get(region, f"{r['host']}:{r['port']}")
            cmd += ["--connect-to", f"{region}={target}"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        start = time.monotonic()
        p = subprocess.run(cmd, env=env, input=stdin, stdout=stdout, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        p.elapsed = time.monotonic() - start
        self.assertNotIn(SECRET, (p.stdout or "") + p.stderr)
        return p

    def calls(self):
        return [r for r in clitest.settled_requests(self.sim) if r.get("operation")]

    def assert_only_eu(self):
        path = os.path.join(self.sim.state_dir, "requests.jsonl")
        # The simulator writes its log as it serves; no log means nothing was served.
        lines = self.sim.requests() if os.path.exists(path) else []
        for r in lines:
            self.assertIn(r["region"], EU, r)

    def drill_every_eu_region(self):
        return [a for region in sorted(EU) for a in ("--drill", f"fail:{region}:60")]

    # --- a call whose every attempt was a fail drill's ------------------------------

    def test_converse_whose_attempts_were_all_drilled_fails(self):
        p = self.run_tool(("converse", "--prompt", "Hi"), *self.drill_every_eu_region())
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertEqual(p.stdout, "")
        errors = [line for line in p.stderr.splitlines() if "drill:" not in line]
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn("gave up", errors[0])
        self.assertIn("fail drill", errors[0])
        self.assertEqual(self.calls(), [])  # nothing was sent

    def test_converse_json_whose_attempts_were_all_drilled_reports_the_error(self):
        p = self.run_tool(("converse", "--prompt", "Hi"), "--json", *self.drill_every_eu_region())
        self.assertEqual(p.returncode, 1, p.stderr)
        out = json.loads(p.stdout)
        self.assertIsNotNone(out["error"], out)
        self.assertEqual(out["error"]["type"], "transient")
        self.assertIn("fail drill", out["error"]["message"])
        self.assertEqual(out["text"], "")

    def test_invoke_whose_attempts_were_all_drilled_fails(self):
        for mode in ([], ["--json"]):
            p = self.run_tool(("invoke", "--body", "-"), *mode, *self.drill_every_eu_region(), stdin=INVOKE_BODY)
            self.assertEqual(p.returncode, 1, p.stdout)
            if mode:
                self.assertIsNotNone(json.loads(p.stdout)["error"])
            else:
                self.assertEqual(p.stdout, "")
                self.assertIn("gave up", p.stderr)
        self.assertEqual(self.calls(), [])

    def test_a_drill_on_the_only_allowed_region_reports_every_call_failed(self):
        p = self.run_tool(("drill", "--region", NEAREST, "--seconds", "30", "--repeat", "2", "--interval-ms", "1"),
                          allow=NEAREST)
        self.assertEqual(p.returncode, 1, p.stdout)
        lines = p.stdout.splitlines()
        self.assertEqual(len([line for line in lines if "FAILED" in line]), 2, p.stdout)
        self.assertRegex(lines[-1], r"^drill summary: 2 calls, 2 failed, 0 failed over; served by$")
        self.assertEqual(self.calls(), [])

    # --- probes against an endpoint that answers at once and then drips -------------

    def with_dripping_region(self, region, mode):
        """A drip server standing in for `region`; returns (connect_to, ca_bundle)."""
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "support"))
        import drip_server
        directory = tempfile.mkdtemp(dir=self.tmp.name)
        server = drip_server.DripServer(directory, region, mode=mode, interval_ms=200, max_seconds=45)
        ready = server.start()
        self.addCleanup(server.stop)
        bundle = os.path.join(directory, "bundle.pem")
        with open(bundle, "w") as out:
            for path in (self.ready["ca_file"], ready["ca_file"]):
                with open(path) as f:
                    out.write(f.read())
        return {region: f"127.0.0.1:{ready['port']}"}, bundle

    def test_a_dripping_endpoint_is_not_ranked_nearest_and_the_probes_end_in_time(self):
        # eu-west-3 is the farthest EU region; standing in for it, the drip server
        # sends its status line first of all, then a header (or body byte) every 200 ms.
        for mode in ("headers", "body"):
            with self.subTest(mode=mode):
                connect_to, bundle = self.with_dripping_region("eu-west-3", mode)
                p = self.run_tool(("converse", "--prompt", "Hi"), "--probe", "--json", "--deadline-ms", "4000",
                                  connect_to=connect_to, ca_bundle=bundle, timeout=40)
                self.assertEqual(p.returncode, 0, p.stderr)
                out = json.loads(p.stdout)
                self.assertIsNone(out["error"], out)
                self.assertIn(out["route"]["source_region"], EU - {"eu-west-3"})
                # Probes take at most half the deadline; the whole run stays near it
                # (plus start-up on a loaded machine).
                self.assertLess(p.elapsed, 4.0 + 4.0, p.stderr)
                self.assertIn("deadline", p.stderr)  # the cut-off probe is reported


if __name__ == "__main__":
    clitest.main(globals())
