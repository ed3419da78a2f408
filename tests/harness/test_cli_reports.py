"""`python3 -m harness run | merge | bench` options: documented in --help, turned into the right
pytest command line, and refused when malformed."""

import subprocess
import sys

from harness import REPO_ROOT
from harness.__main__ import _parser, pytest_command


def cli(*args):
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)


def test_run_help_documents_the_options():
    out = cli("run", "--help")
    assert out.returncode == 0
    for option in ("--out", "--shard", "--jobs", "--libs", "--isolated", "-k", "-m", "results.json",
                   "report.html"):
        assert option in out.stdout, option
    assert cli("merge", "--help").returncode == 0
    assert "s_time" in cli("bench", "--help").stdout


def command(*argv):
    args, extra = _parser().parse_known_args(["run", *argv])
    return pytest_command(args, extra)


def test_run_becomes_pytest_with_reports_in_out(tmp_path):
    cmd = command("--out", str(tmp_path), "--shard", "2/3", "--libs", "openssl", "-k", "echo",
                  "-m", "interop", "--isolated", "-x")
    assert cmd[:3] == [sys.executable, "-m", "pytest"]
    joined = " ".join(cmd)
    assert f"--tlsm-out {tmp_path}" in joined and f"--junitxml={tmp_path}/junit.xml" in joined
    assert "--tlsm-shard 2/3" in joined and "--tlsm-libs openssl" in joined
    assert "-k echo" in joined and "-m interop" in joined and "-n auto" in joined
    assert "--tlsm-isolated" in cmd and "--tlsm-isolated" not in command()
    assert cmd[-3:] == ["tests", "cases", "-x"]


def test_run_keeps_a_junitxml_the_user_gave_and_resolves_out():
    cmd = command("--junitxml=elsewhere.xml", "-j", "0")
    assert "--junitxml=elsewhere.xml" in cmd
    assert not any(a.startswith("--junitxml=/") for a in cmd)
    assert "-n" not in cmd
    out = cmd[cmd.index("--tlsm-out") + 1]
    assert out.startswith("/") and out.endswith("/out")


def test_bad_shard_is_a_usage_error():
    out = cli("run", "--shard", "3/2")
    assert out.returncode == 2 and "1 <= i <= n" in out.stderr


def test_merge_of_a_directory_without_results_fails(tmp_path):
    out = cli("merge", str(tmp_path), "--out", str(tmp_path / "m"))
    assert out.returncode == 2 and "results.json: no such file" in out.stderr


def test_jobs_takes_a_count_or_auto():
    assert command("-j", "3")[command("-j", "3").index("-n") + 1] == "3"
    out = cli("run", "--jobs", "many")
    assert out.returncode == 2 and "expected a number of workers or auto, got 'many'" in out.stderr
