"""What `edgeroute serve` adds per call: the same boto3 Converse calls sent straight
to the Bedrock simulator (HTTPS, SigV4 with the device's keys) and through serve
(plain HTTP on loopback, the bearer token; serve routes, re-signs and sends over
HTTPS), in alternating blocks of one run, so both see the same machine.

    python3 tests/bench/serve/serve_bench.py --tool build/host/examples/edgeroute --source-dir . [--calls 200]

Reports per path the wall time per call (median, p95), the client's own CPU per
call, and for serve its process CPU per call (utime + stime from /proc). The
simulator's region has no added latency; every call is one Converse round trip.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the demo world's fake key
TOKEN = "bench-token-0123456789abcdef"
MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
BLOCK = 20


def cpu_ms(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.source_dir, "tests", "sim"))
    sys.path.insert(0, os.path.join(args.source_dir, "tests", "cli"))
    import boto3
    import botocore.config
    import clitest
    import simtest

    with open(os.path.join(args.source_dir, "tests", "sim", "worlds", "demo.json")) as f:
        world = json.load(f)
    for r in world["regions"]:
        r.pop("faults", None)
        r.update(latency_ms=0, jitter_ms=0, quotas={"rpm": 10000000, "tpm": 10000000000})
    tmp = tempfile.TemporaryDirectory()
    world_path = os.path.join(tmp.name, "world.json")
    with open(world_path, "w") as f:
        json.dump(world, f)
    catalog = os.path.join(tmp.name, "catalog.json")
    with open(catalog, "w") as f:
        json.dump(clitest.world_catalog(world, {"eu": ["eu-central-1"]}), f)
    token_file = os.path.join(tmp.name, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN)
    os.chmod(token_file, 0o600)

    sim = simtest.SimProcess(world_path)
    serve = None
    try:
        ready = sim.start(max_seconds=600)
        region = ready["regions"]["eu-central-1"]
        ready_file = os.path.join(tmp.name, "serve.json")
        cmd = [args.tool, "serve", "--listen", "127.0.0.1:0", "--token-file", token_file, "--ready-file", ready_file,
               "--allow", "eu-central-1", "--catalog", catalog, "--ca-bundle", ready["ca_file"],
               "--connect-to", f"eu-central-1={region['host']}:{region['port']}"]
        serve = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={"PATH": "/usr/bin:/bin", "HOME": tmp.name,
                                      "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET})
        deadline = time.monotonic() + 20
        while not (os.path.exists(ready_file) and os.path.getsize(ready_file) > 0):
            if serve.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("serve did not start")
            time.sleep(0.05)
        with open(ready_file) as f:
            port = json.load(f)["port"]

        config = botocore.config.Config(retries={"max_attempts": 1})
        # Signed with SigV4 whatever the environment holds (the token below is serve's).
        sigv4 = botocore.config.Config(retries={"max_attempts": 1}, signature_version="v4")
        direct = boto3.session.Session(region_name="eu-central-1", aws_access_key_id=ACCESS_KEY,
                                       aws_secret_access_key=SECRET).client(
            "bedrock-runtime", endpoint_url=region["endpoint"], verify=ready["ca_file"], config=sigv4)
        os.environ["AWS_BEARER_TOKEN_BEDROCK"] = TOKEN
        via = boto3.session.Session(region_name="eu-central-1").client(
            "bedrock-runtime", endpoint_url=f"http://127.0.0.1:{port}", config=config)
        messages = [{"role": "user", "content": [{"text": "Hello"}]}]
        results = {"direct": {"wall": [], "cpu": 0.0}, "serve": {"wall": [], "cpu": 0.0, "serve_cpu": 0.0}}
        for client in (direct, via):  # warm: connections, TLS sessions, the signing key
            for _ in range(5):
                client.converse(modelId=MODEL, messages=messages)
        done = 0
        while done < args.calls:
            for name, client in (("direct", direct), ("serve", via)):
                r = results[name]
                serve_before = cpu_ms(serve.pid)
                cpu_before = time.process_time()
                for _ in range(BLOCK):
                    start = time.perf_counter()
                    client.converse(modelId=MODEL, messages=messages)
                    r["wall"].append((time.perf_counter() - start) * 1000)
                r["cpu"] += (time.process_time() - cpu_before) * 1000
                if name == "serve":
                    r["serve_cpu"] += cpu_ms(serve.pid) - serve_before
            done += BLOCK
        print(f"serve bench: {done} Converse calls per path, in blocks of {BLOCK}, one run")
        for name in ("direct", "serve"):
            r = results[name]
            wall = sorted(r["wall"])
            line = (f"  {name:7s} wall median {statistics.median(wall):6.2f} ms  p95 {wall[int(len(wall) * 0.95)]:6.2f} ms"
                    f"  client CPU {r['cpu'] / len(wall):5.2f} ms/call")
            if name == "serve":
                line += f"  serve CPU {r['serve_cpu'] / len(wall):5.2f} ms/call"
            print(line)
        added = statistics.median(results["serve"]["wall"]) - statistics.median(results["direct"]["wall"])
        print(f"  serve adds {added:+.2f} ms median wall time per call")
    finally:
        if serve is not None and serve.poll() is None:
            serve.terminate()
            serve.wait(15)
        sim.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
