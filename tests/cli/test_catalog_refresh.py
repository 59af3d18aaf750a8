"""`edgeroute catalog refresh` against the simulator's control plane
(worlds/live.json): the refreshed catalog matches the world, a live destination
outside the allowed set makes its profile refused, and a failed refresh keeps the
last good catalog. Each test starts its own simulator; every request the tool
sends goes to loopback (the test catalog knows only the world's regions, and each
has a --connect-to).

Run: python3 tests/cli/test_catalog_refresh.py --tool build/host/examples/edgeroute --source-dir .
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import clitest

TOOL = None
SOURCE_DIR = None
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
EU_SONNET = "eu." + SONNET
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # live.json's fake key
EU = ["eu-central-1", "eu-west-1", "eu-west-3"]
RUN_TIMEOUT_S = 60


class CatalogRefresh(unittest.TestCase):
    def setUp(self):
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "sim"))
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.out = os.path.join(self.tmp, "live-catalog.json")

    def start_world(self, edit=None):
        """The simulator on worlds/live.json (edited by ``edit``), and a catalog of
        the world's regions whose snapshot profiles stay inside the EU set."""
        with open(os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "live.json")) as f:
            self.world = json.load(f)
        if edit is not None:
            edit(self.world)
        world_path = os.path.join(self.tmp, "world.json")
        with open(world_path, "w") as f:
            json.dump(self.world, f)
        snapshot = {"profiles": [dict(p, destination_regions=EU) if p["id"].startswith("eu.") else dict(p)
                                 for p in self.world["profiles"] if p.get("type") != "APPLICATION"],
                    "regions": self.world["regions"]}
        for p in snapshot["profiles"]:
            for key in ("name", "global_arn", "type", "model_id"):
                p.pop(key, None)
        catalog = clitest.world_catalog(snapshot, {"eu": EU, "global": EU + ["us-east-1", "eu-west-2"]})
        catalog["regions"] = {"eu-central-1": {"country": "DE"}, "eu-west-1": {"country": "IE"},
                              "eu-west-3": {"country": "FR"}, "us-east-1": {"country": "US"},
                              "eu-west-2": {"country": "GB"}}
        self.catalog = os.path.join(self.tmp, "catalog.json")
        with open(self.catalog, "w") as f:
            json.dump(catalog, f)
        import simtest  # bounded start, always stopped
        self.sim = simtest.SimProcess(world_path)
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=120)

    def run_tool(self, *args):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        p = subprocess.run([TOOL, *args], env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        return p

    def refresh(self, allow="eu", *extra):
        args = ["catalog", "refresh", "--allow", allow, "--catalog", self.catalog, "--out", self.out,
                "--ca-bundle", self.ready["ca_file"], "--deadline-ms", "20000", *extra]
        for region, r in self.ready["regions"].items():
            args += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        return self.run_tool(*args)

    def route(self, *extra, returncode=0):
        p = self.run_tool("route", "--model", SONNET, "--allow", "eu", "--catalog", self.catalog, "--json", *extra)
        self.assertEqual(p.returncode, returncode, p.stderr)
        return {(c["identifier"], c["source_region"]): c for c in json.loads(p.stdout)["candidates"]}

    def control(self, path, payload):
        request = urllib.request.Request(self.ready["control"]["url"] + path, data=json.dumps(payload).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def listings(self):
        return [r for r in clitest.settled_requests(self.sim) if r["operation"] == "ListInferenceProfiles"]

    def test_refresh_builds_a_catalog_that_matches_the_world(self):
        self.start_world()
        p = self.refresh()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), self.out)
        with open(self.out) as f:
            live = json.load(f)
        self.assertRegex(live["snapshot"]["source"],
                         r"^ListInferenceProfiles in eu-central-1, eu-west-1, eu-west-3 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # Every SYSTEM_DEFINED profile the world has in an allowed source, from that
        # source, with the world's destinations; the global one as `global`.
        expected = {}
        for profile in self.world["profiles"]:
            if profile.get("type") == "APPLICATION":
                continue
            for source in profile["source_regions"]:
                if source in EU:
                    destinations = list(profile["destination_regions"])
                    if profile.get("global_arn"):
                        destinations.append("global")
                    expected[(profile["id"], source)] = sorted(destinations)
        got = {(p["id"], s): sorted(d) for p in live["profiles"] for s, d in p["sources"].items()}
        self.maxDiff = None
        self.assertEqual(got, expected)
        # Listed only where the policy allows a source, each page signed and verified.
        records = self.listings()
        self.assertEqual(sorted({r["region"] for r in records}), EU)
        for r in records:
            self.assertTrue(r["signature_verified"], r)
            self.assertEqual(r["status"], 200, r)
        # The saved file loads over the catalog, and `global` stays out of `--allow eu`.
        candidates = self.route("--catalog-extend", self.out)
        self.assertTrue(candidates[(EU_SONNET, "eu-central-1")]["allowed"])
        self.assertFalse(candidates[("global." + SONNET, "eu-central-1")]["allowed"])

    def test_an_eu_profile_that_gains_london_is_refused_after_the_refresh(self):
        def london(world):
            for p in world["profiles"]:
                if p["id"] == EU_SONNET:
                    p["destination_regions"] = EU + ["eu-west-2"]
        self.start_world(london)
        before = self.route()
        self.assertTrue(before[(EU_SONNET, "eu-central-1")]["allowed"])
        p = self.refresh()
        self.assertEqual(p.returncode, 0, p.stderr)
        for source in EU:
            self.assertIn(f"edgeroute catalog refresh: refused: {EU_SONNET} from {source}: "
                          f"destination eu-west-2 (GB) outside eu\n", p.stderr)
        # The world's only Sonnet 4.5 profile from the EU now reaches London: the
        # model has no candidate left under `--allow eu`, and route says why.
        after = self.route("--catalog-extend", self.out, returncode=1)
        for source in EU:
            c = after[(EU_SONNET, source)]
            self.assertFalse(c["allowed"], c)
            self.assertEqual(c["reason"], "destination eu-west-2 (GB) outside eu", c)
        # The other EU profiles did not change and stay allowed.
        p = self.run_tool("route", "--model", "amazon.nova-lite-v1:0", "--allow", "eu", "--catalog", self.catalog,
                          "--catalog-extend", self.out, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        nova = {(c["identifier"], c["source_region"]): c for c in json.loads(p.stdout)["candidates"]}
        self.assertTrue(nova[("eu.amazon.nova-lite-v1:0", "eu-west-1")]["allowed"])

    def test_a_failed_refresh_keeps_the_last_good_catalog(self):
        self.start_world()
        p = self.refresh()
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.out, "rb") as f:
            good = f.read()
        # One allowed region's control plane unreachable: nothing is applied.
        self.control("/faults", {"region": "eu-west-3", "faults": [{"kind": "down"}]})
        p = self.refresh()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertTrue(p.stderr.startswith("edgeroute catalog refresh: eu-west-3: ListInferenceProfiles: "), p.stderr)
        self.assertIn(f"keeping the last good catalog, {self.out} (unchanged)", p.stderr)
        with open(self.out, "rb") as f:
            self.assertEqual(f.read(), good)
        # A wrong key: refused by the service, named, and still nothing written.
        self.control("/faults", {"region": "eu-west-3", "faults": []})
        env_args = ["catalog", "refresh", "--allow", "eu", "--catalog", self.catalog, "--out", self.out,
                    "--ca-bundle", self.ready["ca_file"]]
        for region, r in self.ready["regions"].items():
            env_args += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        p = subprocess.run([TOOL, *env_args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                                "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": "not" + SECRET})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("HTTP 403 InvalidSignatureException", p.stderr)
        self.assertNotIn(SECRET, p.stderr)
        with open(self.out, "rb") as f:
            self.assertEqual(f.read(), good)
        # Routing goes on with the last good catalog.
        candidates = self.route("--catalog-extend", self.out)
        self.assertTrue(candidates[(EU_SONNET, "eu-west-1")]["allowed"])


if __name__ == "__main__":
    clitest.main(globals())
