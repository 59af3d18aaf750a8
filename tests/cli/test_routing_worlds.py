"""Routing against simulated worlds: `edgeroute route` and routed `converse` when
the nearest region is disallowed, under a user-defined region set, and while a
region's latency changes in the middle of a run. Each test starts its own
simulator on a world derived from the demo world (scheduled faults removed,
quotas out of the way) and ends by checking the simulator's request log: no
request, probes included, left the allowed set.

Run: python3 tests/cli/test_routing_worlds.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

import clitest

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # only through profiles in the demo world
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
STRICT_EU = {"eu-central-1", "eu-west-3"}  # leaves out eu-west-1, which the EU profile reaches
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
RUN_TIMEOUT_S = 60

# How fast the router follows a lasting latency change (docs/routing.md, "How
# fast the router follows a change"): LatencyEstimate::kConfirmSamples (3)
# samples beyond the band restart the estimate, and the next pick acts on it.
# The tool sweeps every allowed endpoint each round, so a round is one sample
# per endpoint; allow twice that for a probe in flight while the change lands.
MAX_PROBE_ROUNDS_TO_FOLLOW = 6



class RoutingWorlds(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)

    def start_world(self, latencies_ms, region_sets):
        """Start the simulator on the demo world with the given latencies (region ->
        ms, no jitter) and write the matching catalog with ``region_sets``."""
        with open(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "demo.json")) as f:
            world = json.load(f)
        for r in world["regions"]:
            r.pop("faults", None)
            r["quotas"] = {"rpm": 100000, "tpm": 100000000}
            if r["name"] in latencies_ms:
                r["latency_ms"], r["jitter_ms"] = latencies_ms[r["name"]], 0
        world_path = os.path.join(self.tmp, "world.json")
        with open(world_path, "w") as f:
            json.dump(world, f)
        self.catalog = os.path.join(self.tmp, "catalog.json")
        with open(self.catalog, "w") as f:
            json.dump(clitest.world_catalog(world, region_sets), f)
        import simtest  # bounded start, always stopped
        self.sim = simtest.SimProcess(world_path)
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=120)

    # -- the tool -------------------------------------------------------------

    def command(self, command, model, allow, *args):
        cmd = [TOOL, command, "--model", model, "--allow", allow, "--catalog", self.catalog,
               "--ca-bundle", self.ready["ca_file"], *args]
        for region, r in self.ready["regions"].items():
            cmd += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        return cmd

    def env(self):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}

    def run_tool(self, command, model, allow, *args):
        p = subprocess.run(self.command(command, model, allow, *args), env=self.env(), capture_output=True,
                           text=True, timeout=RUN_TIMEOUT_S)
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        return p

    def route_json(self, model, allow, *args):
        p = self.run_tool("route", model, allow, "--json", *args)
        out = json.loads(p.stdout)
        return p, out, {(c["identifier"], c["source_region"]): c for c in out["candidates"]}

    def converse_json(self, model, allow, *args):
        p = self.run_tool("converse", model, allow, "--probe", "--json", "--prompt", "Which region are you in?",
                          *args)
        return p, [json.loads(line) for line in p.stdout.splitlines()]

    # -- the simulator ----------------------------------------------------------

    def control(self, path, payload):
        request = urllib.request.Request(self.ready["control"]["url"] + path, data=json.dumps(payload).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertEqual(r.status, 200)
            return json.loads(r.read())

    def log(self):
        path = os.path.join(self.sim.state_dir, "requests.jsonl")
        return self.sim.requests() if os.path.exists(path) else []

    def assert_within(self, allowed, records):
        """Every request (calls and probes alike) went to an allowed region and, if
        served, was served inside it."""
        self.assertTrue(records)
        for r in records:
            self.assertIn(r["region"], allowed, r)
            if r["served_region"] is not None:
                self.assertIn(r["served_region"], allowed, r)

    def assert_calls_within(self, allowed, calls):
        for call in calls:
            self.assertIsNone(call["error"], call)
            self.assertIn(call["route"]["source_region"], allowed, call)
            for attempt in call["attempts"]:
                self.assertIn(attempt["source_region"], allowed, call)

    # -- the worlds -------------------------------------------------------------

    def test_nearest_region_disallowed_the_nearest_allowed_one_serves(self):
        # us-east-1 answers in 1 ms, the EU regions take 12, 60 and 75 ms.
        self.start_world({"us-east-1": 1, "eu-central-1": 12, "eu-west-1": 60, "eu-west-3": 75},
                         {"eu": EU, "us": {"us-east-1", "us-east-2", "us-west-2"}})
        p, out, by_key = self.route_json(HAIKU, "eu", "--probe")
        self.assertEqual(p.returncode, 0, p.stderr)
        us = by_key[(HAIKU, "us-east-1")]
        self.assertEqual((us["allowed"], us["exclusion"], us["rank"], us["chosen"]),
                         (False, "source_not_allowed", None, False))
        self.assertEqual(us["reason"], "source us-east-1 outside eu")
        self.assertIsNone(us["rtt_ms"])  # a disallowed endpoint is never probed
        ranked = sorted((c for c in out["candidates"] if c["allowed"]), key=lambda c: c["rank"])
        self.assertEqual([c["source_region"] for c in ranked], ["eu-central-1", "eu-west-1", "eu-west-3"])
        self.assertLess(ranked[0]["rtt_ms"], ranked[1]["rtt_ms"])
        self.assertEqual((out["chosen"]["identifier"], out["chosen"]["source_region"]), (HAIKU, "eu-central-1"))

        p, calls = self.converse_json(HAIKU, "eu", "--repeat", "5")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(calls), 5)
        self.assert_calls_within(EU, calls)
        self.assertEqual({c["route"]["source_region"] for c in calls}, {"eu-central-1"})
        eu_log = self.log()
        self.assert_within(EU, eu_log)
        self.assertEqual(len([r for r in eu_log if r["operation"] == "Converse"]), 5)

        # The control: with the US allowed too, the same probes find us-east-1
        # the nearest, and it is chosen. So under --allow eu only the policy kept
        # the calls away from it.
        p, out, by_key = self.route_json(HAIKU, "eu,us", "--probe")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(out["chosen"]["source_region"], "us-east-1")
        self.assertLess(by_key[(HAIKU, "us-east-1")]["rtt_ms"], by_key[(HAIKU, "eu-central-1")]["rtt_ms"])
        control_log = self.log()[len(eu_log):]
        self.assertTrue(all(r["operation"] is None for r in control_log), control_log)  # probes only
        self.assert_within(EU | {"us-east-1", "us-west-2"}, control_log)

    def test_a_user_defined_region_set_excludes_a_profile_reaching_outside_it(self):
        self.start_world({}, {"eu": EU, "strict-eu": STRICT_EU})
        # Haiku in-region: eu-central-1 and eu-west-3 are allowed, eu-west-1 is not.
        p, out, by_key = self.route_json(HAIKU, "strict-eu", "--probe")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual({c["source_region"] for c in out["candidates"] if c["allowed"]}, STRICT_EU)
        self.assertEqual(by_key[(HAIKU, "eu-west-1")]["reason"], "source eu-west-1 outside strict-eu")
        self.assertEqual(out["chosen"]["source_region"], "eu-central-1")

        # The EU Sonnet profile is excluded from every source: from those inside
        # the set because it may process the data in eu-west-1.
        sonnet_profile = "eu." + SONNET
        p, out, by_key = self.route_json(SONNET, "strict-eu", "--probe")
        self.assertEqual(p.returncode, 1)
        self.assertIsNone(out["chosen"])
        self.assertFalse(any(c["allowed"] for c in out["candidates"]))
        for source in STRICT_EU:
            entry = by_key[(sonnet_profile, source)]
            self.assertEqual(entry["exclusion"], "destination_not_allowed")
            self.assertEqual(entry["reason"], "destination eu-west-1 outside strict-eu")
        self.assertEqual(by_key[(sonnet_profile, "eu-west-1")]["exclusion"], "source_not_allowed")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

        p, calls = self.converse_json(HAIKU, "strict-eu", "--repeat", "3")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([c["route"]["source_region"] for c in calls], ["eu-central-1"] * 3)
        # With eu-central-1 throttling, the calls move to eu-west-3, not to the
        # nearer eu-west-1 that the set leaves out.
        self.control("/faults", {"region": "eu-central-1", "faults": [{"kind": "throttling"}]})
        p, calls = self.converse_json(HAIKU, "strict-eu", "--repeat", "4")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(calls), 4)
        self.assert_calls_within(STRICT_EU, calls)
        self.assertEqual({c["route"]["source_region"] for c in calls}, {"eu-west-3"})
        before = self.log()

        # A model that only the EU profile serves is refused in one line, unsent.
        p, calls = self.converse_json(SONNET, "strict-eu")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(calls, [])
        errors = p.stderr.strip().splitlines()
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn("no candidate", errors[0])
        self.assertIn("destination eu-west-1 outside", errors[0])
        after = self.log()
        self.assertEqual(after, before)  # not even a probe
        self.assert_within(STRICT_EU, after)

    def test_the_router_follows_latency_changes_within_a_few_probe_rounds(self):
        # eu-west-3 well behind eu-west-1, so that only eu-central-1's changes
        # decide the choice.
        self.start_world({"eu-central-1": 12, "eu-west-1": 60, "eu-west-3": 150}, {"eu": EU})
        raised_ms, lowered_ms = 400, 12
        cmd = self.command("converse", HAIKU, "eu", "--probe", "--probe-interval-ms", "300", "--repeat", "60",
                           "--interval-ms", "100", "--json", "--prompt", "Which region are you in?")
        stderr_path = os.path.join(self.tmp, "stderr.txt")
        with open(stderr_path, "w") as stderr_file:  # a file: a pipe nobody reads could fill up
            p = subprocess.Popen(cmd, env=self.env(), stdout=subprocess.PIPE, stderr=stderr_file, text=True)
        self.addCleanup(p.stdout.close)
        watchdog = threading.Timer(RUN_TIMEOUT_S, p.kill)  # bounded even if the tool hangs
        watchdog.start()
        self.addCleanup(watchdog.cancel)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))

        # Calls print (and flush) one JSON line as each ends. The raise comes once
        # three calls have gone to eu-central-1, the lowering once four calls in a
        # row have gone to eu-west-1.
        calls, raised_after, lowered_after = [], None, None
        for line in p.stdout:
            calls.append(json.loads(line))
            region = calls[-1]["route"]["source_region"]
            if raised_after is None and len(calls) == 3:
                self.control("/latency", {"region": "eu-central-1", "latency_ms": raised_ms})
                raised_after = len(calls)
            elif raised_after is not None and lowered_after is None and \
                    [c["route"]["source_region"] for c in calls[-4:]] == ["eu-west-1"] * 4:
                self.control("/latency", {"region": "eu-central-1", "latency_ms": lowered_ms})
                lowered_after = len(calls)
        returncode = p.wait()
        with open(stderr_path) as f:
            stderr = f.read()
        self.assertEqual(returncode, 0, stderr)
        self.assertNotIn(SECRET, stderr)
        self.assertEqual(len(calls), 60)
        self.assert_calls_within(EU, calls)
        regions = [c["route"]["source_region"] for c in calls]
        self.assertIsNotNone(lowered_after, f"never moved to eu-west-1 after the raise: {regions}")

        # Order of events: eu-central-1 first; after the raise, eu-west-1 and only
        # eu-west-1 once moved (until the lowering); after the lowering, back to
        # eu-central-1 and staying there to the end.
        self.assertEqual(regions[:raised_after], ["eu-central-1"] * raised_after)
        moved = regions.index("eu-west-1")
        self.assertEqual(set(regions[raised_after:moved]), {"eu-central-1"})
        self.assertEqual(regions[moved:lowered_after], ["eu-west-1"] * (lowered_after - moved))
        self.assertIn("eu-central-1", regions[lowered_after:], regions)
        back = regions.index("eu-central-1", lowered_after)
        self.assertEqual(set(regions[lowered_after:back]), {"eu-west-1"})
        self.assertEqual(regions[back:], ["eu-central-1"] * (len(regions) - back), regions)

        # Within how many probe rounds: count the probes of eu-central-1 at its
        # new latency that started before the first call that followed. The
        # simulator logs each request's start time and the delay it applied, so
        # this holds however slowly a loaded machine runs the rounds.
        log = self.log()
        self.assert_within(EU, log)
        call_records = {r["request_id"]: r for r in log if r["operation"] == "Converse"}
        self.assertEqual(len(call_records), 60)
        first_west = call_records[calls[moved]["request_id"]]["time"]
        first_back = call_records[calls[back]["request_id"]]["time"]
        central_probes = [r for r in log if r["region"] == "eu-central-1" and r["operation"] is None]
        to_move = [r for r in central_probes if r["latency_ms"] == raised_ms and r["time"] < first_west]
        to_return = [r for r in central_probes
                     if r["latency_ms"] == lowered_ms and r["time"] < first_back and r["time"] > first_west]
        self.assertGreaterEqual(len(to_move), 1)  # the probes, not a call, moved it
        self.assertLessEqual(len(to_move), MAX_PROBE_ROUNDS_TO_FOLLOW, regions)
        self.assertGreaterEqual(len(to_return), 1)
        self.assertLessEqual(len(to_return), MAX_PROBE_ROUNDS_TO_FOLLOW, regions)


if __name__ == "__main__":
    clitest.main(globals())
