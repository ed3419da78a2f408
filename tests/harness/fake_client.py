"""A stand-in for a reference client: connects to HOST PORT over TCP and prints one record.
Options: --stderr TEXT (written to stderr), --exit N, --connections N (connects N times, reports
the last), --crash (dies of SIGSEGV after printing)."""

import argparse
import json
import os
import signal
import socket
import sys

p = argparse.ArgumentParser()
p.add_argument("url")
p.add_argument("--stderr", default="")
p.add_argument("--exit", type=int, default=0)
p.add_argument("--connections", type=int, default=1)
p.add_argument("--crash", action="store_true")
args, _ = p.parse_known_args()

host, _, port = args.url.removeprefix("tcp://").rpartition(":")
for _ in range(args.connections):
    with socket.create_connection((host.strip("[]"), int(port)), timeout=5) as s:
        local_port = s.getsockname()[1]
print(json.dumps({
    "side": "client", "impl": "fake", "lib_version": None, "url": args.url, "transport": "tcp",
    "ok": True, "stage": "none", "error": None, "detail": None, "version": None, "cipher": None,
    "peer_subject": None, "peer_sans": None, "alpn": None, "sni": None, "transcript": None,
    "close_notify": None, "local_port": local_port, "peer_port": int(port), "ms": 1}), flush=True)
sys.stderr.write(args.stderr)
if args.crash:
    os.kill(os.getpid(), signal.SIGSEGV)
sys.exit(args.exit)
