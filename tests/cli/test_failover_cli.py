"""Failover inside one call: `edgeroute converse --allow eu` against the Bedrock
simulator while its nearest EU region throttles, refuses connections, stalls or
throttles mid-stream, and under drills. Faults are set at run time through the
simulator's loopback control endpoint. After every test the simulator's request
log shows that nothing went outside the allowed set.

The world is the demo world's regions without its scheduled faults (so nothing
happens that a test did not ask for). Latencies make eu-central-1 the nearest EU
region, then eu-west-1, then eu-west-3; us-* and ap-* are never allowed here.

Run: python3 tests/cli/test_failover_cli.py --tool build/host/examples/edgeroute --source-dir .
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
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
NEAREST = "eu-central-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key



class Failover(clitest.DemoWorldTest):
    REGION_SETS = {"eu": EU}

    def setUp(self):
        super().setUp()
        self.addCleanup(self.assert_only_eu)

    def converse(self, *args, timeout=60, command=("converse", "--prompt", "Which region are you in?")):
        """Routed under --allow eu, with every simulated region reachable (so only
        the router and the policy keep calls in the EU), probes first."""
        cmd = [TOOL, *command, "--model", HAIKU, "--allow", "eu",
               "--probe", "--catalog", self.catalog, "--ca-bundle", self.ready["ca_file"], *args]
        for region, r in self.ready["regions"].items():
            cmd += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        start = time.monotonic()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        p.elapsed = time.monotonic() - start
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        return p

    def lines(self, p):
        return [json.loads(line) for line in p.stdout.splitlines()]

    def calls(self):
        return [r for r in clitest.settled_requests(self.sim) if r.get("operation")]

    def assert_only_eu(self):
        # The simulator creates its log at start: without it nothing would be checked.
        path = os.path.join(self.sim.state_dir, "requests.jsonl")
        self.assertTrue(os.path.exists(path), f"no simulator request log at {path}")
        requests = clitest.settled_requests(self.sim)
        if not getattr(self, "sends_nothing", False):
            self.assertTrue(requests, "the simulator's request log is empty")
        for r in requests:
            self.assertIn(r["region"], EU, r)

    def test_nearest_region_throttling_everything_fails_no_call(self):
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 1.0}])
        p = self.converse("--json", "--repeat", "8")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = self.lines(p)
        self.assertEqual(len(out), 8)
        for o in out:
            self.assertIsNone(o["error"], o)
            self.assertIn(o["route"]["source_region"], EU - {NEAREST})
            self.assertIn("Hello from", o["text"])
        # The first call met the throttle and moved on at once, within the same call.
        first = out[0]["attempts"]
        self.assertEqual(first[0]["source_region"], NEAREST)
        self.assertEqual(first[0]["status"], 429)
        self.assertIn("throttle", first[0]["error"])
        self.assertIn(first[1]["source_region"], EU - {NEAREST})
        self.assertIsNone(first[1]["error"])
        self.assertTrue(out[0]["failed_over"])
        self.assertEqual(out[0]["waited_ms"], 0)  # another region had headroom: no sleep
        # While it cools down, later calls skip it: far fewer throttles than calls.
        throttled = [r for r in self.calls() if r["region"] == NEAREST]
        self.assertTrue(all(r["status"] == 429 for r in throttled), throttled)
        self.assertLess(len(throttled), 8)

    def test_x_amz_retry_after_keeps_the_region_out_that_long(self):
        # Without the header the region's first cooldown is at most 500 ms and its
        # send rate allows a trial within about 2 s (3 throttles in this run); the
        # header asks for 6 s (longer under emulation, where the 16 calls take longer).
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 1.0,
                                   "retry_after_ms": int(clitest.allowance(6000))}])
        p = self.converse("--json", "--repeat", "16", "--interval-ms", "250")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(all(o["error"] is None for o in self.lines(p)))
        to_nearest = [r for r in self.calls() if r["region"] == NEAREST]
        self.assertEqual(len(to_nearest), 1, to_nearest)
        self.assertEqual(to_nearest[0]["status"], 429)

    def test_every_allowed_region_throttled_waits_then_fails_clearly_within_the_deadline(self):
        for region in EU:
            self.set_faults(region, [{"kind": "throttling", "rate": 1.0}])
        p = self.converse("--deadline-ms", "3000", "--max-attempts", "10")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        # One error line; a probe cut short by the probe stage's share of the deadline
        # (a slow device or an emulated one) adds its own "probe:" line.
        errors = [line for line in p.stderr.strip().splitlines() if ": probe: " not in line]
        self.assertEqual(len(errors), 1, p.stderr)
        # It says why it gave up and where each allowed candidate stands.
        self.assertIn("gave up", errors[0])
        self.assertIn("throttl", errors[0])
        for region in EU:
            self.assertIn(f"@{region}", errors[0])
        self.assertIn("disallowed", errors[0])  # the US and APAC candidates, never tried
        # Bounded: at most --max-attempts requests, and no later than the deadline
        # (plus the tool's start-up and probes, a few seconds on a loaded machine).
        self.assertLessEqual(len(self.calls()), 10)
        self.assertLess(p.elapsed, 3.0 + 10.0)

    def test_a_region_refusing_connections_fails_over_at_once(self):
        self.set_faults(NEAREST, [{"kind": "down"}])
        p = self.converse("--json", "--repeat", "3", "--connect-timeout-ms", "2000")
        self.assertEqual(p.returncode, 0, p.stderr)
        for o in self.lines(p):
            self.assertIsNone(o["error"], o)
            self.assertIn(o["route"]["source_region"], EU - {NEAREST})
        self.assertEqual([r for r in self.calls() if r["region"] == NEAREST], [])

    def test_a_stalled_region_fails_over_after_the_first_byte_timeout(self):
        self.set_faults(NEAREST, [{"kind": "stall", "stall_s": 30}])
        p = self.converse("--json", "--first-byte-timeout-ms", "1000", "--deadline-ms", "20000")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = self.lines(p)[0]
        self.assertIsNone(out["error"], out)
        self.assertEqual(out["attempts"][0]["source_region"], NEAREST)
        self.assertEqual(out["attempts"][0]["status"], 0)  # no HTTP answer: the timeout fired
        self.assertIn("transient", out["attempts"][0]["error"])
        self.assertIn(out["route"]["source_region"], EU - {NEAREST})

    def test_mid_stream_throttling_is_reported_not_retried(self):
        self.set_faults(NEAREST, [{"kind": "midstream_throttle", "after_deltas": 2}])
        p = self.converse("--stream")
        self.assertEqual(p.returncode, 1)
        errors = p.stderr.strip().splitlines()
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn("after output", errors[0])
        self.assertIn("throttl", errors[0].lower())
        # One request only: what was printed is not printed again by a retry.
        self.assertEqual(len(self.calls()), 1)
        self.assertEqual(self.calls()[0]["region"], NEAREST)
        self.assertEqual(p.stdout.count("Hello"), min(1, p.stdout.count("Hello")))

    def test_a_fail_drill_moves_traffic_without_sending_to_the_drilled_region(self):
        p = self.converse("--json", "--repeat", "4", "--drill", f"fail:{NEAREST}:60")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"drill: fail {NEAREST}", p.stderr)
        for o in self.lines(p):
            self.assertIsNone(o["error"], o)
            self.assertIn(o["route"]["source_region"], EU - {NEAREST})
        self.assertTrue(self.lines(p)[0]["failed_over"])
        self.assertEqual([r for r in self.calls() if r["region"] == NEAREST], [])

    def test_a_drain_drill_takes_the_region_out_of_rotation(self):
        p = self.converse("--json", "--repeat", "3", "--drill", f"drain:{NEAREST}:60")
        self.assertEqual(p.returncode, 0, p.stderr)
        for o in self.lines(p):
            self.assertIsNone(o["error"], o)
            self.assertEqual(len(o["attempts"]), 1)  # skipped, not tried
            self.assertIn(o["route"]["source_region"], EU - {NEAREST})
        self.assertEqual([r for r in self.calls() if r["region"] == NEAREST], [])

    def test_the_drill_command_reports_each_call_and_a_summary(self):
        p = self.converse("--region", NEAREST, "--seconds", "30", "--repeat", "5", "--interval-ms", "50",
                          command=("drill",))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], f"drill: fail {NEAREST} for 30 s")
        self.assertEqual(len([line for line in lines if " call " in line]), 5, p.stdout)
        self.assertIn(f"failed over: {NEAREST} fail drill, eu-west-1 success", p.stdout)
        self.assertRegex(lines[-1], r"^drill summary: 5 calls, 0 failed, [1-5] failed over; served by eu-west-1=5$")
        self.assertEqual([r for r in self.calls() if r["region"] == NEAREST], [])
        self.assertTrue(p.stderr, "the drill announces itself on stderr")
        for line in p.stderr.splitlines():
            self.assertTrue(line.startswith("edgeroute drill: "), line)
        # The drilled region must be named, and the kind be one the router knows.
        for bad in (["--seconds", "5"], ["--region", NEAREST, "--seconds", "5", "--kind", "unplug"]):
            p = self.converse(*bad, command=("drill",))
            self.assertEqual(p.returncode, 2, bad)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_a_drill_outside_the_allowed_set_is_refused_naming_the_set(self):
        self.sends_nothing = True
        outside = next(r for r in sorted(self.ready["regions"]) if r not in EU)
        for command in (("drill", "--region", outside, "--seconds", "5"),
                        ("converse", "--prompt", "x", "--drill", f"fail:{outside}:5")):
            with self.subTest(command=command[0]):
                p = self.converse(command=command)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertTrue(p.stderr.startswith(f"edgeroute {command[0]}: "), p.stderr)
                # The tool refuses it before the router would (the router's own
                # refusal is tested in FailoverTest): it names the region and the policy.
                self.assertIn(f"no call may go to {outside} under allow eu", p.stderr)
        self.assertEqual(self.calls(), [])

    def test_the_alert_hook_fires_when_failover_stops_being_rare(self):
        record = os.path.join(self.tmp.name, f"alert-{os.getpid()}.txt")
        p = self.converse("--json", "--repeat", "24", "--drill", f"fail:{NEAREST}:60",
                          "--alert-failover-rate", "0.2",
                          "--alert-command", f"env | grep ^EDGEROUTE_ALERT | sort >> {record}")
        self.addCleanup(lambda: os.path.exists(record) and os.remove(record))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("alert raised: failover_rate", p.stderr)
        self.assertEqual(p.stderr.count("alert raised: failover_rate"), 1)  # once per crossing
        # The first five calls failed over within the call; then the drilled region's
        # breaker opened and the rest went straight to the next region: served away
        # from the primary without failing over.
        self.assertIn("alert raised: non_primary_share", p.stderr)
        with open(record) as f:
            env = f.read()
        self.assertIn("EDGEROUTE_ALERT=failover_rate", env)
        self.assertIn("EDGEROUTE_ALERT_STATE=raised", env)
        # The alert command does not inherit the secret key.
        p = self.converse("--repeat", "24", "--drill", f"fail:{NEAREST}:60", "--alert-failover-rate", "0.2",
                          "--alert-command", f"env > {record}")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(record) as f:
            env = f.read()
        self.assertIn("AWS_ACCESS_KEY_ID=", env)
        self.assertNotIn("AWS_SECRET_ACCESS_KEY", env)
        self.assertNotIn(SECRET, env)

    def test_everything_can_come_from_a_config_file(self):
        config = os.path.join(self.tmp.name, f"gateway-{os.getpid()}.json")
        self.addCleanup(lambda: os.path.exists(config) and os.remove(config))
        with open(config, "w") as f:
            json.dump({"connect_to": [f"{r}={v['host']}:{v['port']}" for r, v in self.ready["regions"].items()],
                       "ca_bundle": self.ready["ca_file"],
                       "timeouts_ms": {"deadline": 10000},
                       "routing": {"allow": "eu", "catalog": os.path.basename(self.catalog), "probe": True},
                       "failover": {"max_attempts": 2}}, f)
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 1.0}])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        p = subprocess.run([TOOL, "converse", "--config", config, "--model", HAIKU, "--prompt", "Where?", "--json"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual([a["source_region"] for a in out["attempts"]][0], NEAREST)
        self.assertIn(out["route"]["source_region"], EU - {NEAREST})

    def test_failover_flags_need_allow(self):
        self.sends_nothing = True
        p = subprocess.run([TOOL, "converse", "--model", HAIKU, "--prompt", "x", "--region", NEAREST,
                            "--drill", f"fail:{NEAREST}:5"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("need --allow", p.stderr)
        for bad in ("fail:eu-central-1", "explode:eu-central-1:5", "drain:eu-central-1:0"):
            p = self.converse("--drill", bad)
            self.assertEqual(p.returncode, 2, bad)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.calls(), [])


if __name__ == "__main__":
    clitest.main(globals())
