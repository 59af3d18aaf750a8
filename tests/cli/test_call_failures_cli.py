"""How a routed call fails, as a user of `edgeroute converse`, `invoke` and `drill`
sees it: a call whose attempts were all consumed by fail drills, a stream that
breaks while nothing has been shown yet, output that cannot be written, and an
alert command that misbehaves. Each is a rule about the exit status and the one
line of error, checked against the Bedrock simulator; the simulator's request log
shows that nothing was sent outside the allowed regions.

The world is the demo world's regions without scheduled faults: eu-central-1 is
the nearest EU region, then eu-west-1, then eu-west-3; Claude Haiku 4.5 is served
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
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
NEAREST = "eu-central-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
INVOKE_BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                          "messages": [{"role": "user", "content": "Which region?"}]})


class CallFailures(clitest.DemoWorldTest):
    REGION_SETS = {"eu": EU}

    def setUp(self):
        super().setUp()
        self.addCleanup(self.assert_only_eu)

    def run_tool(self, command, *args, allow="eu", stdin=None, stdout=subprocess.PIPE, timeout=60,
                 connect_to=None, ca_bundle=None):
        """`edgeroute COMMAND --model HAIKU --allow ALLOW ARGS`, every simulated region
        reachable (only the router and the policy keep calls in the EU);
        connect_to {region: "host:port"} replaces a region's listener. allow=None:
        unrouted (ARGS name the region)."""
        routing = ["--allow", allow, "--catalog", self.catalog] if allow else []
        cmd = [TOOL, *command, "--model", HAIKU, *routing, "--ca-bundle", ca_bundle or self.ready["ca_file"], *args]
        for region, r in self.ready["regions"].items():
            target = (connect_to or {}).get(region, f"{r['host']}:{r['port']}")
            cmd += ["--connect-to", f"{region}={target}"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        # stderr goes to a file, not a pipe: a child the tool started (an alert
        # command) may hold it open after the tool has exited, and the tool's exit
        # is what is timed.
        with tempfile.TemporaryFile("w+") as err:
            start = time.monotonic()
            p = subprocess.run(cmd, env=env, input=stdin, stdout=stdout, stderr=err, text=True, timeout=timeout)
            p.elapsed = time.monotonic() - start
            err.seek(0)
            p.stderr = err.read()
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


    # --- buffered output modes fail over a broken stream --------------------------

    def test_json_stream_fails_over_a_stream_that_broke_before_anything_was_shown(self):
        self.set_faults(NEAREST, [{"kind": "midstream_throttle", "after_deltas": 1}])
        p = self.run_tool(("converse", "--prompt", "Which region are you in?"), "--probe", "--stream", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertIsNone(out["error"], out)
        self.assertEqual(out["attempts"][0]["source_region"], NEAREST)
        self.assertIn(out["route"]["source_region"], EU - {NEAREST})
        # The answer is the one that completed, without the broken stream's delta.
        self.assertNotIn(NEAREST, out["text"])
        self.assertIn(out["route"]["source_region"], out["text"])

    def test_concurrent_streams_fail_over_and_never_print_partial_text(self):
        self.set_faults(NEAREST, [{"kind": "midstream_throttle", "after_deltas": 1}])
        p = self.run_tool(("converse", "--prompt", "Which region are you in?"), "--probe", "--stream",
                          "--concurrency", "2", "--repeat", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        answers = p.stdout.splitlines()
        self.assertEqual(len(answers), 2, p.stdout)
        for answer in answers:
            self.assertNotIn(NEAREST, answer)
        # Unrouted there is nowhere else to go: the calls fail, and no partial
        # text is printed as if it were an answer.
        p = self.run_tool(("converse", "--prompt", "Which region are you in?"), "--region", NEAREST, "--stream",
                          "--concurrency", "2", "--repeat", "2", allow=None)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 2, p.stderr)

    # --- the alert command -------------------------------------------------------

    def test_the_alert_command_keeps_off_stdout_is_not_waited_for_long_and_inherits_no_socket(self):
        fds = os.path.join(self.tmp.name, "alert-fds.txt")
        pid_file = os.path.join(self.tmp.name, "alert-pid.txt")
        self.addCleanup(self.stop_alert, pid_file)
        hook = f"echo alert-on-stdout; ls -l /proc/$$/fd >> {fds}; echo $$ >> {pid_file}; exec sleep {int(clitest.allowance(15))}"
        # The first calls fail over (their first attempt is a drill's), the rest go
        # straight to the next region: both alerts are raised once 20 calls are in.
        p = self.run_tool(("converse", "--prompt", "Hi"), "--probe", "--json", "--repeat", "24",
                          "--drill", f"fail:{NEAREST}:60", "--alert-failover-rate", "0.2",
                          "--alert-command", hook, timeout=clitest.allowance(60))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("alert raised", p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 24)
        for line in lines:
            json.loads(line)  # JSON Lines only: the hook's stdout is not the tool's
        self.assertIn("alert-on-stdout", p.stderr)
        # Its wait at exit is bounded: the hook's 15 s are not the tool's (both
        # scaled under emulation, where the 24 calls alone take several seconds).
        self.assertLess(p.elapsed, clitest.allowance(12.0))
        self.assertIn("not waited for", p.stderr)
        with open(fds) as f:
            listing = f.read()
        self.assertNotIn("socket:", listing)

    def stop_alert(self, pid_file):
        """Stops the hooks' sleeps: what the test started, it stops."""
        if not os.path.exists(pid_file):
            return
        with open(pid_file) as f:
            for line in f:
                try:
                    os.kill(int(line.strip()), 15)
                except (OSError, ValueError):
                    pass

    # --- output that cannot be written ------------------------------------------------

    def test_output_to_a_full_device_fails_in_one_line(self):
        with open("/dev/full", "w") as full:
            runs = [self.run_tool(("converse", "--prompt", "Hi"), stdout=full),
                    self.run_tool(("converse", "--prompt", "Hi"), "--json", stdout=full),
                    self.run_tool(("invoke", "--body", "-"), stdin=INVOKE_BODY, stdout=full)]
            for command in (["route", "--model", HAIKU, "--allow", "eu", "--catalog", self.catalog],
                            ["catalog", "show", "--catalog", self.catalog]):
                runs.append(subprocess.run([TOOL, *command], stdout=full, stderr=subprocess.PIPE, text=True,
                                           timeout=30))
        for p in runs:
            self.assertNotEqual(p.returncode, 0, p.args)
            errors = p.stderr.strip().splitlines()
            self.assertEqual(len(errors), 1, p.stderr)
            self.assertIn("cannot write to standard output", errors[0])


if __name__ == "__main__":
    clitest.main(globals())
