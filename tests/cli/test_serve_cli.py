"""`edgeroute serve` with an unchanged AWS SDK (boto3) pointed at it
(endpoint_url, and the local token as AWS_BEARER_TOKEN_BEDROCK), in front of the
Bedrock simulator: Converse, ConverseStream and InvokeModel routed inside the EU
policy with the device's own credentials, failover when the nearest EU region
throttles, a disallowed identifier refused with a Bedrock-shaped 400, a client
without the token refused, and SIGTERM letting an in-flight call finish.

Run: python3 tests/cli/test_serve_cli.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import clitest

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
US_PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # profile-only: routed to the EU profile
EU_SONNET = "eu." + SONNET
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
NEAREST = "eu-central-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
TOKEN = "local-token-0123456789abcdef"


class Serve(clitest.DemoWorldTest):
    REGION_SETS = {"eu": EU}

    @classmethod
    def adjust_region(cls, region):
        region["delta_interval_ms"] = 20

    @classmethod
    def setUpClass(cls):
        try:
            import boto3  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("boto3 is not installed (scripts/bootstrap installs python3-boto3)")
        super().setUpClass()
        cls.token_file = os.path.join(cls.tmp.name, "token")
        with open(cls.token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(cls.token_file, 0o600)

    def setUp(self):
        super().setUp()
        self.serve = None
        saved = dict(os.environ)
        self.addCleanup(lambda: (os.environ.clear(), os.environ.update(saved)))
        self.port = self.start_serve()

    def restart_serve(self, *extra):
        """Stops this test's serve and starts another with extra flags."""
        self.stop_serve()
        self.port = self.start_serve(*extra)

    def start_serve(self, *extra):
        ready = os.path.join(tempfile.mkdtemp(dir=self.tmp.name), "ready.json")
        cmd = [TOOL, "serve", "--listen", "127.0.0.1:0", "--token-file", self.token_file, "--ready-file", ready,
               "--allow", "eu", "--catalog", self.catalog, "--ca-bundle", self.ready["ca_file"], "--probe",
               "--grace-ms", "5000", *extra]
        for region, r in self.ready["regions"].items():
            cmd += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        self.serve_err = tempfile.TemporaryFile()
        self.serve = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=self.serve_err)
        self.addCleanup(self.stop_serve)  # a no-op once restart_serve has stopped it
        deadline = time.monotonic() + 20
        while not os.path.exists(ready) or os.path.getsize(ready) == 0:
            if self.serve.poll() is not None or time.monotonic() > deadline:
                self.fail(f"serve did not start: {self.serve_stderr()}")
            time.sleep(0.05)
        with open(ready) as f:
            return json.load(f)["port"]

    def serve_stderr(self):
        self.serve_err.seek(0)
        return self.serve_err.read().decode(errors="replace")

    def stop_serve(self):
        if self.serve is None:
            return
        if self.serve.poll() is None:
            self.serve.terminate()
            try:
                self.serve.wait(10)
            except subprocess.TimeoutExpired:
                self.serve.kill()
                self.serve.wait(5)
        out = self.serve_stderr()
        self.serve_err.close()
        self.serve = None
        self.assertNotIn(SECRET, out)
        self.assertNotIn(TOKEN, out)

    def client(self, token=TOKEN):
        """An ordinary boto3 client: only its endpoint URL and the token (botocore reads
        AWS_BEARER_TOKEN_BEDROCK at each request) point it at serve. Without a token it
        signs with keys of its own, which serve does not accept."""
        import boto3
        import botocore.config
        os.environ.pop("AWS_ACCESS_KEY_ID", None)
        os.environ.pop("AWS_SECRET_ACCESS_KEY", None)
        if token is not None:
            os.environ["AWS_BEARER_TOKEN_BEDROCK"] = token
        else:
            os.environ.pop("AWS_BEARER_TOKEN_BEDROCK", None)
        session = boto3.session.Session(region_name="eu-central-1",
                                        aws_access_key_id=None if token else "AKIDLOCALCLIENT",
                                        aws_secret_access_key=None if token else "not-the-device-secret")
        return session.client("bedrock-runtime", endpoint_url=f"http://127.0.0.1:{self.port}",
                              config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30))

    def calls(self):
        return [r for r in clitest.settled_requests(self.sim) if r.get("operation")]

    def converses(self):
        return [r for r in self.calls() if r["operation"] == "Converse"]

    def assert_only_eu_with_device_credentials(self):
        calls = self.calls()
        self.assertTrue(calls)
        for r in calls:
            self.assertIn(r["region"], EU, r)
            self.assertEqual(r["access_key_id"], ACCESS_KEY, r)
            self.assertTrue(r["signature_verified"], r)

    def messages(self, text="Which region are you in?"):
        return [{"role": "user", "content": [{"text": text}]}]

    def test_converse_is_routed_to_the_nearest_eu_region(self):
        r = self.client().converse(modelId=HAIKU, messages=self.messages(), inferenceConfig={"maxTokens": 64})
        text = r["output"]["message"]["content"][0]["text"]
        self.assertIn(f"Hello from {NEAREST}", text)
        self.assertEqual(r["stopReason"], "end_turn")
        self.assertGreater(r["usage"]["totalTokens"], 0)
        self.assert_only_eu_with_device_credentials()

    def test_converse_stream_passes_events_on(self):
        r = self.client().converse_stream(modelId=HAIKU, messages=self.messages())
        kinds, text = [], ""
        for event in r["stream"]:
            kind = next(iter(event))
            kinds.append(kind)
            if kind == "contentBlockDelta":
                text += event[kind]["delta"]["text"]
        self.assertEqual(kinds[0], "messageStart")
        self.assertIn("contentBlockDelta", kinds)
        self.assertEqual(kinds[-2:], ["messageStop", "metadata"])
        self.assertIn("Hello from eu-", text)
        self.assert_only_eu_with_device_credentials()

    def test_invoke_model_passes_the_native_body(self):
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
                           "messages": [{"role": "user", "content": "hi"}]})
        r = self.client().invoke_model(modelId=HAIKU, body=body)
        answer = json.loads(r["body"].read())
        self.assertIn("content", answer)
        self.assert_only_eu_with_device_credentials()

    def test_failover_when_the_nearest_eu_region_throttles(self):
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 1.0}])
        client = self.client()
        for _ in range(3):
            r = client.converse(modelId=HAIKU, messages=self.messages())
            text = r["output"]["message"]["content"][0]["text"]
            self.assertRegex(text, r"Hello from eu-west-(1|3)")
        stream = client.converse_stream(modelId=HAIKU, messages=self.messages())
        self.assertTrue(any("contentBlockDelta" in e for e in stream["stream"]))
        calls = self.calls()
        self.assertTrue(any(c["region"] == NEAREST and c["status"] == 429 for c in calls), calls)
        self.assert_only_eu_with_device_credentials()

    def test_a_disallowed_identifier_is_refused_with_a_bedrock_shaped_400(self):
        import botocore.exceptions
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            self.client().converse(modelId=US_PROFILE, messages=self.messages())
        error = caught.exception.response
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(error["Error"]["Code"], "ValidationException")
        self.assertIn(US_PROFILE, error["Error"]["Message"])
        self.assertIn("not allowed under allow eu", error["Error"]["Message"])
        self.assertEqual(self.calls(), [], "a refused identifier sends nothing")

    def test_a_catalog_refresh_at_start_refuses_a_profile_that_now_reaches_london(self):
        import botocore.exceptions
        client = self.client()
        before = client.converse(modelId=SONNET, messages=self.messages())  # the EU profile, as the catalog has it
        self.assertIn("Hello from eu-", before["output"]["message"]["content"][0]["text"])
        # The world's EU profile now also sends requests to London; the device's
        # catalog file does not know. A serve that refreshes at start does.
        self.post_control("/profiles", {"id": EU_SONNET, "destination_regions": sorted(EU) + ["eu-west-2"]})
        self.restart_serve("--catalog-refresh", "3600")
        log = self.serve_stderr()
        self.assertIn("edgeroute serve: catalog refreshed: ListInferenceProfiles in eu-central-1, eu-west-1, "
                      "eu-west-3", log)
        sent = len(self.converses())
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            self.client().converse(modelId=SONNET, messages=self.messages())
        error = caught.exception.response
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 400, error)
        self.assertIn("eu-west-2", error["Error"]["Message"])
        self.assertEqual(len(self.converses()), sent, "nothing was sent once the refresh saw London")
        self.assertEqual(sorted({r["region"] for r in clitest.settled_requests(self.sim)
                                 if r.get("operation") == "ListInferenceProfiles"}), sorted(EU))

    def scrape(self, token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/metrics", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()

    def test_metrics_are_scraped_with_the_token(self):
        import promtext
        client = self.client()
        for _ in range(3):
            client.converse(modelId=HAIKU, messages=self.messages())
        status, content_type, text = self.scrape()
        self.assertEqual(status, 200, text)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        families = promtext.parse(text)
        calls = [(labels, value) for name, labels, value in families["edgeroute_calls_total"]["samples"]]
        # The three calls, each counted once, on the pairs the simulator saw.
        converses = self.converses()
        self.assertEqual(sum(v for l, v in calls if l["result"] == "ok"), len(converses))
        self.assertEqual(len(converses), 3)
        self.assertEqual({l["source_region"] for l, v in calls if v > 0}, {r["region"] for r in converses})
        if shutil.which("promtool"):
            lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
                                  timeout=30)
            self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)
        # Without the token, or with another, nothing is told.
        for token in (None, "not-the-local-token-000"):
            status, _, body = self.scrape(token)
            self.assertEqual(status, 403)
            self.assertNotIn("edgeroute_", body)

    def test_catalog_refresh_flags_are_checked(self):
        for flags, expected in [(["--catalog-refresh", "30"], "--catalog-refresh needs seconds"),
                                (["--catalog-cache", os.path.join(self.tmp.name, "c.json")],
                                 "--catalog-cache keeps what --catalog-refresh fetches")]:
            r = subprocess.run([TOOL, "serve", "--allow", "eu", "--token-file", self.token_file, *flags],
                               capture_output=True, text=True, timeout=clitest.allowance(30))
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(expected, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_a_client_without_the_token_is_refused(self):
        import botocore.exceptions
        for token in (None, "wrong-token-0123456789"):
            client = self.client(token=token)
            with self.assertRaises(botocore.exceptions.ClientError) as caught:
                client.converse(modelId=HAIKU, messages=self.messages())
            self.assertEqual(caught.exception.response["Error"]["Code"], "AccessDeniedException")
        self.assertEqual(self.calls(), [])

    def test_sigterm_lets_an_in_flight_call_finish(self):
        # A slow region: the call is still running when serve is told to stop.
        body = json.dumps({"region": NEAREST, "latency_ms": 1500}).encode()
        req = urllib.request.Request(self.ready["control"]["url"] + "/latency", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).close()
        result = {}
        client = self.client()

        def call():
            try:
                result["r"] = client.converse(modelId=HAIKU, messages=self.messages())
            except Exception as e:  # reported below
                result["e"] = e

        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.8)  # sent, and waiting on the slow region
        self.serve.send_signal(signal.SIGTERM)
        t.join(20)
        self.assertFalse(t.is_alive())
        self.assertIn("r", result, result.get("e"))
        self.assertEqual(self.serve.wait(10), 0, self.serve_stderr())
        self.assertIn("stopped", self.serve_stderr())

    @unittest.skipIf(shutil.which("aws") is None, "the aws command is not installed")
    def test_the_aws_cli_converses_through_serve(self):
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 1.0}])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_BEARER_TOKEN_BEDROCK": TOKEN, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{self.port}",
               "AWS_MAX_ATTEMPTS": "1"}
        for var in ("PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH"):
            if var in os.environ:
                env[var] = os.environ[var]
        p = subprocess.run(["aws", "bedrock-runtime", "converse", "--region", "eu-central-1", "--model-id", HAIKU,
                            "--messages", json.dumps(self.messages()), "--output", "json"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        text = json.loads(p.stdout)["output"]["message"]["content"][0]["text"]
        self.assertRegex(text, r"Hello from eu-west-(1|3)")  # failed over from the throttling region
        p = subprocess.run(["aws", "bedrock-runtime", "converse", "--region", "eu-central-1", "--model-id", US_PROFILE,
                            "--messages", json.dumps(self.messages())],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ValidationException", p.stderr)
        self.assertIn("not allowed under allow eu", p.stderr)
        self.assert_only_eu_with_device_credentials()

    def test_bad_requests_get_one_line_answers(self):
        def post(path, body=b"{}", headers=None):
            req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.headers, e.read()
        status, headers, body = post(f"/model/{HAIKU}/converse", b"not json")
        self.assertEqual(status, 400)
        self.assertTrue(headers["x-amzn-ErrorType"].startswith("ValidationException"))
        self.assertIn("not a JSON object", json.loads(body)["message"])
        status, _, body = post(f"/model/{HAIKU}/converse",
                               json.dumps({"messages": self.messages(), "guardrailConfig": {}}).encode())
        self.assertEqual(status, 400)
        self.assertIn("guardrailConfig", json.loads(body)["message"])
        # Too large: refused from its Content-Length, before the body is read.
        import socket
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"POST /model/{HAIKU}/converse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                         "Content-Length: 2000000\r\n\r\n".encode())
            answer = sock.recv(4096).decode()
        self.assertTrue(answer.startswith("HTTP/1.1 413 "), answer)
        self.assertIn("larger than 1048576 bytes", answer)
        self.assertEqual(self.calls(), [])


if __name__ == "__main__":
    clitest.main(globals())
