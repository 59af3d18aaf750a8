"""Runs the package consumer's routed call (examples/embed/routed_converse.c built
against the installed package) against the Bedrock simulator under an EU policy:
it must print an answer from an EU region, and the simulator's log must show
nothing outside the EU. The simulator is started and always stopped here.

    python3 tests/package/run_routed.py --binary BUILD/routed_consumer --source-dir .
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
EU = {"eu-central-1", "eu-west-1", "eu-west-3"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.source_dir, "tests", "sim"))
    sys.path.insert(0, os.path.join(args.source_dir, "tests", "cli"))
    import clitest
    import simtest
    with open(os.path.join(args.source_dir, "tests", "sim", "worlds", "demo.json")) as f:
        world = json.load(f)
    for r in world["regions"]:
        r.pop("faults", None)
    with tempfile.TemporaryDirectory() as tmp:
        world_path = os.path.join(tmp, "world.json")
        with open(world_path, "w") as f:
            json.dump(world, f)
        catalog = os.path.join(tmp, "catalog.json")
        with open(catalog, "w") as f:
            json.dump(clitest.world_catalog(world, {"eu": EU}), f)
        sim = simtest.SimProcess(world_path)
        try:
            ready = sim.start(max_seconds=60)
            cmd = [args.binary, "--model", HAIKU, "--prompt", "Which region?", "--allow", "eu", "--catalog", catalog,
                   "--ca-bundle", ready["ca_file"], "--probe"]
            for region, r in ready["regions"].items():
                cmd += ["--connect-to", f"{region}={r['host']}:{r['port']}"]
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp,
                   "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
            if p.returncode != 0 or "Hello from eu-" not in p.stdout:
                print(f"routed call failed ({p.returncode}): {p.stdout}{p.stderr}", file=sys.stderr)
                return 1
            served = [r for r in clitest.settled_requests(sim)]
            outside = [r for r in served if r["region"] not in EU]
            if outside or not any(r.get("operation") for r in served):
                print(f"simulator log: {served}", file=sys.stderr)
                return 1
            print(p.stdout.strip())
            return 0
        finally:
            sim.stop()


if __name__ == "__main__":
    sys.exit(main())
