"""The reports from real inner pytest sessions (the reference binaries, pytest-xdist): every
test reaches results.json with its axes, outcome and records even from xdist workers; the end
table is printed; shards merged equal the unsharded run; --tlsm-libs narrows the pairings."""

import json
import textwrap

import pytest

from harness import REPO_ROOT
from harness.merge import MergeError, merge_dirs

CASES = """
[[case]]
id = "demo.tcp"
about = "a line over tcp comes back"
spec = "none"
server.listen = "tcp://{host}:0"
client.url = "tcp://{host}:{port}"
client.send = "hello"
expect.client = { ok = true, transport = "tcp" }
expect.server = { ok = true }

[[case]]
id = "demo.wrong-port"
about = "a client sent to a closed port (1) is refused; this case wrongly says it connects"
spec = "none"
server.listen = "tcp://{host}:0"
client.url = "tcp://{host}:1"
client.send = "hello"
expect.client = { ok = true }
expect.server = { ok = true }
"""

TESTS = """
import pytest

def test_plain():
    pass

@pytest.mark.xfail(reason="known gap", strict=True)
def test_known_gap():
    assert False

def test_skipped():
    pytest.skip("nothing to do here")
"""


@pytest.fixture
def inner(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.mkdir("cases")
    (pytester.path / "cases" / "demo.toml").write_text(textwrap.dedent(CASES))
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_demo.py").write_text(textwrap.dedent(TESTS))

    def run(out, *args):
        result = pytester.runpytest_subprocess(
            "-p", "harness.plugin", "-p", "no:cacheprovider", "--tlsm-out", str(out),
            f"--junitxml={out}/junit.xml", "cases", "tests", *args, timeout=180)
        return result, json.loads((out / "results.json").read_text())
    return run


def by_id(doc):
    return {e["nodeid"]: e for e in doc["tests"]}


def essentials(doc):
    """What must not depend on sharding: ids, outcomes and error classes (not timings)."""
    return sorted((e["nodeid"], e["id"], e["outcome"], e["classes"]["client"],
                   e["classes"]["server"], json.dumps(e["axes"], sort_keys=True))
                  for e in doc["tests"])


def test_xdist_workers_ship_complete_results(inner, pytester):
    result, doc = inner(pytester.path / "out", "-n", "2")
    # Each case: 4 pairings × 3 host forms (127.0.0.1, [::1], server.test through --resolve).
    result.assert_outcomes(passed=13, failed=12, xfailed=1, skipped=1)
    tests = by_id(doc)
    assert doc["counts"] == {"total": 27, "passed": 13, "failed": 12, "xfailed": 1,
                             "skipped": 1, "error": 0, "xpassed": 0}
    ok = tests["cases/demo.toml::openssl>gnutls-ipv6-demo.tcp"]
    assert ok["outcome"] == "passed" and ok["kind"] == "case" and ok["group"] == "demo"
    assert ok["case"] == "demo.tcp"
    assert ok["axes"] == {"client": "openssl", "server": "gnutls", "host": "[::1]"}
    assert ok["client"]["impl"] == "reference-openssl" and ok["client"]["ok"] is True
    assert ok["server"]["impl"] == "reference-gnutls"
    assert ok["server"]["peer_port"] == ok["client"]["local_port"]
    # The name form: both ends name the host as given (the server listened on it by --resolve).
    named = tests["cases/demo.toml::gnutls>openssl-dnsname-demo.tcp"]
    assert named["outcome"] == "passed" and named["axes"]["host"] == "server.test"
    assert named["client"]["url"] == named["server"]["url"] == \
        f"tcp://server.test:{named['client']['peer_port']}"
    bad = tests["cases/demo.toml::gnutls>openssl-ipv4-demo.wrong-port"]
    assert bad["outcome"] == "failed" and "client: " in bad["reason"]
    assert bad["classes"] == {"client": "connect.refused", "server": None}
    assert bad["client"]["ok"] is False and "refused" in bad["client"]["detail"]
    assert tests["tests/test_demo.py::test_known_gap"]["outcome"] == "xfailed"
    assert tests["tests/test_demo.py::test_known_gap"]["reason"] == "known gap"
    skipped = tests["tests/test_demo.py::test_skipped"]
    assert skipped["outcome"] == "skipped" and skipped["reason"] == "nothing to do here"
    assert skipped["group"] == "tests"
    result.stdout.fnmatch_lines(["*tlsmatrix summary*", "demo *24*12*12*", "total *27*13*12*",
                                 f"tlsmatrix: reports in {pytester.path / 'out'}/*"])
    out = pytester.path / "out"
    page = (out / "report.html").read_text()
    assert "demo.wrong-port" in page and "connect.refused" in page
    assert "## Failures (12)" in (out / "summary.md").read_text()
    assert (out / "junit.xml").is_file()


def test_merged_shards_equal_the_unsharded_run(inner, pytester):
    _, whole = inner(pytester.path / "whole")
    r1, shard1 = inner(pytester.path / "s1", "--tlsm-shard", "1/2", "-n", "2")
    r2, shard2 = inner(pytester.path / "s2", "--tlsm-shard", "2/2")
    sizes = [len(shard1["tests"]), len(shard2["tests"])]
    assert sum(sizes) == 27 and abs(sizes[0] - sizes[1]) <= 1
    assert not set(by_id(shard1)) & set(by_id(shard2))
    assert shard1["run"]["shard"] == "1/2"
    merged = merge_dirs([pytester.path / "s1", pytester.path / "s2"], pytester.path / "merged")
    assert essentials(merged) == essentials(whole)
    assert merged["counts"] == whole["counts"]
    assert merged["run"]["shards"] == ["1/2", "2/2"]
    on_disk = json.loads((pytester.path / "merged" / "results.json").read_text())
    assert essentials(on_disk) == essentials(whole)
    assert (pytester.path / "merged" / "junit.xml").read_text().count("<testcase ") == 27
    # A shard merged twice is two runs mixed up, not a bigger run.
    with pytest.raises(MergeError, match="overlap"):
        merge_dirs([pytester.path / "s1", pytester.path / "s1"], pytester.path / "twice")


def test_libs_keep_only_pairings_of_those_libraries(inner, pytester):
    result, doc = inner(pytester.path / "out", "--tlsm-libs", "gnutls")
    cases = [e for e in doc["tests"] if e["kind"] == "case"]
    assert len(cases) == 6
    assert {(e["axes"]["client"], e["axes"]["server"]) for e in cases} == {("gnutls", "gnutls")}
    assert len(doc["tests"]) == 9   # tests/ are not narrowed
    # Not a TTY here: the summary table is plain text.
    total = next(line for line in result.outlines if line.startswith("total "))
    assert "\x1b[" not in total


def test_summary_table_is_coloured_when_the_terminal_is(inner, pytester):
    result, _ = inner(pytester.path / "out", "--tlsm-libs", "gnutls", "--color=yes")
    demo = next(line for line in result.outlines if "demo       6" in line)
    assert demo.startswith("\x1b[31m")   # red: the group has failures


def test_shared_servers_and_batch_clients_give_the_same_results(inner, pytester):
    _, isolated = inner(pytester.path / "isolated", "--tlsm-isolated")
    _, shared = inner(pytester.path / "shared", "-n", "2")
    assert essentials(shared) == essentials(isolated)
    assert (isolated["run"]["isolated"], shared["run"]["isolated"]) == (True, False)
    for e in shared["tests"]:
        if e["case"] == "demo.tcp":
            assert e["client"]["id"] is None
            assert e["server"]["peer_port"] == e["client"]["local_port"]


# Makes every shared server's end-of-run check find something, as a leak report at exit would.
FAILING_POOL_CLOSE = """
from harness import server_pool

_close = server_pool.ServerPool.close

def close(self):
    return _close(self) + [f"injected problem ({self.started} shared server(s))"]

server_pool.ServerPool.close = close
"""


@pytest.mark.parametrize("jobs", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_problems_found_when_shared_servers_stop_fail_the_run(inner, pytester, jobs):
    (pytester.path / "conftest.py").write_text(FAILING_POOL_CLOSE)
    result, doc = inner(pytester.path / "out", "-k", "demo.tcp", *jobs)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert doc["run"]["session_problems"] and all(
        p.startswith("injected problem") for p in doc["run"]["session_problems"])
    result.stdout.fnmatch_lines(["*shared servers: problems at the end of the run*",
                                 "*injected problem*"])
    out = pytester.path / "out"
    assert "injected problem" in (out / "summary.md").read_text()
    assert "injected problem" in (out / "report.html").read_text()
    merged = merge_dirs([out], pytester.path / "merged")
    assert merged["run"]["session_problems"] == doc["run"]["session_problems"]


def test_a_broken_case_file_is_in_every_report(inner, pytester):
    (pytester.path / "cases" / "broken.toml").write_text("[[case]]\nid = \n")
    result, doc = inner(pytester.path / "out", "-n", "2")
    assert result.ret != pytest.ExitCode.OK
    errors = doc["run"]["collection_errors"]
    assert [e["nodeid"] for e in errors] == ["cases/broken.toml"]
    assert "## Collection errors (1)" in (pytester.path / "out" / "summary.md").read_text()
    assert "cases/broken.toml" in (pytester.path / "out" / "report.html").read_text()
    result.stdout.fnmatch_lines(["*collection error: cases/broken.toml: none of its tests ran*"])
    # A merge carries it and fails on it.
    merged = merge_dirs([pytester.path / "out"], pytester.path / "merged")
    assert merged["run"]["collection_errors"] == errors
