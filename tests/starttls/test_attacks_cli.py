"""`python3 -m harness.attacks`, the way to run a check against an implementation the harness
does not start (docs/starttls.md): a listening server by address, a client by its command line
or started by hand; the verdict is printed and is the exit status (0 conforming, 1 vulnerable,
3 inconclusive, 2 usage). swaks, a real SMTP client, is the external example."""

import re
import shlex
import subprocess
import sys

import pytest


CLI = [sys.executable, "-m", "harness.attacks"]
CLI_TIMEOUT_S = 60
# What the response-injection check found in Debian's swaks, per version, and why: swaks
# 20201014 keeps the plaintext that arrived with "220 Ready to start TLS" and prints it as TLS
# traffic (<~) in reply to its EHLO inside TLS, then sends QUIT before the real reply.
SWAKS_RESPONSE_INJECTION = {"20201014.0": "vulnerable"}


def _cli(procs, *args):
    # run_client: its own process group, bounded, killed with its children on a hang.
    return procs.run_client([*CLI, *args], timeout=CLI_TIMEOUT_S)


def _client_cmd(impls, lib, proto):
    """The reference client as a --client-cmd template, with {url_host} {port} {cafile} left
    in for the CLI to fill."""
    argv = impls[lib].client_argv("tcp://{url_host}:{port}", proto=proto, starttls="required",
                                  options={"cafile": "{cafile}"})
    return shlex.join(argv)


def _swaks(*options):
    return shlex.join(["swaks", "--server", "{host}", "--port", "{port}", "--to",
                       "x@example.test", "--quit-after", "HELO", "--timeout", "5", *options])


def test_judges_a_listening_server_by_address(impls, pki, procs):
    server = procs.start_server(impls["gnutls"].server_argv(
        "tcp://[::1]:0", proto="smtp", starttls="offer",
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
    run = _cli(procs, "command-injection", "--proto", "smtp", "--connect",
               f"[::1]:{server.port}", "--cafile", str(pki.ca_cert))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"command-injection (smtp) against [::1]:{server.port}: "
                                 "conforming"), run.stdout


def test_flags_a_vulnerable_listening_server(naive, pki, procs):
    server = procs.start_server(naive("keep-buffer").server_argv(
        "tcp://127.0.0.1:0", proto="imap", starttls="offer",
        options={"local_cert": pki.server_cert, "local_pk": pki.server_key}))
    run = _cli(procs, "command-injection", "--proto", "imap", "--connect",
               f"127.0.0.1:{server.port}")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "command injection: answered a pipelined NOOP (tag INJECTED)" in run.stdout


@pytest.mark.parametrize("check", ["response-injection", "starttls-stripping"])
def test_runs_a_client_command_line(check, impls, procs):
    run = _cli(procs, check, "--proto", "pop3", "--listen", "::1",
               "--client-cmd", _client_cmd(impls, "openssl", "pop3"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert ": conforming: " in run.stdout.splitlines()[0]


def test_waits_for_a_client_started_by_hand(impls, procs):
    cli = procs.start_tool([*CLI, "response-injection", "--proto", "smtp", "--wait", "20"])
    m = cli.wait_for(r"^LISTENING (\S+):(\d+) \(CA: (\S+)\)", 10)
    assert m, cli.output
    client = procs.run_client(impls["gnutls"].client_argv(
        f"tcp://{m.group(1)}:{m.group(2)}", proto="smtp", starttls="required",
        options={"cafile": m.group(3)}))
    assert client.returncode == 0, client.stdout + client.stderr
    assert cli.wait(CLI_TIMEOUT_S) == 0, cli.output
    assert "response-injection (smtp) against the client at 127.0.0.1:" in cli.output


def test_swaks_is_judged_on_stripping_and_response_injection(procs):
    version = re.search(r"version (\S+)", subprocess.run(
        ["swaks", "--version"], capture_output=True, text=True, timeout=10).stdout).group(1)
    verify = ("--tls", "--tls-verify", "--tls-ca-path", "{cafile}")
    stripped = _cli(procs, "starttls-stripping", "--proto", "smtp", "--client-cmd",
                    _swaks(*verify))
    assert stripped.returncode == 0, "swaks --tls ends the session without STARTTLS:\n" + \
        stripped.stdout
    injected = _cli(procs, "response-injection", "--proto", "smtp", "--client-cmd",
                    _swaks(*verify))
    assert injected.returncode in (0, 1), "judged, not inconclusive:\n" + injected.stdout
    if version in SWAKS_RESPONSE_INJECTION:
        outcome = "vulnerable" if injected.returncode == 1 else "conforming"
        assert outcome == SWAKS_RESPONSE_INJECTION[version], injected.stdout


@pytest.mark.parametrize("args, words", [
    (["command-injection", "--proto", "smtp"], "--connect"),
    (["command-injection", "--proto", "smtp", "--connect", "127.0.0.1:1", "--refusal", "454"],
     "--refusal is for starttls-stripping"),
    (["response-injection", "--proto", "lmtp"], "invalid choice: 'lmtp'"),
], ids=["no-connect", "refusal-elsewhere", "unknown-proto"])
def test_usage_errors_exit_2(args, words, procs):
    run = _cli(procs, *args)
    assert run.returncode == 2 and words in run.stderr, run.stderr


def test_judges_a_client_against_a_refusal(procs):
    run = _cli(procs, "starttls-stripping", "--proto", "smtp", "--refusal", "454 4.7.0 not now",
               "--client-cmd", _swaks("--tls"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "server: 454 4.7.0 not now" in run.stdout and "was refused" in run.stdout
