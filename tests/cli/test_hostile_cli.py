"""`edgeroute converse` and `invoke` against a hostile endpoint
(tests/support/hostile_server.py, one per test, loopback only): whatever the server
sends, --json output is valid JSON, nothing printed holds a terminal control
character or ill-formed UTF-8, an error is one bounded line, and an endpoint's
fault is classified "transient".

Run: python3 tests/cli/test_hostile_cli.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import subprocess
import tempfile
import unittest

import clitest

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TEXT_MODES = ("control-text", "nul-text", "bad-utf8-text")
MESSAGE_MODES = ("control-message", "bad-utf8-message", "giant-message")
# One error line: the message's limit (1024 bytes) plus the operation, endpoint and class.
MAX_ERROR_LINE_BYTES = 1400


def controls(data: bytes):
    """The terminal control bytes in data: C0 but tab and newline, DEL, and C1 (as UTF-8)."""
    found = [b for b in data if (b < 0x20 and b not in (0x09, 0x0A)) or b == 0x7F]
    text = data.decode("utf-8", errors="replace")
    return found + [ord(c) for c in text if 0x80 <= ord(c) <= 0x9F]


class HostileCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="edgeroute-hostile-home-")

    def run_tool(self, url, *args):
        # Only what the test sets: no proxy, no real ~/.aws.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET,
               "AWS_ENDPOINT_URL": url}
        p = subprocess.run([TOOL, *args, "--model", HAIKU, "--region", "eu-central-1",
                            "--deadline-ms", "10000"], env=env, capture_output=True, timeout=60)
        self.assertNotIn(SECRET.encode(), p.stdout + p.stderr)
        return p

    def converse(self, url, *args):
        return self.run_tool(url, "converse", "--prompt", "Hello", *args)

    def invoke(self, url, *args):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as body:
            body.write('{"messages":[{"role":"user","content":"Hello"}]}')
            body.flush()
            return self.run_tool(url, "invoke", "--body", body.name, *args)

    def json_line(self, p):
        """The one --json line, parsed strictly (UTF-8, JSON)."""
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, p.stdout[:300])
        return json.loads(lines[0].decode("utf-8"))

    def test_text_is_printable_in_every_output_mode(self):
        for mode in TEXT_MODES:
            with clitest.hostile_server(SOURCE_DIR, mode) as url:
                for flags in ([], ["--stream"]):
                    with self.subTest(mode=mode, flags=flags):
                        p = self.converse(url, *flags)
                        self.assertEqual(p.returncode, 0, p.stderr)
                        self.assertEqual(controls(p.stdout), [], p.stdout)
                        text = p.stdout.decode("utf-8")  # raises on ill-formed UTF-8
                        self.assertTrue(text.rstrip("\n").endswith(("done", "after", "ok")), text)
                for flags in (["--json"], ["--json", "--stream"]):
                    with self.subTest(mode=mode, flags=flags):
                        p = self.converse(url, *flags)
                        self.assertEqual(p.returncode, 0, p.stderr)
                        line = self.json_line(p)
                        self.assertEqual(controls(line["text"].encode()), [], line["text"])
                        if mode == "nul-text":
                            self.assertEqual(line["text"], "before\ufffdafter")

    def test_invoke_json_is_valid_json(self):
        for mode in TEXT_MODES:
            with self.subTest(mode=mode), clitest.hostile_server(SOURCE_DIR, mode) as url:
                p = self.invoke(url, "--json")
                self.assertEqual(p.returncode, 0, p.stderr)
                line = self.json_line(p)
                self.assertIn('"text":"', line["body"])
                self.assertTrue(line["body"].endswith("}"), line["body"])  # not cut at a NUL

    def test_server_messages_are_one_bounded_printable_line(self):
        for mode in MESSAGE_MODES:
            with self.subTest(mode=mode), clitest.hostile_server(SOURCE_DIR, mode) as url:
                p = self.converse(url)
                self.assertEqual(p.returncode, 1)
                self.assertEqual(p.stdout, b"")
                self.assertTrue(p.stderr.endswith(b"\n"))
                self.assertEqual(p.stderr.count(b"\n"), 1, p.stderr[:300])
                self.assertLessEqual(len(p.stderr), MAX_ERROR_LINE_BYTES)
                self.assertEqual(controls(p.stderr.rstrip(b"\n")), [], p.stderr[:300])
                self.assertIn("ValidationException", p.stderr.decode("utf-8"))
                line = self.json_line(self.converse(url, "--json"))
                self.assertEqual(line["error"]["type"], "client")
                self.assertLessEqual(len(line["error"]["message"].encode()), MAX_ERROR_LINE_BYTES)

    def test_endpoint_faults_are_transient(self):
        cases = {"oversize-500": "max_response_bytes", "no-status-line": "no HTTP status line",
                 "huge-header": "response header over"}
        for mode, words in cases.items():
            with self.subTest(mode=mode), clitest.hostile_server(SOURCE_DIR, mode) as url:
                p = self.converse(url, "--json")
                self.assertEqual(p.returncode, 1, p.stderr)
                error = self.json_line(p)["error"]
                self.assertEqual(error["type"], "transient", error)
                self.assertIn(words, error["message"])


class HostileFiles(unittest.TestCase):
    """Every file the tool reads has a stated limit and a one-line error naming it."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="edgeroute-files-")
        self.addCleanup(self.tmp.cleanup)
        self.home = os.path.join(self.tmp.name, "home")
        os.makedirs(self.home)

    def run_tool(self, *args, **env):
        p = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=30,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                                "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET, **env})
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertNotIn(SECRET, p.stderr)
        return p

    def assert_error(self, p, *words):
        self.assertNotEqual(p.returncode, 0)
        for w in words:
            self.assertIn(w, p.stderr)
        self.assertNotIn("read error", p.stderr)

    def test_sign_reads_at_most_its_limit(self):
        self.assert_error(self.run_tool("sign", "--context", "/dev/zero", "--request", "/dev/null"),
                          "--context /dev/zero: larger than 1048576 bytes, the limit for --context")
        self.assert_error(self.run_tool("sign", "--context", self.tmp.name, "--request", "/dev/null"),
                          f"--context {self.tmp.name}: is a directory, not a file")

    def test_sign_request_reads_at_most_its_limit(self):
        context = os.path.join(self.tmp.name, "context.json")
        with open(context, "w") as f:
            json.dump({"credentials": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": SECRET},
                       "expiration_in_seconds": 3600, "normalize": True, "region": "us-east-1",
                       "service": "service", "sign_body": False, "timestamp": "2015-08-30T12:36:00Z"}, f)
        self.assert_error(self.run_tool("sign", "--context", context, "--request", "/dev/zero"),
                          "--request /dev/zero: larger than 16777216 bytes, the limit for --request")

    def test_body_reads_at_most_its_limit(self):
        for body, words in (("/dev/zero", "--body /dev/zero: larger than 16777216 bytes, the limit for --body"),
                            (self.tmp.name, f"--body {self.tmp.name}: is a directory, not a file")):
            with self.subTest(body=body):
                self.assert_error(self.run_tool("invoke", "--model", HAIKU, "--region", "eu-central-1",
                                                "--body", body), words)

    def test_a_catalog_path_from_config_names_its_key_and_the_reason(self):
        config = os.path.join(self.tmp.name, "site.json")
        with open(config, "w") as f:
            json.dump({"routing": {"allow": ["eu"], "catalog": "absent.json",
                                   "catalog_extend": ["extra.json"]}}, f)
        missing = os.path.join(self.tmp.name, "absent.json")
        for command in (["route"], ["converse", "--prompt", "x"]):
            with self.subTest(command=command[0]):
                self.assert_error(self.run_tool(*command, "--config", config, "--model", HAIKU),
                                  f"--config {config}: routing.catalog {missing}: cannot open: "
                                  "No such file or directory")
        self.assert_error(self.run_tool("route", "--catalog", self.tmp.name, "--model", HAIKU, "--allow", "eu"),
                          f"--catalog {self.tmp.name}: is a directory, not a file")

    def test_a_ca_bundle_that_is_a_directory_says_so(self):
        p = self.run_tool("converse", "--model", HAIKU, "--region", "eu-central-1", "--prompt", "x",
                          "--ca-bundle", self.tmp.name)
        self.assert_error(p, f"CA bundle {self.tmp.name}: is a directory, not a file")

    def test_a_credentials_file_that_is_a_directory_says_so(self):
        p = self.run_tool("converse", "--model", HAIKU, "--region", "eu-central-1", "--prompt", "x",
                          AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="",
                          AWS_SHARED_CREDENTIALS_FILE=self.tmp.name)
        self.assert_error(p, f"{self.tmp.name}: is a directory, not a file")


class FlagSyntax(unittest.TestCase):
    """Flags take numbers and lists exactly as --config does (tool_values.h)."""

    def run_tool(self, *args):
        return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=30,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent",
                                   "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET})

    def test_numbers_with_a_sign_or_spaces_are_refused(self):
        for value in (" 5", "+5", "5 ", "5ms"):
            with self.subTest(value=value):
                p = self.run_tool("converse", "--model", HAIKU, "--region", "eu-central-1", "--prompt", "x",
                                  "--deadline-ms", value)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--deadline-ms needs 1..3600000", p.stderr)

    def test_lists_with_an_empty_item_are_refused(self):
        for value in ("eu,", ",eu", "eu,,us"):
            with self.subTest(value=value):
                p = self.run_tool("route", "--model", HAIKU, "--allow", value)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--allow needs a comma-separated list without empty items", p.stderr)


if __name__ == "__main__":
    clitest.main(globals())
