"""The simulator never outlives its test: SIGTERM and --max-seconds stop it cleanly.
Its latency can be changed while it runs (POST /latency on the control endpoint)."""

import http.client
import json
import os
import signal
import socket
import tempfile
import time
import unittest
import urllib.error
import urllib.request

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


def control_post(ready, path, payload):
    request = urllib.request.Request(ready["control"]["url"] + path, method="POST", data=json.dumps(payload).encode())
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def probe_s(endpoint):
    """Seconds to the answer of an unauthenticated GET / on a new connection (plain HTTP)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(endpoint["host"], endpoint["port"], timeout=10)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return time.monotonic() - started


class LatencyControl(unittest.TestCase):
    def setUp(self):
        self.sim = simtest.SimProcess(simtest.TEST_WORLD, "--plain-http")
        self.addCleanup(self.sim.stop)
        self.ready = self.sim.start(max_seconds=60)

    def status(self):
        with urllib.request.urlopen(self.ready["control"]["url"] + "/status", timeout=5) as response:
            return json.loads(response.read())["regions"]

    def logged(self, region, count):
        """The region's request log once it has `count` lines: a line is written
        just after its answer, so the client can be a moment ahead of it."""
        deadline = time.monotonic() + 5
        while True:
            lines = [r for r in self.sim.requests() if r["region"] == region]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)

    def test_post_latency_delays_probes_and_calls_alike(self):
        endpoint = self.ready["regions"]["us-west-2"]  # latency 0 in the test world
        self.assertEqual((self.status()["us-west-2"]["latency_ms"], self.status()["us-west-2"]["jitter_ms"]), (0, 0))
        probe_s(endpoint)  # logged with no delay (checked below; wall time is no proof on a busy machine)
        answer = control_post(self.ready, "/latency", {"region": "us-west-2", "latency_ms": 400})
        self.assertEqual((answer["region"], answer["latency_ms"], answer["jitter_ms"]), ("us-west-2", 400, 0))
        self.assertEqual(self.status()["us-west-2"]["latency_ms"], 400)
        self.assertEqual(self.status()["eu-west-1"]["latency_ms"], 10)  # other regions untouched
        # An unauthenticated probe waits as long as an API call does.
        self.assertGreaterEqual(probe_s(endpoint), 0.4)
        client = simtest.client(self.ready, "us-west-2", simtest.credential(simtest.TEST_WORLD, "AKIDEXAMPLE"))
        started = time.monotonic()
        client.converse(modelId=simtest.HAIKU, messages=simtest.MESSAGES)
        self.assertGreaterEqual(time.monotonic() - started, 0.4)
        logged = self.logged("us-west-2", 3)
        self.assertEqual([(r["operation"], r["latency_ms"]) for r in logged],
                         [(None, 0.0), (None, 400.0), ("Converse", 400.0)])
        # jitter_ms is optional: given, it replaces the jitter; omitted, it stays.
        control_post(self.ready, "/latency", {"region": "us-west-2", "latency_ms": 0, "jitter_ms": 5})
        answer = control_post(self.ready, "/latency", {"region": "us-west-2", "latency_ms": 1})
        self.assertEqual((answer["latency_ms"], answer["jitter_ms"]), (1, 5))
        probe_s(endpoint)
        self.assertLessEqual(self.logged("us-west-2", 4)[-1]["latency_ms"], 6.0)  # 1 ms + up to 5 ms jitter

    def test_post_latency_names_the_bad_field(self):
        cases = [
            ({"region": "mars-north-1", "latency_ms": 5}, "region: no region 'mars-north-1'"),
            ({"latency_ms": 5}, "region: missing"),
            ({"region": "us-west-2"}, "latency_ms: missing"),
            ({"region": "us-west-2", "latency_ms": -1}, "latency_ms: expected a non-negative number"),
            ({"region": "us-west-2", "latency_ms": "fast"}, "latency_ms: expected a non-negative number"),
            ({"region": "us-west-2", "latency_ms": 5, "jitter_ms": None}, "jitter_ms: expected a non-negative"),
            ({"region": "us-west-2", "latency_ms": 5, "jiter_ms": 1}, "jiter_ms: unknown field"),
            ([], 'expected {"region": NAME, "latency_ms": N'),
        ]
        for payload, expected in cases:
            with self.subTest(expected=expected):
                with self.assertRaises(urllib.error.HTTPError) as caught:
                    control_post(self.ready, "/latency", payload)
                self.assertEqual(caught.exception.code, 400)
                message = json.loads(caught.exception.read())["message"]
                caught.exception.close()
                self.assertTrue(message.startswith(expected), message)
        self.assertEqual(self.status()["us-west-2"]["latency_ms"], 0)  # nothing changed


if __name__ == "__main__":
    unittest.main()
