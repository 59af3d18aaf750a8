"""The simulator never outlives its test: SIGTERM and --max-seconds stop it cleanly."""

import json
import os
import signal
import socket
import tempfile
import time
import unittest

import simtest


def refuses_connections(endpoint):
    try:
        socket.create_connection((endpoint["host"], endpoint["port"]), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


class Lifecycle(unittest.TestCase):
    def start(self, *extra_args, max_seconds=60):
        sim = simtest.SimProcess(simtest.TEST_WORLD, *extra_args)
        self.addCleanup(sim.stop)
        ready = sim.start(max_seconds=max_seconds)
        return sim, ready

    def test_sigterm_stops_within_seconds(self):
        sim, ready = self.start()
        # An idle keep-alive connection must not hold the simulator up.
        idle = socket.create_connection((ready["regions"]["eu-west-1"]["host"], ready["regions"]["eu-west-1"]["port"]))
        self.addCleanup(idle.close)
        started = time.monotonic()
        self.assertEqual(sim.signal_and_wait(signal.SIGTERM), 0)
        self.assertLess(time.monotonic() - started, 5)
        self.assertFalse(os.path.exists(sim.ready_file))
        self.assertTrue(all(refuses_connections(e) for e in ready["regions"].values()))
        self.assertTrue(refuses_connections(ready["control"]))

    def test_max_seconds_stops_it_by_itself(self):
        sim, ready = self.start(max_seconds=1)
        self.assertEqual(sim.process.wait(10), 0)
        self.assertIn("--max-seconds 1 reached", sim.stderr())
        self.assertFalse(os.path.exists(sim.ready_file))
        self.assertTrue(refuses_connections(ready["regions"]["eu-central-1"]))

    def test_plain_http_mode_has_no_ca(self):
        sim, ready = self.start("--plain-http")
        self.assertIsNone(ready["ca_file"])
        self.assertTrue(ready["regions"]["eu-central-1"]["endpoint"].startswith("http://127.0.0.1:"))
        response = simtest.client(ready, "eu-central-1", simtest.credential(simtest.TEST_WORLD, "AKIDEXAMPLE")) \
            .converse(modelId=simtest.HAIKU, messages=simtest.MESSAGES)
        self.assertIn("Hello from eu-central-1", response["output"]["message"]["content"][0]["text"])

    def test_scheduled_down_window_refuses_then_recovers(self):
        world = simtest.load_json(simtest.TEST_WORLD)
        world["regions"] = [{"name": "eu-central-1", "models": [simtest.HAIKU],
                             "faults": [{"kind": "down", "from_s": 0, "to_s": 1.5}]}]
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, "down.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(world, f)
        sim = simtest.SimProcess(path)
        self.addCleanup(sim.stop)
        ready = sim.start()
        endpoint = ready["regions"]["eu-central-1"]
        self.assertTrue(refuses_connections(endpoint))
        deadline = time.monotonic() + 5
        while refuses_connections(endpoint) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(refuses_connections(endpoint))


if __name__ == "__main__":
    unittest.main()
