"""Device identity to AWS credentials, end to end: routed `edgeroute converse --repeat`
runs against the simulator authenticated only by a device certificate (AWS IoT
credentials provider, or IAM Roles Anywhere's CreateSession signed with the
certificate's key) or by container credentials, with credentials that live a
few seconds, so each run crosses several refreshes. The simulator's log shows
one credentials request per refresh, never one per call; refresh failures keep
serving until expiry and then fail with one line naming the source; no minted
secret, token, authorization token or private key appears in any output or log.

Run: python3 tests/cli/test_credentials_cli.py --tool build/host/examples/edgeroute --source-dir .
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
ALIAS = "edge-bedrock"
THING = "line-7"
CONTAINER_TOKEN = "sim-container-token-0123456789abcdef"
RA_REGION = "eu-central-1"
TRUST_ANCHOR = "arn:aws:rolesanywhere:eu-central-1:{account}:trust-anchor/5c1a7e2b-0d3f-4e6a-9b8c-7d6e5f4a3b2c"
PROFILE = "arn:aws:rolesanywhere:eu-central-1:{account}:profile/8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b"
ROLE = "arn:aws:iam::{account}:role/edge-bedrock"
# Short enough that a 20-second run crosses several refreshes (the issue asks for
# 60 s or less); the windows are scaled to it through --config, not by patching.
DURATION_S = 12
WINDOWS = {"advisory": 6000, "mandatory": 3000, "jitter": 0}


class CredentialsEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        with open(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "demo.json")) as f:
            world = json.load(f)
        cls.tmp = tempfile.TemporaryDirectory(prefix="edgeroute-creds-")
        account = world["accounts"][0]["id"]
        cls.arns = {"trust_anchor_arn": TRUST_ANCHOR.format(account=account),
                    "profile_arn": PROFILE.format(account=account), "role_arn": ROLE.format(account=account)}
        world["identity"] = {"role_aliases": {ALIAS: account}, "things": [THING],
                             "credential_duration_s": DURATION_S, "container_token": CONTAINER_TOKEN,
                             "rolesanywhere": {"trust_anchor_arn": cls.arns["trust_anchor_arn"],
                                               "profile_arn": cls.arns["profile_arn"],
                                               "role_arns": [cls.arns["role_arn"]]}}
        cls.world_path = os.path.join(cls.tmp.name, "world.json")
        with open(cls.world_path, "w") as f:
            json.dump(world, f)
        cls.catalog = os.path.join(cls.tmp.name, "catalog.json")
        with open(cls.catalog, "w") as f:
            json.dump(clitest.world_catalog(world, {"eu": EU}), f)
        cls.home = os.path.join(cls.tmp.name, "home")
        os.makedirs(cls.home)
        cls.token_file = os.path.join(cls.tmp.name, "container-token")
        with open(cls.token_file, "w") as f:
            f.write(CONTAINER_TOKEN + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        import simtest  # the simulator's own helper: bounded start, always stopped
        self.sim = simtest.SimProcess(self.world_path)
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=150)
        self.outputs = []

    # -- helpers ----------------------------------------------------------------

    def config(self, credentials):
        path = os.path.join(self.sim.state_dir, "gateway.json")
        with open(path, "w") as f:
            json.dump({"ca_bundle": self.ready["ca_file"], "credentials": credentials}, f)
        return path

    def iot_config(self, device=None):
        iot = self.ready["identity"]["iot"]
        device = device or iot["devices"][THING]
        return self.config({"source": "iot", "endpoint": iot["endpoint"], "role_alias": ALIAS,
                            "thing_name": THING, "certificate": device["certificate"], "key": device["key"],
                            "refresh_ms": WINDOWS})

    def rolesanywhere_config(self, device=None, **override):
        ra = self.ready["identity"]["rolesanywhere"]
        device = device or ra["devices"][THING]
        credentials = {"source": "rolesanywhere", "endpoint": ra["endpoint"], "region": RA_REGION,
                       "certificate": device["certificate"], "key": device["key"], **self.arns,
                       "session_duration_s": 900, "refresh_ms": WINDOWS}
        credentials.update(override)
        return self.config(credentials)

    def env(self, **extra):
        # No AWS keys anywhere: the device identity is all there is.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home}
        env.update(extra)
        return env

    def connection(self):
        flags = ["--catalog", self.catalog, "--deadline-ms", "10000"]
        for region, r in self.ready["regions"].items():
            flags += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        return flags

    def tool(self, *args, env=None, timeout=90):
        p = subprocess.run([TOOL, *args], env=env or self.env(), capture_output=True, text=True, timeout=timeout)
        self.outputs += [p.stdout, p.stderr]
        return p

    def converse_args(self, config, repeat, interval_ms):
        return ["converse", "--model", HAIKU, "--allow", "eu", "--prompt", "Which region are you in?", "--json",
                "--repeat", str(repeat), "--interval-ms", str(interval_ms), "--config", config, *self.connection()]

    def converse(self, config, repeat, interval_ms, env=None):
        return self.tool(*self.converse_args(config, repeat, interval_ms), env=env)

    def control(self, **settings):
        req = urllib.request.Request(self.ready["control"]["url"] + "/identity", data=json.dumps(settings).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def split_log(self):
        records = clitest.settled_requests(self.sim)
        identity = [r for r in records if r["region"].startswith("identity:")]
        # The first call's latency probes (operation null) are not Bedrock calls.
        bedrock = [r for r in records if not r["region"].startswith("identity:") and r.get("operation")]
        return identity, bedrock

    def assert_no_secret_anywhere(self):
        """Every minted secret and token, the container token and the device keys:
        in no output of the tool, and in no file the simulator logs to."""
        needles = [CONTAINER_TOKEN]
        minted = os.path.join(self.sim.state_dir, "minted-secrets.jsonl")
        if os.path.exists(minted):
            with open(minted) as f:
                for line in f:
                    m = json.loads(line)
                    needles += [m["secret"], m["token"]]
        identity = self.ready["identity"]
        for device in [*identity["iot"]["devices"].values(), identity["iot"]["rogue_device"],
                       *identity["rolesanywhere"]["devices"].values(), identity["rolesanywhere"]["rogue_device"]]:
            with open(device["key"]) as f:
                body = "".join(line.strip() for line in f if "PRIVATE KEY" not in line)
            needles += [body[:40], body[-40:]]
        haystacks = list(self.outputs)
        with open(os.path.join(self.sim.state_dir, "requests.jsonl")) as f:
            haystacks.append(f.read())
        haystacks.append(self.sim.stderr())
        self.assertGreater(len(needles), 3)
        for i, text in enumerate(haystacks):
            for needle in needles:
                # Reported by index only: a failure must not print the secret itself.
                self.assertFalse(needle in text, f"a secret leaked into output #{i}")
        self.assertNotIn("PRIVATE KEY", "".join(haystacks))

    def assert_refreshed_run(self, p, identity_kind, calls):
        self.assertEqual(p.returncode, 0, p.stderr[-500:])
        identity, bedrock = self.split_log()
        fetches = [r for r in identity if r["region"] == f"identity:{identity_kind}"]
        self.assertTrue(all(r["status"] == 200 for r in fetches), fetches)
        self.assertEqual(len(bedrock), calls, "no failed call, no retry")
        self.assertTrue(all(r["status"] == 200 for r in bedrock), [r["status"] for r in bedrock])
        self.assertTrue(all(r["region"] in EU for r in bedrock))
        used = {r["access_key_id"] for r in bedrock}
        minted = {r["access_key_id"] for r in fetches}
        # At least three refreshes after the first fetch, and each fetched set was used.
        self.assertGreaterEqual(len(fetches), 4, f"{len(fetches)} credentials requests for {calls} calls")
        self.assertEqual(used, minted, "one credentials request per refresh, each one's keys signing calls")
        self.assertLessEqual(len(fetches), calls // 3, "credentials are not fetched per call")
        self.assert_no_secret_anywhere()

    # -- the runs ----------------------------------------------------------------

    def test_iot_device_certificate_across_refreshes(self):
        p = self.converse(self.iot_config(), repeat=30, interval_ms=700)
        self.assert_refreshed_run(p, "iot", 30)
        identity, _ = self.split_log()
        self.assertTrue(all(r["thing_name"] == THING and r["client_certificate"] == THING for r in identity))

    def test_rolesanywhere_across_refreshes(self):
        p = self.converse(self.rolesanywhere_config(), repeat=30, interval_ms=700)
        self.assert_refreshed_run(p, "rolesanywhere", 30)
        identity, _ = self.split_log()
        self.assertTrue(identity)
        for r in identity:
            self.assertEqual((r["region"], r["operation"], r["signature_verified"], r["certificate"]),
                             ("identity:rolesanywhere", "CreateSession", True, THING))
            self.assertEqual((r["trust_anchor_arn"], r["profile_arn"], r["role_arn"]),
                             (self.arns["trust_anchor_arn"], self.arns["profile_arn"], self.arns["role_arn"]))

    def test_rolesanywhere_refusals_are_one_line_errors(self):
        """A certificate the trust anchor did not issue, and a profile the world does
        not have: refused by the service, one line naming the source, the endpoint
        and the certificate, with the service's reason; no credentials minted."""
        ra = self.ready["identity"]["rolesanywhere"]
        p = self.tool("credentials", "--config", self.rolesanywhere_config(ra["rogue_device"]))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("rolesanywhere: 127.0.0.1 refused certificate", p.stderr)
        self.assertIn("device-rogue.pem", p.stderr)
        self.assertIn("HTTP 403", p.stderr)
        self.assertIn("trust anchor", p.stderr)
        wrong_profile = self.arns["profile_arn"].replace("/8e9f", "/0000")
        p = self.tool("credentials", "--config", self.rolesanywhere_config(profile_arn=wrong_profile))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("rolesanywhere: 127.0.0.1 refused certificate", p.stderr)
        self.assertIn("Unable to find the profile", p.stderr)
        identity, _ = self.split_log()
        self.assertEqual([(r["status"], r["error_type"], r["access_key_id"]) for r in identity],
                         [(403, "AccessDeniedException", None)] * 2)
        self.assertEqual([r["signature_verified"] for r in identity], [True, True])
        self.assertEqual(identity[1]["profile_arn"], wrong_profile)
        self.assert_no_secret_anywhere()

    def test_container_credentials_across_refreshes(self):
        container = self.ready["identity"]["container"]["full_uri"]
        env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=container,
                       AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=self.token_file)
        p = self.converse(self.config({"refresh_ms": WINDOWS}), repeat=30, interval_ms=700, env=env)
        self.assert_refreshed_run(p, "container", 30)

    def check_failing_refresh(self, **fault):
        """The endpoint fails from the first refresh on: calls keep succeeding on
        the cached credentials until they expire, then fail with one line naming
        the source."""
        self.control(credential_duration_s=8)
        started = time.monotonic()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen([TOOL, *self.converse_args(self.iot_config(), 16, 1000)], env=self.env(),
                                    stdout=out, stderr=err, text=True)
            try:
                # The fault starts once the first call has been served.
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not any(
                        r["status"] == 200 for r in self.split_log()[1]):
                    time.sleep(0.1)
                self.control(**fault)
                proc.wait(timeout=90)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        self.outputs += [stdout, stderr]
        elapsed = time.monotonic() - started
        self.assertNotEqual(proc.returncode, 0)
        lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), 16)
        outcomes = ["ok" if "error" not in line or not line["error"] else "fail" for line in lines]
        # Served until expiry (8 s of credentials, refreshes failing from 4 s on), then failing.
        self.assertIn("ok", outcomes)
        self.assertEqual(outcomes, sorted(outcomes, key=lambda o: o == "fail"), outcomes)
        self.assertGreaterEqual(outcomes.count("ok"), 5, outcomes)
        failed = [line for line in lines if line.get("error")]
        self.assertTrue(failed, outcomes)
        message = json.dumps(failed[-1]["error"])
        self.assertIn("credentials from iot expired", message)
        self.assertLess(elapsed, 60)
        self.assert_no_secret_anywhere()
        return message

    def test_endpoint_down_serves_until_expiry_then_names_the_source(self):
        self.check_failing_refresh(iot_down=True)

    def test_certificate_refused_serves_until_expiry_then_names_the_source(self):
        message = self.check_failing_refresh(refuse_certificates=True)
        self.assertIn("refused", message)

    def test_rogue_certificate_and_unknown_alias_are_one_line_errors(self):
        iot = self.ready["identity"]["iot"]
        p = self.tool("credentials", "--config", self.iot_config(iot["rogue_device"]))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("device certificate", p.stderr)
        self.assertIn("device-rogue.pem", p.stderr)
        config = self.config({"source": "iot", "endpoint": iot["endpoint"], "role_alias": "no-such-alias",
                              "certificate": iot["devices"][THING]["certificate"],
                              "key": iot["devices"][THING]["key"]})
        p = self.tool("credentials", "--config", config)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no role alias 'no-such-alias'", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assert_no_secret_anywhere()

    def test_a_key_others_may_read_is_refused(self):
        device = self.ready["identity"]["iot"]["devices"][THING]
        os.chmod(device["key"], 0o644)
        p = self.tool("credentials", "--config", self.iot_config())
        self.assertEqual(p.returncode, 1)
        self.assertIn("readable or writable by group or others (mode 0644)", p.stderr)
        identity, _ = self.split_log()
        self.assertEqual(identity, [], "nothing is sent with a key others may read")

    def test_credentials_command_shows_source_key_tail_and_expiry_only(self):
        p = self.tool("credentials", "--config", self.iot_config())
        self.assertEqual(p.returncode, 0, p.stderr)
        identity, _ = self.split_log()
        key_id = identity[-1]["access_key_id"]
        self.assertIn("source: iot\n", p.stdout)
        self.assertIn(f"access key ID: ...{key_id[-4:]}\n", p.stdout)
        self.assertNotIn(key_id, p.stdout)
        self.assertRegex(p.stdout, r"expires: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+ s\)")
        self.assert_no_secret_anywhere()


if __name__ == "__main__":
    clitest.main(globals())
