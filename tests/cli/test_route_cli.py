"""`edgeroute route` as a user runs it: the residency verdicts without probes, the
latency ranking with probes against the Bedrock simulator, and bad flags.

Run: python3 tests/cli/test_route_cli.py --tool build/host/examples/edgeroute --source-dir .
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

TOOL = None
SOURCE_DIR = None
MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"

# The default catalog has no global profile and no in-region ID for this model;
# this extension adds both, so the global and region-level checks have something to check.
# The snapshot marks the model profile-only, so the extension says it is not.
EXTENSION = {
    "models": {MODEL: {"lifecycle": "active"}},
    "profiles": [{"id": "global." + MODEL, "model": MODEL, "geography": "global",
                  "sources": {"eu-central-1": ["global"], "us-east-1": ["global"]}}],
    "in_region": [{"model": MODEL, "regions": ["eu-central-1", "eu-west-1", "us-east-1"]}],
}


def run(*args, timeout=60):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=timeout)


def route_json(*args):
    p = run("route", "--model", MODEL, "--json", *args)
    return p, (json.loads(p.stdout) if p.stdout.strip() else None)


class RouteWithoutProbes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.extension = os.path.join(cls.tmp.name, "extension.json")
        with open(cls.extension, "w") as f:
            json.dump(EXTENSION, f)
        p = run("catalog", "show", "--json")
        assert p.returncode == 0, p.stderr
        cls.eu = set(json.loads(p.stdout)["region_sets"]["eu"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_allow_eu_allows_only_eu_candidates_and_no_global_profile(self):
        p, out = route_json("--allow", "eu", "--catalog-extend", self.extension)
        self.assertEqual(p.returncode, 0, p.stderr)
        allowed = [c for c in out["candidates"] if c["allowed"]]
        self.assertTrue(allowed)
        for c in out["candidates"]:
            inside = c["source_region"] in self.eu and set(c["destinations"]) <= self.eu
            if c["allowed"]:
                self.assertTrue(inside, c)
            elif not c["global_profile"]:
                self.assertIn(c["exclusion"], ("source_not_allowed", "destination_not_allowed"), c)
        globals_ = [c for c in out["candidates"] if c["global_profile"]]
        self.assertEqual(len(globals_), 2)
        for c in globals_:
            self.assertFalse(c["allowed"], c)
            # From an EU source the one reason left is that the profile is global.
            if c["source_region"] in self.eu:
                self.assertEqual(c["exclusion"], "global_not_allowed", c)
                self.assertIn("'global' is not allowed", c["reason"])
        self.assertIn(out["chosen"]["source_region"], self.eu)
        # The table says the same.
        p = run("route", "--model", MODEL, "--allow", "eu", "--catalog-extend", self.extension)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("excluded: global profile, and 'global' is not allowed", p.stdout)
        self.assertIn("\nchosen: ", p.stdout)

    def test_allow_eu_keeps_every_model_of_the_built_in_catalog_in_eu_member_states(self):
        # Written out: London and Zurich are in no EU member state, whatever the set says.
        eu_member_state_regions = {"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"}
        p = run("catalog", "show", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        shown = json.loads(p.stdout)
        models = sorted({e["model"] for e in shown["profiles"] + shown["in_region"]})
        self.assertGreater(len(models), 3)
        allowed = 0
        for model in models:
            with self.subTest(model=model):
                p = run("route", "--model", model, "--allow", "eu", "--json")
                if p.returncode != 0:
                    # A model with no EU candidate is refused with a reason, not routed elsewhere.
                    self.assertIn("no candidate", p.stderr)
                    continue
                out = json.loads(p.stdout)
                for c in out["candidates"]:
                    if not c["allowed"]:
                        continue
                    allowed += 1
                    self.assertIn(c["source_region"], eu_member_state_regions, c)
                    self.assertLessEqual(set(c["destinations"]), eu_member_state_regions, c)
        self.assertGreater(allowed, 0)

    def test_an_excluded_region_is_named_with_its_country_and_the_set_that_left_it_out(self):
        p = run("route", "--model", "amazon.nova-lite-v1:0", "--allow", "eu", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        london = [c for c in json.loads(p.stdout)["candidates"] if c["source_region"] == "eu-west-2"]
        self.assertTrue(london)
        for c in london:
            self.assertFalse(c["allowed"], c)
            self.assertEqual(c["reason"], "source eu-west-2 (GB) outside eu", c)
        p = run("route", "--model", "amazon.nova-lite-v1:0", "--allow", "europe", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue([c for c in json.loads(p.stdout)["candidates"]
                         if c["source_region"] == "eu-west-2" and c["allowed"]])

    def test_catalog_import_bounds_its_input_and_writes_only_what_loads(self):
        p = run("catalog", "import", "/dev/zero", timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr, "edgeroute catalog: /dev/zero: larger than 8388608 bytes, the limit for one listing\n")
        # A model ID longer than the catalog's limit: the listing parses, but the
        # catalog it makes would be refused by --catalog-extend, so nothing is written.
        model = "m." + "x" * 120
        listing = {"inferenceProfileSummaries": [{
            "inferenceProfileId": "eu." + model, "type": "SYSTEM_DEFINED", "status": "ACTIVE",
            "inferenceProfileArn": "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu." + model,
            "models": [{"modelArn": "arn:aws:bedrock:eu-west-1::foundation-model/" + model}]}]}
        path = os.path.join(self.tmp.name, "long.json")
        with open(path, "w") as f:
            json.dump(listing, f)
        p = run("catalog", "import", path)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertTrue(p.stderr.startswith("edgeroute catalog: not written: the imported catalog: profiles[0]"), p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1)

    def test_allow_one_region_leaves_only_its_in_region_id(self):
        p, out = route_json("--allow", "eu-central-1", "--catalog-extend", self.extension)
        self.assertEqual(p.returncode, 0, p.stderr)
        allowed = [(c["identifier"], c["source_region"]) for c in out["candidates"] if c["allowed"]]
        self.assertEqual(allowed, [(MODEL, "eu-central-1")])
        self.assertEqual(out["chosen"]["identifier"], MODEL)

    def test_a_config_file_sets_the_policy_and_flags_override_it(self):
        config = os.path.join(self.tmp.name, "gateway.json")
        with open(config, "w") as f:
            # The catalog extension is named relative to the config file's directory.
            json.dump({"routing": {"allow": ["eu-central-1"], "catalog_extend": ["extension.json"]},
                       "connect_to": ["eu-central-1=127.0.0.1:9"]}, f)
        p, out = route_json("--config", config)
        self.assertEqual(p.returncode, 0, p.stderr)
        allowed = [(c["identifier"], c["source_region"]) for c in out["candidates"] if c["allowed"]]
        self.assertEqual(allowed, [(MODEL, "eu-central-1")])
        p, out = route_json("--config", config, "--allow", "eu-west-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(out["chosen"]["source_region"], "eu-west-1")
        with open(config, "w") as f:
            json.dump({"routing": {"allow": "eu", "mode": "fastest"}}, f)
        p, _ = route_json("--config", config)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("routing.mode", p.stderr)

    def test_nothing_allowed_prints_the_table_and_fails(self):
        p, out = route_json("--allow", "eu-central-1")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(out["candidates"])
        self.assertFalse(any(c["allowed"] for c in out["candidates"]))
        self.assertIsNone(out["chosen"])
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)


class BadFlags(unittest.TestCase):
    def check(self, args, message, code=2):
        p = run(*args)
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertIn(message, p.stderr)

    def test_each_bad_flag_is_one_line(self):
        self.check(["route", "--model", MODEL], "no residency policy: give --allow (e.g. --allow eu)")
        self.check(["route", "--allow", "eu"], "give --model ID")
        self.check(["route", "--model", MODEL, "--allow", "eu", "--mode", "fastest"],
                   "--mode 'fastest': expected latency, failover or weighted")
        self.check(["route", "--model", MODEL, "--allow", "atlantis"], "--allow")
        self.check(["route", "--model", MODEL, "--allow", "eu", "--order", "eu-west-1"],
                   "--order needs --mode failover")
        self.check(["route", "--model", MODEL, "--allow", "eu", "--mode", "failover", "--order", "us-east-1"],
                   "us-east-1")
        self.check(["route", "--model", MODEL, "--allow", "eu", "--probe", "--connect-to", "eu-west-1"],
                   "--connect-to 'eu-west-1': expected REGION=HOST:PORT")
        self.check(["route", "--model", MODEL, "--allow", "eu", "--connect-to", "eu-west-1=h:1"],
                   "--connect-to and --ca-bundle need --probe")
        self.check(["route", "--model", "no.such-model", "--allow", "eu"], "not in the catalog", code=1)
        self.check(["route", "--model", MODEL, "--allow", "eu", "--frobnicate"], "unknown argument '--frobnicate'")
        self.check(["route", "--model", MODEL, "--allow", "eu", "--catalog", "/nonexistent.json"],
                   "cannot open", code=1)
        self.check(["catalog", "show", "--bogus"], "unknown argument '--bogus'")
        self.check(["catalog", "import"], "import needs at least one FILE")


class RouteWithProbes(unittest.TestCase):
    """Probes the demo world's simulated regions and ranks the EU candidates."""

    def test_allowed_eu_candidates_are_ranked_by_the_worlds_latency(self):
        world_path = os.path.join(SOURCE_DIR, "tests", "sim", "worlds", "demo.json")
        with open(world_path) as f:
            world = json.load(f)
        with tempfile.TemporaryDirectory() as tmp:
            # A catalog of exactly the world's profiles, so that every probed
            # endpoint is a simulated one (never the real AWS).
            catalog = {
                "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3"]},
                "profiles": [{"id": p["id"], "model": p["id"].split(".", 1)[1], "geography": p["id"].split(".")[0],
                              "sources": {s: p["destination_regions"] for s in p["source_regions"]}}
                             for p in world["profiles"]],
            }
            catalog_path = os.path.join(tmp, "catalog.json")
            with open(catalog_path, "w") as f:
                json.dump(catalog, f)
            state = os.path.join(tmp, "state")
            sim = subprocess.Popen([sys.executable, os.path.join(SOURCE_DIR, "tests", "sim", "bedrock_sim.py"),
                                    "--world", world_path, "--state-dir", state, "--max-seconds", "150"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                ready_path = os.path.join(state, "ready.json")
                deadline = time.monotonic() + 90
                while not os.path.exists(ready_path):
                    self.assertIsNone(sim.poll(), "simulator exited")
                    self.assertLess(time.monotonic(), deadline, "simulator not ready within 90 s")
                    time.sleep(0.1)
                with open(ready_path) as f:
                    ready = json.load(f)
                args = ["--allow", "eu", "--catalog", catalog_path, "--probe", "--ca-bundle", ready["ca_file"]]
                for region, r in ready["regions"].items():
                    args += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
                p, out = route_json(*args)
            finally:
                sim.send_signal(signal.SIGTERM)
                try:
                    sim.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    sim.kill()
                    sim.wait()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreater(out["probes"]["sent"], 0)
        self.assertGreater(out["probes"]["bytes"], 0)
        eu = [c for c in out["candidates"] if c["allowed"]]
        self.assertEqual(sorted(c["source_region"] for c in eu), ["eu-central-1", "eu-west-1", "eu-west-3"])
        by_rank = [c["source_region"] for c in sorted(eu, key=lambda c: c["rank"])]
        self.assertEqual(by_rank, ["eu-central-1", "eu-west-1", "eu-west-3"], eu)
        for c in eu:
            self.assertIsNotNone(c["rtt_ms"], c)
        self.assertEqual(out["chosen"]["source_region"], "eu-central-1")
        # Endpoints that are the source of no allowed candidate are never probed.
        allowed_sources = {c["source_region"] for c in eu}
        for c in out["candidates"]:
            if c["source_region"] not in allowed_sources:
                self.assertIsNone(c["rtt_ms"], c)


def main():
    global TOOL, SOURCE_DIR
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--no-probe", action="store_true", help="skip the simulator test (no libcurl)")
    args, rest = parser.parse_known_args()
    TOOL, SOURCE_DIR = args.tool, args.source_dir
    if args.no_probe:
        del globals()["RouteWithProbes"]
    # ctest passes an empty argument where --no-probe is not given.
    unittest.main(argv=[sys.argv[0], *(a for a in rest if a)], verbosity=2)


if __name__ == "__main__":
    main()
