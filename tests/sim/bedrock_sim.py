#!/usr/bin/env python3
"""Simulated Amazon Bedrock Runtime, one HTTPS endpoint per region.

    python3 tests/sim/bedrock_sim.py --world WORLD.json --state-dir DIR [--max-seconds N] [--plain-http]

Writes DIR/ready.json once every region listens, logs each request to
DIR/requests.jsonl, and stops on SIGTERM/SIGINT or after --max-seconds.
Exit codes: 0 stopped normally, 1 could not start, 2 bad arguments or world file.
See tests/sim/README.md.
"""

import argparse
import signal
import sys

from simlib.tls import TlsSetupError
from simlib.world import WorldError, load_world

DEFAULT_MAX_SECONDS = 600


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bedrock_sim.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", required=True, help="world file (JSON)")
    parser.add_argument("--state-dir", required=True, help="directory for ready.json, the CA and the request log")
    parser.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS,
                        help=f"stop by itself after this many seconds (default {DEFAULT_MAX_SECONDS})")
    parser.add_argument("--control-port", type=int, default=0, help="control endpoint port (default: any free)")
    parser.add_argument("--plain-http", action="store_true", help="serve plain HTTP instead of HTTPS (debugging)")
    args = parser.parse_args(argv)
    if args.max_seconds <= 0:
        parser.error("--max-seconds: expected a positive number")

    try:
        world = load_world(args.world)
    except WorldError as e:
        print(f"{args.world}: {e}", file=sys.stderr)
        return 2

    # Imported after the world is checked: a bad world file answers before botocore loads.
    from simlib.server import Simulator

    # Blocked before any thread starts (threads inherit the mask) and collected with
    # sigtimedwait below: a handler would only run once the main thread wakes up.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    simulator = Simulator(world, args.state_dir, plain_http=args.plain_http)
    try:
        ready = simulator.start(control_port=args.control_port)
    except (OSError, TlsSetupError) as e:
        simulator.stop()
        print(f"bedrock_sim: cannot start: {e}", file=sys.stderr)
        return 1
    print(f"bedrock_sim: {len(ready['regions'])} regions ready, control at {ready['control']['url']}, "
          f"state in {simulator.state_dir}", file=sys.stderr, flush=True)
    if signal.sigtimedwait(stop_signals, args.max_seconds) is None:
        print(f"bedrock_sim: --max-seconds {args.max_seconds:g} reached, stopping", file=sys.stderr)
    simulator.stop()
    print("bedrock_sim: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
