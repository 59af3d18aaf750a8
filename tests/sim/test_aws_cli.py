"""The AWS CLI (a second real client) against the simulator; skipped without `aws`."""

import json
import os
import shutil
import subprocess
import unittest

import simtest


@unittest.skipIf(shutil.which("aws") is None, "the aws command is not installed")
class AwsCliAgainstSimulator(unittest.TestCase):
    def test_converse(self):
        sim = simtest.SimProcess()
        self.addCleanup(sim.stop)
        ready = sim.start()
        cred = simtest.credential(simtest.TEST_WORLD, "AKIDEXAMPLE")
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=cred["access_key_id"], AWS_SECRET_ACCESS_KEY=cred["secret_access_key"],
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_MAX_ATTEMPTS="1")
        result = subprocess.run(
            ["aws", "bedrock-runtime", "converse", "--region", "eu-west-1",
             "--endpoint-url", ready["regions"]["eu-west-1"]["endpoint"], "--ca-bundle", ready["ca_file"],
             "--model-id", simtest.HAIKU, "--messages", json.dumps(simtest.MESSAGES), "--output", "json"],
            capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = json.loads(result.stdout)["output"]["message"]["content"][0]["text"]
        self.assertIn("Hello from eu-west-1", answer)
        [record] = [r for r in sim.requests() if r["region"] == "eu-west-1"]
        self.assertTrue(record["signature_verified"])


if __name__ == "__main__":
    unittest.main()
