"""Helpers shared by the simulator's tests: run the simulator as a child process
(always stopped again) and build real AWS clients pointed at it."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from botocore.config import Config

try:
    import boto3
except ImportError:  # botocore alone is the same client on the wire
    boto3 = None
import botocore.session

SIM_DIR = os.path.dirname(os.path.abspath(__file__))
SIM_SCRIPT = os.path.join(SIM_DIR, "bedrock_sim.py")
TEST_WORLD = os.path.join(SIM_DIR, "worlds", "test.json")
READY_TIMEOUT_S = 20
STOP_TIMEOUT_S = 5

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Which region are you in?"}]}]


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class SimProcess:
    """The simulator in a child process with its own temporary state directory.

    ``start`` waits (bounded) for ready.json; ``stop`` terminates, waits and, if
    need be, kills. Register ``stop`` as a cleanup right after constructing."""

    def __init__(self, world=TEST_WORLD, *extra_args):
        self._tmp = tempfile.TemporaryDirectory(prefix="edgeroute-sim-")
        self.state_dir = os.path.join(self._tmp.name, "state")
        self.world = world
        self.extra_args = list(extra_args)
        self.process = None
        self.ready = None
        self.stderr_path = os.path.join(self._tmp.name, "stderr.txt")

    @property
    def ready_file(self):
        return os.path.join(self.state_dir, "ready.json")

    def start(self, max_seconds=120):
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, SIM_SCRIPT, "--world", self.world, "--state-dir", self.state_dir,
                 "--max-seconds", str(max_seconds), *self.extra_args],
                stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if os.path.exists(self.ready_file):
                self.ready = load_json(self.ready_file)
                return self.ready
            if self.process.poll() is not None:
                raise RuntimeError(f"simulator exited with {self.process.returncode}: {self.stderr()}")
            time.sleep(0.05)
        raise RuntimeError(f"simulator not ready after {READY_TIMEOUT_S} s: {self.stderr()}")

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()

    def signal_and_wait(self, signum=signal.SIGTERM, timeout_s=STOP_TIMEOUT_S):
        """Send ``signum`` and return the exit code (raises TimeoutExpired)."""
        self.process.send_signal(signum)
        return self.process.wait(timeout_s)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)
        self._tmp.cleanup()

    def requests(self):
        """The request log, one dict per line."""
        with open(os.path.join(self.state_dir, "requests.jsonl"), encoding="utf-8") as f:
            return [json.loads(line) for line in f]


def credential(world_path, access_key_id):
    """The full credential (with secret) for an access key ID of a world file."""
    for account in load_json(world_path)["accounts"]:
        for cred in account.get("credentials", []):
            if cred["access_key_id"] == access_key_id:
                return cred
    raise KeyError(access_key_id)


def client(ready, region, cred, secret=None, session_token=None, read_timeout_s=5):
    """A bedrock-runtime client for one simulated region; ``secret`` overrides
    the credential's secret (to sign wrongly on purpose)."""
    kwargs = dict(
        region_name=region, endpoint_url=ready["regions"][region]["endpoint"], verify=ready["ca_file"],
        aws_access_key_id=cred["access_key_id"],
        aws_secret_access_key=secret if secret is not None else cred["secret_access_key"],
        aws_session_token=session_token if session_token is not None else cred.get("session_token"),
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3,
                      read_timeout=read_timeout_s))
    if boto3 is not None:
        return boto3.session.Session().client("bedrock-runtime", **kwargs)
    return botocore.session.get_session().create_client("bedrock-runtime", **kwargs)
