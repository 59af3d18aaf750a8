"""`edgeroute converse` and `edgeroute invoke` as a user runs them, against the
Bedrock simulator (tests/sim/worlds/test.json): plain, --stream, --json, errors,
--repeat with --concurrency, invoke --json, a bearer key, and no secret in any output.

Run: python3 tests/cli/test_converse_cli.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import subprocess
import sys
import unittest

import clitest

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
EU_PROFILE = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
# The test world's fake keys.
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
API_KEY = "ABSKZWRnZXJvdXRlLXNpbXVsYXRvci1mYWtlLWtleQ=="


class ConverseCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        import simtest  # the simulator's own helper: bounded start, always stopped
        cls.sim = simtest.SimProcess()
        try:
            cls.ready = cls.sim.start(max_seconds=240)
        except Exception:
            cls.sim.stop()
            raise
        cls.home = os.path.join(cls.sim.state_dir, "..", "home")
        os.makedirs(cls.home, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def env(self, **extra):
        # Only what the test sets: no proxy, no real ~/.aws, no ambient credentials.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home}
        env.update(extra)
        return env

    def keys(self):
        return self.env(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET)

    def connection(self, *regions):
        args = ["--ca-bundle", self.ready["ca_file"], "--deadline-ms", "10000"]
        for region in regions:
            args += ["--connect-to", f"{region}=127.0.0.1:{self.ready['regions'][region]['port']}"]
        return args

    def run_tool(self, args, env, stdin=None):
        p = subprocess.run([TOOL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)
        for secret in (SECRET, API_KEY):
            self.assertNotIn(secret, p.stdout + p.stderr)
        return p

    def converse(self, *args, region="eu-central-1", env=None):
        return self.run_tool(["converse", "--model", HAIKU, "--prompt", "Which region are you in?",
                              "--region", region, *self.connection(region), *args],
                             env if env is not None else self.keys())

    def test_plain_prints_the_answer(self):
        p = self.converse()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("Hello from eu-central-1"), p.stdout)
        self.assertEqual(p.stderr, "")

    def test_stream_prints_the_same_answer(self):
        p = self.converse("--stream")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("Hello from eu-central-1"), p.stdout)

    def test_json_lines_with_repeat(self):
        p = self.converse("--json", "--stream", "--repeat", "2", "--max-tokens", "32", "--system", "Be brief.")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(lines), 2)
        for out in lines:
            self.assertIn("Hello from eu-central-1", out["text"])
            self.assertEqual(out["stop_reason"], "end_turn")
            self.assertGreater(out["usage"]["output_tokens"], 0)
            self.assertTrue(out["request_id"])
            self.assertEqual(out["route"], {"identifier": HAIKU, "source_region": "eu-central-1",
                                            "endpoint": "bedrock-runtime.eu-central-1.amazonaws.com"})
            self.assertEqual(len(out["attempts"]), 1)
            self.assertEqual(out["attempts"][0]["status"], 200)
            self.assertIsNone(out["error"])

    def test_profile_id_goes_through(self):
        p = self.run_tool(["converse", "--model", EU_PROFILE, "--prompt", "hi", "--region", "eu-central-1",
                           *self.connection("eu-central-1")], self.keys())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(EU_PROFILE, p.stdout)

    def test_throttled_call_fails_with_one_line(self):
        p = self.converse(region="eu-west-3")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("throttle: HTTP 429 ThrottlingException", p.stderr)

    def test_throttled_call_in_json(self):
        p = self.converse("--json", region="eu-west-3")
        self.assertEqual(p.returncode, 1)
        out = json.loads(p.stdout)
        self.assertEqual(out["error"]["type"], "throttle")
        self.assertIn("ThrottlingException", out["error"]["message"])
        self.assertEqual(out["attempts"][0]["status"], 429)

    def test_midstream_throttle_after_output(self):
        p = self.converse("--stream", region="us-east-2")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stdout.startswith("Hello"), p.stdout)  # what arrived was printed
        self.assertIn("after output reached the caller", p.stderr)

    def test_bearer_key(self):
        p = self.converse(env=self.env(AWS_BEARER_TOKEN_BEDROCK=API_KEY))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("Hello from eu-central-1"), p.stdout)

    def test_wrong_secret_is_an_auth_error_without_the_secret(self):
        p = self.converse(env=self.env(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY="wrong-secret-value"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("auth: HTTP 403 InvalidSignatureException", p.stderr)
        self.assertNotIn("wrong-secret-value", p.stdout + p.stderr)

    def test_no_credentials(self):
        p = self.converse(env=self.env())
        self.assertEqual(p.returncode, 1)
        self.assertIn("no usable credentials", p.stderr)

    def test_invoke_plain_and_stream(self):
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                           "messages": [{"role": "user", "content": "Which region?"}]})
        args = ["invoke", "--model", HAIKU, "--body", "-", "--region", "eu-central-1",
                *self.connection("eu-central-1")]
        p = self.run_tool(args, self.keys(), stdin=body)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Hello from eu-central-1", json.loads(p.stdout)["content"][0]["text"])
        p = self.run_tool(args + ["--stream"], self.keys(), stdin=body)
        self.assertEqual(p.returncode, 0, p.stderr)
        events = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(events[0]["type"], "message_start")
        self.assertIn("message_stop", [e["type"] for e in events])

    def test_concurrency_json_lines_are_whole(self):
        for mode in ([], ["--stream"]):
            p = self.converse("--json", "--repeat", "6", "--concurrency", "3", *mode)
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = p.stdout.splitlines()
            self.assertEqual(len(lines), 6, p.stdout)
            outs = [json.loads(line) for line in lines]  # each line one whole object
            for out in outs:
                self.assertIn("Hello from eu-central-1", out["text"])
                self.assertIsNone(out["error"])
                self.assertEqual(out["attempts"][0]["status"], 200)
            self.assertEqual(len({out["request_id"] for out in outs}), 6)

    def test_concurrency_plain_answers_are_whole(self):
        for mode in ([], ["--stream"]):
            p = self.converse("--repeat", "4", "--concurrency", "4", *mode)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.count("Hello from eu-central-1"), 4, p.stdout)
            for line in p.stdout.splitlines():
                if line:
                    self.assertLessEqual(line.count("Hello from"), 1, p.stdout)

    def test_concurrency_failures_set_the_exit_status(self):
        p = self.converse("--json", "--repeat", "3", "--concurrency", "2", region="eu-west-3")
        self.assertEqual(p.returncode, 1)
        outs = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(outs), 3)
        self.assertTrue(all(out["error"]["type"] == "throttle" for out in outs))

    def test_invoke_json(self):
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                           "messages": [{"role": "user", "content": "Which region?"}]})
        args = ["invoke", "--model", HAIKU, "--body", "-", "--json", "--region", "eu-central-1",
                *self.connection("eu-central-1")]
        p = self.run_tool(args + ["--repeat", "2"], self.keys(), stdin=body)
        self.assertEqual(p.returncode, 0, p.stderr)
        outs = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(outs), 2)
        for out in outs:
            self.assertIn("Hello from eu-central-1", json.loads(out["body"])["content"][0]["text"])
            self.assertNotIn("chunks", out)
            self.assertTrue(out["request_id"])
            self.assertEqual(out["route"], {"identifier": HAIKU, "source_region": "eu-central-1",
                                            "endpoint": "bedrock-runtime.eu-central-1.amazonaws.com"})
            self.assertEqual(out["attempts"][0]["status"], 200)
            self.assertIsNone(out["error"])
        p = self.run_tool(args + ["--stream"], self.keys(), stdin=body)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)  # one line: the chunks are in it, not printed
        events = [json.loads(chunk) for chunk in out["chunks"]]
        self.assertEqual(events[0]["type"], "message_start")
        self.assertIn("message_stop", [e["type"] for e in events])
        self.assertIsNone(out["error"])

    def test_invoke_json_error(self):
        p = self.run_tool(["invoke", "--model", HAIKU, "--body", "-", "--json", "--region", "eu-west-3",
                           *self.connection("eu-west-3")], self.keys(),
                          stdin=json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                                            "messages": [{"role": "user", "content": "hi"}]}))
        self.assertEqual(p.returncode, 1)
        out = json.loads(p.stdout)
        self.assertEqual(out["error"]["type"], "throttle")
        self.assertEqual(out["attempts"][0]["status"], 429)

    def test_bad_flags(self):
        for args in (["converse", "--prompt", "x"], ["converse", "--model", HAIKU],
                     ["converse", "--model", HAIKU, "--prompt", "x", "--connect-to", "nope"],
                     ["converse", "--model", HAIKU, "--prompt", "x", "--repeat", "0"],
                     ["converse", "--model", HAIKU, "--prompt", "x", "--concurrency", "0"],
                     ["converse", "--model", HAIKU, "--prompt", "x", "--concurrency", "65"],
                     ["invoke", "--model", HAIKU]):
            p = self.run_tool(args, self.keys())
            self.assertEqual(p.returncode, 2, args)
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)


if __name__ == "__main__":
    clitest.main(globals(), verbosity=1)
