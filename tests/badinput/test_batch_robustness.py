"""--batch: one record per case line, each carrying its id; a bad line (bad URL, bad JSON, no
args) yields a classified record and the process goes on with the next line."""

import json

import pytest

from harness.impls import IMPLEMENTATIONS
from refusal import refusal_problems

pytestmark = [pytest.mark.badinput, pytest.mark.sanitizer_sample]

LINES = [
    ("ok-v4", {"id": "ok-v4", "args": ["tcp://127.0.0.1:80", "--parse-only"]}, None),
    ("bad-bracket", {"id": "bad-bracket", "args": ["tcp://[::1:80", "--parse-only"]},
     "url.bad_bracket"),
    ("not-json", "this is not json", "config.bad_option"),
    ("no-args", {"id": "no-args"}, "config.bad_option"),
    ("empty-args", {"id": "empty-args", "args": []}, "config.bad_option"),
    ("bad-flag", {"id": "bad-flag", "args": ["tcp://127.0.0.1:80", "--frobnicate"]},
     "config.bad_option"),
    ("bad-option", {"id": "bad-option", "args": ["tls://127.0.0.1:80", "-o", "verify_peer=x",
                                                 "--parse-only"]}, "config.bad_option"),
    ("not-an-object", [1, 2, 3], "config.bad_option"),
    ("ok-v6", {"id": "ok-v6", "args": ["udp://[::1]:53", "--parse-only"]}, None),
]


@pytest.mark.parametrize("client", ["openssl", "gnutls"])
def test_batch_survives_bad_lines(client, procs):
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                   for _, line, _ in LINES)
    run = procs.run_client([str(IMPLEMENTATIONS[client].client_path), "--batch"],
                           stdin_text=text)
    assert run.returncode >= 0, f"crashed: {run.returncode}"
    assert run.noise == []
    assert len(run.records) == len(LINES), run.stdout
    for (name, line, error), rec in zip(LINES, run.records):
        if error is None:
            assert rec["ok"] and rec["id"] == name, rec
        else:
            assert refusal_problems(1, [rec], [], "", "client", {error}) == [], name
            if isinstance(line, dict) and "id" in line:
                # The harness matches records to cases by id: a line whose id could be read
                # must get it back even when the rest of the line is wrong.
                assert rec["id"] == name, f"the record of line {name!r} lost its id: {rec}"
