"""Operating a fleet: a simulator run of several hundred routed calls while the
nearest EU region throttles, with --metrics-file (Prometheus text), --emf-file
(CloudWatch embedded metric format) and --audit-file. Every count they report
must match the simulator's own request log exactly, and `edgeroute audit verify`
must accept the trail, and reject it once one line is edited to name a
disallowed region.

Run: python3 tests/cli/test_fleet_cli.py --tool build/host/examples/edgeroute --source-dir .
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import clitest
import promtext

TOOL = None
SOURCE_DIR = None
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}
NEAREST = "eu-central-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
CALLS = 300
# CloudWatch's units (the EMF specification's MetricDefinition.Unit schema).
EMF_UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
             "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
             "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
             "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
             "Count/Second", "None"}


def check_emf(line):
    """The EMF specification's requirements for one log event (docs.aws.amazon.com,
    CloudWatch "Specification: Embedded metric format"); returns the document."""
    doc = json.loads(line)
    assert isinstance(doc, dict), "the event is not a JSON object"
    aws = doc.get("_aws")
    assert isinstance(aws, dict), "_aws must be an object"
    ts = aws.get("Timestamp")
    assert isinstance(ts, int) and not isinstance(ts, bool) and ts > 1_500_000_000_000, f"Timestamp {ts!r}"
    directives = aws.get("CloudWatchMetrics")
    assert isinstance(directives, list) and directives, "CloudWatchMetrics must be a non-empty list"
    for d in directives:
        assert set(d) <= {"Namespace", "Dimensions", "Metrics"}, f"extra members {set(d)}"
        assert isinstance(d.get("Namespace"), str) and 1 <= len(d["Namespace"]) <= 1024
        dims = d.get("Dimensions")
        assert isinstance(dims, list) and len(dims) >= 1, "Dimensions must list at least one set"
        for dset in dims:
            assert isinstance(dset, list) and len(dset) <= 30
            for key in dset:
                assert isinstance(key, str) and 1 <= len(key) <= 250
                assert isinstance(doc.get(key), str) and len(doc[key]) <= 1024, f"dimension {key} target"
        metrics = d.get("Metrics")
        assert isinstance(metrics, list) and 1 <= len(metrics) <= 100
        for m in metrics:
            assert set(m) <= {"Name", "Unit", "StorageResolution"}
            assert isinstance(m.get("Name"), str) and 1 <= len(m["Name"]) <= 1024
            assert m.get("Unit", "None") in EMF_UNITS, m
            v = doc.get(m["Name"])
            assert isinstance(v, (int, float)) and not isinstance(v, bool), f"metric {m['Name']} target {v!r}"
    return doc


class StrictReader(unittest.TestCase):
    """The reader the metrics are checked with refuses what the format forbids."""

    def test_it_refuses_malformed_exposition(self):
        good = "# TYPE a_total counter\na_total{x=\"1\"} 2\n"
        self.assertEqual(promtext.parse(good)["a_total"]["samples"], [("a_total", {"x": "1"}, 2.0)])
        for bad in ["a_total 1",                                          # no final line feed
                    "# TYPE a counter\na 1\na 2\n",                       # a series twice
                    "# TYPE a counter\na -1\n",                            # a negative counter
                    "a{x=\"\\q\"} 1\n",                                   # a bad escape
                    "a 1\nb 1\na{y=\"1\"} 1\n",                           # a family split up
                    "a 1\n# TYPE a counter\n",                             # TYPE after samples
                    "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
                    "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"]:
            with self.assertRaises(ValueError, msg=bad):
                promtext.parse(bad)

    def test_emf_check_refuses_a_metric_without_its_value(self):
        line = json.dumps({"_aws": {"Timestamp": 1796470000000, "CloudWatchMetrics": [
            {"Namespace": "n", "Dimensions": [[]], "Metrics": [{"Name": "Calls", "Unit": "Count"}]}]}})
        with self.assertRaises(AssertionError):
            check_emf(line)
        check_emf(line[:-1] + ', "Calls": 1}')


class FleetOutputs(clitest.DemoWorldTest):
    QUOTAS = {"rpm": 1000000, "tpm": 1000000000}
    SIM_MAX_SECONDS = 180
    REGION_SETS = {"eu": EU}

    def setUp(self):
        super().setUp()
        self.out = tempfile.mkdtemp(dir=self.tmp.name)

    def tool(self, *args, timeout=90):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        p = subprocess.run([TOOL, *args], env=env, capture_output=True, text=True, timeout=timeout)
        self.assertNotIn(SECRET, p.stdout + p.stderr)
        return p

    def converse(self, *args, timeout=90):
        cmd = ["converse", "--prompt", "Which region are you in?", "--model", HAIKU, "--allow", "eu",
               "--probe", "--catalog", self.catalog, "--ca-bundle", self.ready["ca_file"], *args]
        for region, r in self.ready["regions"].items():
            cmd += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
        return self.tool(*cmd, timeout=timeout)

    def calls(self):
        return [r for r in clitest.settled_requests(self.sim) if r.get("operation")]

    def test_metrics_emf_and_audit_match_the_simulators_log(self):
        # A throttling region that still serves some calls: both paths are counted.
        self.set_faults(NEAREST, [{"kind": "throttling", "rate": 0.5}])
        prom = os.path.join(self.out, "edgeroute.prom")
        emf = os.path.join(self.out, "emf.jsonl")
        audit = os.path.join(self.out, "audit.jsonl")
        start = time.monotonic()
        p = self.converse("--json", "--repeat", str(CALLS), "--concurrency", "8", "--deadline-ms", "20000",
                          "--metrics-file", prom, "--emf-file", emf, "--audit-file", audit,
                          "--metrics-interval-ms", "1000", timeout=120)
        self.assertLess(time.monotonic() - start, 90)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        results = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(results), CALLS)
        log = self.calls()
        self.assertTrue(all(r["region"] in EU for r in log))
        by_region = collections.Counter(r["region"] for r in log)
        by_region_status = collections.Counter((r["region"], r["status"]) for r in log)
        self.assertGreater(by_region_status[(NEAREST, 429)], 0, "the throttling region was never tried")
        self.assertGreater(sum(1 for o in results if o["failed_over"]), 0)
        self.assertFalse([f for f in os.listdir(self.out) if ".tmp." in f], "a temporary metrics file was left")

        # --- Prometheus: the strict reader, and promtool's when Debian's prometheus is installed.
        with open(prom) as f:
            text = f.read()
        families = promtext.parse(text)
        if shutil.which("promtool"):
            lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
                                  timeout=30)
            self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)
        attempts = collections.Counter()
        for _, labels, value in families["edgeroute_attempts_total"]["samples"]:
            attempts[(labels["source_region"], labels["outcome"])] += int(value)
        for region in EU:
            self.assertEqual(sum(v for (r, _), v in attempts.items() if r == region), by_region[region], region)
            self.assertEqual(attempts[(region, "throttle")], by_region_status[(region, 429)], region)
            self.assertEqual(attempts[(region, "success")], by_region_status[(region, 200)], region)
        self.assertEqual(sum(attempts.values()), len(log))
        calls = collections.Counter()
        for _, labels, value in families["edgeroute_calls_total"]["samples"]:
            calls[labels["result"]] += int(value)
        self.assertEqual(calls["ok"], CALLS)
        self.assertEqual(calls["failed"], 0)
        failovers = sum(v for _, _, v in families["edgeroute_failovers_total"]["samples"])
        self.assertEqual(failovers, sum(1 for o in results if o["failed_over"]))
        throttles = {l["source_region"]: v for _, l, v in families["edgeroute_throttles_total"]["samples"]}
        self.assertEqual(throttles.get(NEAREST), by_region_status[(NEAREST, 429)])
        durations = [v for n, l, v in families["edgeroute_call_duration_seconds"]["samples"]
                     if n.endswith("_count")]
        self.assertEqual(sum(durations), CALLS)
        first_bytes = [v for n, l, v in families["edgeroute_first_byte_seconds"]["samples"] if n.endswith("_count")]
        self.assertEqual(sum(first_bytes), len(log))
        self.assertGreater(families["edgeroute_probe_bytes_total"]["samples"][0][2], 0)
        self.assertIn("edgeroute_retry_budget_tokens", families)

        # --- EMF: every line valid; Attempts and Throttles summed over the lines.
        with open(emf) as f:
            docs = [check_emf(line) for line in f]
        emf_attempts = collections.Counter()
        emf_throttles = collections.Counter()
        emf_calls = 0
        for d in docs:
            if "SourceRegion" in d:
                emf_attempts[d["SourceRegion"]] += d["Attempts"]
                emf_throttles[d["SourceRegion"]] += d["Throttles"]
                emf_calls += d["Calls"]
        self.assertEqual(dict(emf_attempts), {r: n for r, n in by_region.items()})
        self.assertEqual(emf_throttles[NEAREST], by_region_status[(NEAREST, 429)])
        self.assertEqual(emf_calls, CALLS)

        # --- The audit trail: one line per call, naming exactly the requests the simulator saw.
        with open(audit) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), CALLS)
        records = [json.loads(line) for line in lines]
        audited_ids = sorted(a["request_id"] for r in records for a in r["attempts"])
        self.assertEqual(audited_ids, sorted(r["request_id"] for r in log))
        for r in records:
            self.assertEqual(r["policy"], "eu")
            self.assertIn(r["source_region"], EU)
            self.assertTrue(set(r["destinations"]) <= EU)
            self.assertNotIn("Which region", json.dumps(r))  # never the prompt
            self.assertNotIn("Hello from", json.dumps(r))     # never the answer
        v = self.tool("audit", "verify", audit, "--allow", "eu", "--catalog", self.catalog)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertIn(f"{CALLS} calls checked against allow eu, 0 break it", v.stdout)
        # Checked against a narrower policy, the calls served elsewhere break it.
        narrow = self.tool("audit", "verify", audit, "--allow", "eu-west-1", "--catalog", self.catalog)
        self.assertEqual(narrow.returncode, 1)

        # One line edited to name a disallowed region: rejected, that line named.
        edited = os.path.join(self.out, "edited.jsonl")
        records[7]["attempts"][0]["source_region"] = "us-east-1"
        records[7]["attempts"][0]["identifier"] = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        with open(edited, "w") as f:
            f.write("\n".join(json.dumps(r, separators=(",", ":")) for r in records) + "\n")
        bad = self.tool("audit", "verify", edited, "--allow", "eu", "--catalog", self.catalog)
        self.assertEqual(bad.returncode, 1, bad.stdout)
        flagged = [l for l in bad.stdout.splitlines() if re.match(re.escape(edited) + r":\d+: ", l)]
        self.assertEqual(len(flagged), 1, bad.stdout)
        self.assertTrue(flagged[0].startswith(f"{edited}:8: attempt 1:"), flagged[0])
        self.assertIn("us-east-1", flagged[0])

    def test_a_widened_destination_set_is_rejected(self):
        audit = os.path.join(self.out, "audit.jsonl")
        p = self.converse("--repeat", "3", "--audit-file", audit)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(audit) as f:
            records = [json.loads(line) for line in f]
        self.assertEqual(len(records), 3)
        records[1]["destinations"] = records[1]["destinations"] + ["us-east-1"]
        edited = os.path.join(self.out, "edited.jsonl")
        with open(edited, "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in records))
        bad = self.tool("audit", "verify", edited, "--allow", "eu", "--catalog", self.catalog)
        self.assertEqual(bad.returncode, 1)
        self.assertIn(f"{edited}:2: route: destination us-east-1", bad.stdout)

    def test_outputs_need_a_routed_call_and_a_writable_place(self):
        p = self.tool("converse", "--model", HAIKU, "--prompt", "x", "--region", "eu-west-1",
                      "--metrics-file", os.path.join(self.out, "m.prom"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("need --allow", p.stderr)
        p = self.converse("--metrics-file", os.path.join(self.out, "no", "such", "dir", "m.prom"))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("--metrics-file", p.stderr)
        self.assertEqual(self.calls(), [], "nothing is sent when an output cannot be written")


if __name__ == "__main__":
    clitest.main(globals())
