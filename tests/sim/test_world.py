"""World-file validation: every mistake is one line naming the field, exit code 2."""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

import simtest
from simlib.world import WorldError, load_world, parse_world

VALID = simtest.load_json(simtest.TEST_WORLD)


def broken(edit):
    world = copy.deepcopy(VALID)
    edit(world)
    return world


class WorldValidation(unittest.TestCase):
    def test_shipped_worlds_are_valid(self):
        for name in ("test.json", "demo.json", "live.json"):
            with self.subTest(world=name):
                world = load_world(os.path.join(simtest.SIM_DIR, "worlds", name))
                self.assertTrue(world.regions and world.credentials)

    def test_mistakes_name_the_field(self):
        cases = [
            (lambda w: w["regions"][2].update(latency_ms=-1), "regions[2].latency_ms: expected a non-negative number"),
            (lambda w: w["regions"][0].update(latncy_ms=5), "regions[0].latncy_ms: unknown field"),
            (lambda w: w["regions"][1].update(name="europe"), "regions[1].name: expected an AWS region name"),
            (lambda w: w["regions"][1].update(name="eu-central-1"), "regions[1].name: duplicate region"),
            (lambda w: w["regions"][0].update(host="10.0.0.1"), "regions[0].host: expected a loopback IPv4"),
            (lambda w: w["regions"][0].update(faults=[{"kind": "meteor"}]), "regions[0].faults[0].kind: expected one of"),
            (lambda w: w["regions"][0].update(faults=[{"kind": "throttling", "rate": 2}]),
             "regions[0].faults[0].rate: expected a number from 0 to 1"),
            (lambda w: w["regions"][0].update(faults=[{"kind": "down", "from_s": 5, "to_s": 1}]),
             "regions[0].faults[0].to_s: expected a number greater than from_s"),
            (lambda w: w["regions"][0].update(faults=[{"kind": "throttling", "stall_s": 1}]),
             "regions[0].faults[0].stall_s: unknown field"),
            (lambda w: w["regions"][0].update(quotas={"rpm": 0}), "regions[0].quotas.rpm: expected a positive integer"),
            (lambda w: w["accounts"][0]["credentials"][0].pop("secret_access_key"),
             "accounts[0].credentials[0].secret_access_key: missing"),
            (lambda w: w["accounts"][1].update(id="12"), "accounts[1].id: expected a 12-digit account ID"),
            (lambda w: w["profiles"][0].update(destination_regions=[]),
             "profiles[0].destination_regions: expected a non-empty list"),
            (lambda w: w["profiles"][0].update(type="CUSTOM"),
             "profiles[0].type: expected one of SYSTEM_DEFINED, APPLICATION"),
            (lambda w: w["profiles"][0].update(status="DELETING"), "profiles[0].status: expected one of ACTIVE"),
            (lambda w: w["profiles"][0].update(global_arn="yes"), "profiles[0].global_arn: expected true or false"),
            (lambda w: w["profiles"][0].update(type="APPLICATION"),
             "profiles[0].id: expected 12 characters a-z 0-9 (an application profile ID)"),
            (lambda w: w.pop("regions"), "world.regions: missing"),
        ]
        for edit, expected in cases:
            with self.subTest(expected=expected):
                with self.assertRaises(WorldError) as caught:
                    parse_world(broken(edit))
                self.assertTrue(str(caught.exception).startswith(expected), str(caught.exception))

    def test_command_line_gives_one_line_and_exit_code_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            cases = {
                "bad.json": (json.dumps(broken(lambda w: w["regions"][2].update(latency_ms="fast"))),
                             "regions[2].latency_ms: expected a non-negative number"),
                "syntax.json": ('{"regions": [,]}', "invalid JSON at line 1 column 14: Expecting value"),
                "twice.json": (json.dumps(VALID)[:-1] + ', "regions": []}', "key 'regions' given twice in one object"),
            }
            for name, (text, expected) in cases.items():
                path = os.path.join(tmp, name)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                cases[name] = (path, expected)
            cases["missing.json"] = (os.path.join(tmp, "missing.json"), "cannot read: No such file or directory")
            for name, (path, expected) in cases.items():
                with self.subTest(world=name):
                    result = subprocess.run([sys.executable, simtest.SIM_SCRIPT, "--world", path,
                                             "--state-dir", os.path.join(tmp, "state")],
                                            capture_output=True, text=True, timeout=30)
                    self.assertEqual(result.returncode, 2)
                    self.assertEqual(result.stderr, f"{path}: {expected}\n")
                    self.assertFalse(os.path.exists(os.path.join(tmp, "state")))


if __name__ == "__main__":
    unittest.main()
