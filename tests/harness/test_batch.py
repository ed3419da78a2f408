"""Persistent --batch clients (harness/batch.py): the same record and exit status as a client
run on its own, usage errors still exit 2, a hang is killed and reported, a client that dies is
replaced, stray output is noise. With the reference binaries and with a scripted fake."""

import stat
import sys
import textwrap

import pytest

from harness import batch
from harness.impls import IMPLEMENTATIONS
from harness.procs import ClientHang, run_client

# A --batch client whose case arguments say what to do: "ok" answers, "noise" prints a non-JSON
# line first, "hang" never answers, "die" exits with 7 without a record.
FAKE = """\
    #!{python}
    import json, os, sys, time
    assert sys.argv[1:] == ["--batch"]
    for line in sys.stdin:
        case = json.loads(line)
        what = case["args"][0]
        if what == "noise":
            print("not a record", flush=True)
        if what == "hang":
            time.sleep(60)
        if what == "die":
            os._exit(7)
        print(json.dumps({{"id": case["id"], "ok": what != "refused", "stage": "none",
                          "error": None if what != "refused" else "tls.cert_untrusted",
                          "pid": os.getpid()}}), flush=True)
"""


@pytest.fixture
def fake(tmp_path):
    path = tmp_path / "fake-batch-client"
    path.write_text(textwrap.dedent(FAKE.format(python=sys.executable)))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def pool():
    p = batch.BatchPool()
    yield p
    p.close()


def test_a_batch_line_answers_like_a_run_of_its_own(fake, pool):
    run = pool.run_client([fake, "ok"], timeout=5)
    assert run.returncode == 0 and run.record["ok"] is True
    # The batch id is the harness's own: the record says null, as a separate run would.
    assert run.record["id"] is None
    refused = pool.run_client([fake, "refused"], timeout=5)
    assert refused.returncode == 1 and refused.record["error"] == "tls.cert_untrusted"
    assert refused.record["pid"] == run.record["pid"]   # the same process answered both
    assert pool.batched == 2 and pool.alone == 0


def test_output_that_is_not_a_record_is_noise(fake, pool):
    run = pool.run_client([fake, "noise"], timeout=5)
    assert run.noise == ["not a record"] and run.record["ok"] is True


def test_a_hang_is_killed_and_the_next_line_gets_a_new_client(fake, pool):
    first = pool.run_client([fake, "ok"], timeout=5)
    with pytest.raises(ClientHang):
        pool.run_client([fake, "hang"], timeout=0.5)
    after = pool.run_client([fake, "ok"], timeout=5)
    assert after.record["pid"] != first.record["pid"]


def test_a_client_that_dies_reports_its_exit_and_is_replaced(fake, pool):
    first = pool.run_client([fake, "ok"], timeout=5)
    died = pool.run_client([fake, "die"], timeout=5)
    assert died.returncode == 7 and died.records == []
    after = pool.run_client([fake, "ok"], timeout=5)
    assert after.record["pid"] != first.record["pid"]


def test_stdin_text_runs_the_client_on_its_own(pool):
    run = pool.run_client([sys.executable, "-c", "import sys; print(sys.stdin.read())"],
                          timeout=10, stdin_text="{}")
    assert run.records == [{}] and pool.alone == 1 and pool.batched == 0


@pytest.mark.parametrize("client", sorted(IMPLEMENTATIONS))
def test_reference_client_usage_error_still_exits_2(client, pool):
    argv = [str(IMPLEMENTATIONS[client].client_path), "tls://127.0.0.1:1", "--no-such-flag"]
    alone = run_client(argv, timeout=10)
    assert alone.returncode == 2 and alone.records == []
    run = pool.run_client(argv, timeout=10)
    assert run.returncode == 2 and run.records == [] and pool.alone == 1


@pytest.mark.parametrize("client", sorted(IMPLEMENTATIONS))
def test_reference_client_record_matches_a_run_of_its_own(client, pool):
    # --parse-only: no server needed, and every key of the record is deterministic but ms.
    argv = [str(IMPLEMENTATIONS[client].client_path), "tls://[::1]:443", "--parse-only",
            "-o", "verify_peer=false"]
    alone = run_client(argv, timeout=10)
    run = pool.run_client(argv, timeout=10)
    assert pool.batched == 1
    assert run.returncode == alone.returncode == 0
    assert {**run.record, "ms": 0} == {**alone.record, "ms": 0}
