"""`edgeroute sign` as a user runs it: output, masking, and bad input.

Run: python3 tests/cli/test_sign_cli.py --tool build/host/examples/edgeroute --testdata ../shared/testdata
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = None
SUITE = None


def run(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)


def case(name, *files):
    return [os.path.join(SUITE, name, f) for f in files]


class Sha256Backends(unittest.TestCase):
    """Every SHA-256 backend signs alike; `version` says which one runs."""

    def run_with(self, backend, *args):
        env = dict(os.environ, EDGEROUTE_SHA256=backend)
        return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60, env=env)

    def test_each_forced_backend_gives_the_suite_signature(self):
        ctx, req = case("post-sts-header-before", "context.json", "request.txt")
        sig = open(os.path.join(SUITE, "post-sts-header-before", "header-signature.txt")).read()
        ran = []
        for backend in ("mbedtls", "armv8-ce", "sha-ni"):
            version = self.run_with(backend, "version")
            self.assertEqual(version.returncode, 0, version.stderr)
            if f"sha256: {backend} (EDGEROUTE_SHA256)" not in version.stdout:
                self.assertIn("EDGEROUTE_SHA256 names a backend this CPU or build lacks", version.stderr)
                continue
            ran.append(backend)
            with self.subTest(backend=backend):
                p = self.run_with(backend, "sign", "--context", ctx, "--request", req, "--show", "signature")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout, sig + "\n")
        self.assertIn("mbedtls", ran)

    def test_an_unknown_backend_is_named_and_the_choice_is_automatic(self):
        p = self.run_with("sha-9000", "version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(auto)", p.stdout)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertIn("EDGEROUTE_SHA256 names no SHA-256 backend", p.stderr)


class SignOutput(unittest.TestCase):
    def test_each_show_value_prints_the_suite_expectation(self):
        ctx, req = case("get-vanilla-query-order-key-case", "context.json", "request.txt")
        for mode in ("header", "query"):
            for show, expected in (("canonical-request", "canonical-request.txt"),
                                   ("string-to-sign", "string-to-sign.txt"),
                                   ("signature", "signature.txt")):
                with self.subTest(mode=mode, show=show):
                    p = run("sign", "--context", ctx, "--request", req, "--mode", mode, "--show", show)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    want = open(os.path.join(SUITE, "get-vanilla-query-order-key-case",
                                             f"{mode}-{expected}")).read()
                    self.assertEqual(p.stdout, want + "\n")

    def test_default_prints_the_signed_request(self):
        ctx, req = case("post-vanilla", "context.json", "request.txt")
        p = run("sign", "--context", ctx, "--request", req)
        self.assertEqual(p.returncode, 0, p.stderr)
        sig = open(os.path.join(SUITE, "post-vanilla", "header-signature.txt")).read()
        self.assertTrue(p.stdout.startswith("POST / HTTP/1.1\n"), p.stdout)
        self.assertIn("Signature=" + sig, p.stdout)
        self.assertIn("\nX-Amz-Date:20150830T123600Z\n", p.stdout)

    def test_session_token_is_masked_unless_revealed(self):
        ctx, req = case("post-sts-header-before", "context.json", "request.txt")
        token = json.load(open(ctx))["credentials"]["token"]
        for mode in ("header", "query"):
            p = run("sign", "--context", ctx, "--request", req, "--mode", mode, "--show", "all")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn(token[:24], p.stdout)
            self.assertNotIn(token[:24].replace("/", "%2F"), p.stdout)
            self.assertIn(f"<session token, {len(token)} bytes, masked>", p.stdout)
        p = run("sign", "--context", ctx, "--request", req, "--reveal-secrets")
        self.assertIn("X-Amz-Security-Token:" + token + "\n", p.stdout)

    def test_the_secret_key_never_appears(self):
        ctx, req = case("post-sts-header-before", "context.json", "request.txt")
        secret = json.load(open(ctx))["credentials"]["secret_access_key"]
        p = run("sign", "--context", ctx, "--request", req, "--show", "all", "--reveal-secrets")
        self.assertNotIn(secret, p.stdout + p.stderr)


class BadInput(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.ctx, self.req = case("get-vanilla", "context.json", "request.txt")

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def context_with(self, **changes):
        c = json.load(open(self.ctx))
        c.update(changes)
        return self.write("context.json", json.dumps(c))

    def assert_one_line_error(self, p, *needles, code=1):
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertEqual(p.stdout, "")
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("edgeroute sign: "), lines[0])
        for n in needles:
            self.assertIn(n, lines[0])
        self.assertNotIn("wJalrXUtnFEMI", p.stderr)

    def test_missing_file(self):
        p = run("sign", "--context", os.path.join(self.dir.name, "absent.json"), "--request", self.req)
        self.assert_one_line_error(p, "absent.json", "No such file")

    def test_malformed_request_line(self):
        bad = self.write("request.txt", "GET /\nHost:example.amazonaws.com\n\n")
        self.assert_one_line_error(run("sign", "--context", self.ctx, "--request", bad),
                                   "request.txt", "line 1", "METHOD target HTTP/1.1")

    def test_header_without_colon(self):
        bad = self.write("request.txt", "GET / HTTP/1.1\nHost example.amazonaws.com\n\n")
        self.assert_one_line_error(run("sign", "--context", self.ctx, "--request", bad),
                                   "line 2", "Name:value")

    def test_request_without_host(self):
        bad = self.write("request.txt", "GET / HTTP/1.1\nX-A:b\n\n")
        self.assert_one_line_error(run("sign", "--context", self.ctx, "--request", bad), "no Host header")

    def test_unknown_field(self):
        p = run("sign", "--context", self.context_with(regoin="us-east-1"), "--request", self.req)
        self.assert_one_line_error(p, "regoin: unknown field")

    def test_bad_timestamp(self):
        p = run("sign", "--context", self.context_with(timestamp="2015-02-30T12:36:00Z"), "--request", self.req)
        self.assert_one_line_error(p, "timestamp", "2015-02-30T12:36:00Z")

    def test_wrong_type(self):
        p = run("sign", "--context", self.context_with(normalize="yes"), "--request", self.req)
        self.assert_one_line_error(p, "normalize: expected true or false")

    def test_a_key_given_twice_is_refused(self):
        # A later "region" would otherwise replace the first without a word.
        text = open(self.ctx).read()
        dup_region = text.replace('"region"', '"region": "eu-west-1", "region"', 1)
        p = run("sign", "--context", self.write("context.json", dup_region), "--request", self.req)
        self.assert_one_line_error(p, "region: given twice")
        dup_key = text.replace('"access_key_id"', '"access_key_id": "AKIDOTHER", "access_key_id"', 1)
        p = run("sign", "--context", self.write("context.json", dup_key), "--request", self.req)
        self.assert_one_line_error(p, "credentials.access_key_id: given twice")

    def test_not_json(self):
        p = run("sign", "--context", self.write("context.json", "{not json"), "--request", self.req)
        self.assert_one_line_error(p, "not valid JSON")

    def test_missing_secret(self):
        c = json.load(open(self.ctx))
        del c["credentials"]["secret_access_key"]
        p = run("sign", "--context", self.write("context.json", json.dumps(c)), "--request", self.req)
        self.assert_one_line_error(p, "credentials.secret_access_key: missing")

    def test_binary_garbage(self):
        path = os.path.join(self.dir.name, "garbage")
        with open(path, "wb") as f:
            f.write(bytes(range(256)) * 8)
        self.assert_one_line_error(run("sign", "--context", self.ctx, "--request", path), "line 1")

    def test_usage_errors(self):
        self.assert_one_line_error(run("sign", "--request", self.req), "--context FILE is required", code=2)
        self.assert_one_line_error(run("sign", "--context", self.ctx, "--request", self.req, "--mode", "both"),
                                   "--mode 'both'", code=2)
        self.assert_one_line_error(run("sign", "--context", self.ctx, "--request", self.req, "--show", "x"),
                                   "--show 'x'", code=2)
        self.assert_one_line_error(run("sign", "--frobnicate"), "unknown argument '--frobnicate'", code=2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--testdata", required=True)
    args, rest = parser.parse_known_args()
    TOOL = args.tool
    SUITE = os.path.join(args.testdata, "sigv4")
    unittest.main(argv=[sys.argv[0], *rest])
