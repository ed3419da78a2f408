"""A stand-in for a reference server, to test the harness's process handling without the C
binaries. The first argument picks a misbehaviour:

  ready      READY on a real loopback port, one record per accepted connection, exit 0 on stdin EOF
  silent     never prints READY (and ignores stdin)
  fail       prints a startup-failure record and exits 1 without READY
  stubborn   READY, then ignores stdin EOF and SIGTERM (needs SIGKILL)
  forking    READY, forks a grandchild that sleeps, ignores stdin EOF (the group must die)
  noisy      READY, then a line that is not JSON, exit 0 on stdin EOF
  dies       as ready, but exits 3 right after the first connection's record
  leaky      as ready, but reports a leak on stderr when it stops (as LeakSanitizer does at exit)
"""

import json
import os
import signal
import socket
import sys
import threading
import time

mode = sys.argv[1]


def record(**kw):
    base = {"side": "server", "impl": "fake", "lib_version": None, "url": None, "transport": "tcp",
            "ok": True, "stage": "none", "error": None, "detail": None, "version": None,
            "cipher": None, "peer_subject": None, "peer_sans": None, "alpn": None, "sni": None,
            "transcript": None, "close_notify": None, "local_port": None, "peer_port": None,
            "ms": 0}
    base.update(kw)
    print(json.dumps(base), flush=True)


if mode == "silent":
    time.sleep(3600)
if mode == "fail":
    record(ok=False, stage="config", error="config.cert_load", detail="fake: no such file")
    sys.exit(1)

if mode == "forking" and os.fork() == 0:
    time.sleep(3600)     # the grandchild: only a group kill ends it
    os._exit(0)

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen()
print(f"READY tcp://127.0.0.1:{sock.getsockname()[1]}", flush=True)

if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stdin.read()
    time.sleep(3600)
if mode == "forking":
    sys.stdin.read()
    time.sleep(3600)
if mode == "noisy":
    print("this is not a record", flush=True)


def serve():
    while True:
        conn, peer = sock.accept()
        conn.close()
        record(local_port=sock.getsockname()[1], peer_port=peer[1])
        if mode == "dies":
            sys.stderr.write("fake: dying after one connection\n")
            sys.stderr.flush()
            os._exit(3)


threading.Thread(target=serve, daemon=True).start()
sys.stdin.read()   # stop when the harness closes our stdin
if mode == "leaky":
    sys.stderr.write("==1==ERROR: LeakSanitizer: detected memory leaks\n")
sys.exit(0)
