"""`python3 -m harness.attacks`: one attack check against an implementation that is not wired
into the harness (docs/starttls.md, "Checking another implementation").

  # a server that is already listening (plaintext, STARTTLS offered)
  python3 -m harness.attacks command-injection --proto smtp --connect 127.0.0.1:587

  # a client: the scripted server listens; the client command gets {host} {url_host} {port}
  # {cafile} filled in ({url_host} is the address as written in a URL: [::1])
  python3 -m harness.attacks response-injection --proto smtp \\
      --client-cmd 'swaks --server {host} --port {port} --to x@example.test --tls \\
                    --tls-verify --tls-ca-path {cafile} --quit-after HELO'

  # or start the client by hand within --wait seconds of the LISTENING line
  python3 -m harness.attacks starttls-stripping --proto imap --wait 60

Prints the verdict with the wire as evidence. Exit: 0 conforming, 1 vulnerable, 3 inconclusive,
2 usage."""

from __future__ import annotations

import argparse
import shlex
import sys

from ..pki import make_pki
from ..procs import CLIENT_SLACK_S
from ..runner import ProcessSet
from ..tools import bracketed
from . import CHECKS, command_injection, response_injection, stripping
from .scripted_server import run_against
from .verdict import CONFORMING, VULNERABLE

EXIT = {CONFORMING: 0, VULNERABLE: 1}
EXIT_INCONCLUSIVE = 3
CLIENT_TIMEOUT_S = 30.0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m harness.attacks",
        description="Runs one STARTTLS attack check and prints the verdict (docs/starttls.md). "
                    "Exit 0 conforming, 1 vulnerable, 3 inconclusive.")
    p.add_argument("check", choices=sorted(CHECKS))
    p.add_argument("--proto", required=True, choices=["smtp", "imap", "pop3"])
    server = p.add_argument_group("command-injection (judges a server)")
    server.add_argument("--connect", metavar="HOST:PORT",
                        help="the server under test, plaintext with STARTTLS offered; "
                             "IPv6 as [::1]:PORT")
    server.add_argument("--cafile", help="verify the server with these CAs (default: accept "
                                         "any certificate; trust is not what this check is about)")
    client = p.add_argument_group("response-injection, starttls-stripping (judge a client)")
    client.add_argument("--listen", default="127.0.0.1", metavar="HOST",
                        help="loopback address of the scripted server (default 127.0.0.1)")
    client.add_argument("--cert", help="server certificate (default: a throwaway test PKI)")
    client.add_argument("--key", help="its private key")
    client.add_argument("--client-cmd", metavar="CMD",
                        help="the client to run, with {host} (the bare address), "
                             "{url_host} (bracketed for IPv6), {port} and {cafile} filled in")
    client.add_argument("--wait", type=float, default=60.0, metavar="S",
                        help="without --client-cmd: how long to wait for the client (60)")
    client.add_argument("--refusal", metavar="REPLY",
                        help="starttls-stripping: list STARTTLS and answer it with this reply "
                             "instead of hiding it, e.g. '454 4.7.0 not now' or '{tag} BAD no'")
    return p


def _server_check(args, p) -> int:
    if not args.connect or ":" not in args.connect:
        p.error("command-injection needs --connect HOST:PORT")
    host, _, port = args.connect.rpartition(":")
    verdict = command_injection.probe(host.strip("[]"), int(port), args.proto,
                                      cafile=args.cafile)
    verdict.impl = args.connect
    print(verdict.report())
    return EXIT.get(verdict.outcome, EXIT_INCONCLUSIVE)


def _client_check(args, p) -> int:
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    pki = None if args.cert else make_pki()
    try:
        cert = args.cert or str(pki.server_cert)
        key = args.key or str(pki.server_key)
        cafile = str(pki.ca_cert) if pki else "(your CA)"
        module = response_injection if args.check == response_injection.CHECK else stripping
        server_class = module.InjectingServer if module is response_injection \
            else module.StrippingServer
        accept_s = args.wait if not args.client_cmd else CLIENT_TIMEOUT_S
        extra = {"refusal": args.refusal} if module is stripping else {}
        server = server_class(args.proto, cert, key, args.listen, accept_s=accept_s, **extra)
        host = bracketed(args.listen)
        if args.client_cmd:
            argv = [part.format(host=args.listen, url_host=host, port=server.port,
                                cafile=cafile)
                    for part in shlex.split(args.client_cmd)]
            procs = ProcessSet()
            try:
                verdict = run_against(server, shlex.join(argv), procs, argv)
            finally:
                procs.close()
        else:
            print(f"LISTENING {host}:{server.port} (CA: {cafile}); waiting {args.wait:g} s "
                  "for the client", flush=True)
            verdict = server.finish(args.wait + CLIENT_SLACK_S, stop_listening=False)
            verdict.impl = f"the client at {host}:{server.port}"
        print(verdict.report())
        return EXIT.get(verdict.outcome, EXIT_INCONCLUSIVE)
    finally:
        if pki is not None:
            pki.remove()


def main(argv: list[str] | None = None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    if args.refusal and args.check != stripping.CHECK:
        p.error("--refusal is for starttls-stripping")
    role, _ = CHECKS[args.check]
    return _server_check(args, p) if role == "server" else _client_check(args, p)


if __name__ == "__main__":
    sys.exit(main())
