"""The report renderers on synthetic results (tests/harness/reports_data.py): the HTML matrix
has its cells, colours, classes and details and fetches nothing; summary.md counts and lists
failures; results.json keeps its documented keys."""

import json
import re
from html.parser import HTMLParser

from harness.reports import html, results, summary, write

from reports_data import document

ENTRY_KEYS = {"id", "nodeid", "kind", "case", "group", "axes", "expected", "outcome", "reason",
              "classes", "duration_s", "client", "server", "server_records", "longrepr"}


class Cells(HTMLParser):
    """Collects the matrix cells: (class attribute, text inside) of every <td>."""

    def __init__(self):
        super().__init__()
        self.cells, self._depth, self._text, self._cls = [], 0, [], None
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "td":
            self._depth, self._text, self._cls = 1, [], dict(attrs).get("class")
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == "td" and self._depth:
            self.cells.append((self._cls, "".join(self._text)))
            self._depth = 0

    def handle_data(self, data):
        if self._depth:
            self._text.append(data)


def parsed():
    parser = Cells()
    page = html.render(document())
    parser.feed(page)
    return page, parser


def test_html_is_self_contained():
    page, parser = parsed()
    assert "http://" not in page and "https://" not in page
    for tag, attrs in parser.tags:
        assert tag not in ("script", "link", "img", "iframe"), tag
        assert "src" not in attrs, (tag, attrs)
        assert attrs.get("href", "#").startswith("#"), (tag, attrs)
    assert "<style>" in page


def test_html_matrix_cells_have_colour_class_and_detail():
    page, parser = parsed()
    by_class = {}
    for cls, text in parser.cells:
        by_class.setdefault(cls, []).append(text)
    # gnutls>openssl at TLS 1.3 failed: red, with the class it saw and the library's detail.
    assert any("tls.cert_untrusted" in t and "The certificate issuer is unknown <&>" in t
               for t in by_class["fail"])
    # openssl>gnutls at 1.3: one pass and one expected error: coloured as the expected error.
    assert any("1 expected-error, 1 pass" in t and "tls.cert_rejected_by_peer" in t
               for t in by_class["expected-error"])
    assert any("1 xfail" in t for t in by_class["xfail"])
    assert any("1 pass" in t for t in by_class["pass"])
    assert any("1 skip" in t for t in by_class["skip"])
    # The detail is escaped, never markup.
    assert "<&>" not in page and "&lt;&amp;&gt;" in page


def test_html_has_a_matrix_per_version_with_client_rows_and_server_columns():
    page, _ = parsed()
    verify = page.split("<h2 id='verify'>", 1)[1].split("<h2", 1)[0]
    assert verify.count("<table class=matrix>") == 2
    assert "<h3>tls1.2</h3>" in verify and "<h3>tls1.3</h3>" in verify
    tls13 = verify.split("<h3>tls1.3</h3>", 1)[1]
    header = re.search(r"<tr><th>client ↓ server →</th>(.*?)</tr>", tls13).group(1)
    assert re.findall(r"<th>(\w+)</th>", header) == ["openssl", "gnutls"]
    assert [m for m in re.findall(r"<tr><th>(\w+)</th>", tls13)] == ["openssl", "gnutls"]


def test_html_lists_tests_without_axes_that_failed():
    page, _ = parsed()
    assert "test_something" in page and "assert 1 == 2" in page


def test_summary_counts_groups_and_failures():
    text = summary.render(document())
    # tests, passed, failed, error, xfailed, xpassed, skipped
    assert "| 7 | 3 | 2 | 0 | 1 | 0 | 1 |" in text
    assert "| verify | 6 | 3 | 1 | 0 | 1 | 0 | 1 |" in text
    assert "| tests/harness | 1 | 0 | 1 |" in text
    assert "## Failures (2)" in text
    line = next(l for l in text.splitlines() if "verify.expired" in l)
    assert "client tls.cert_untrusted" in line and "expected client tls.cert_expired" in line


def test_results_json_round_trips_with_its_keys(tmp_path):
    write.write_reports(tmp_path, document())
    doc = results.load(tmp_path / "results.json")
    assert doc["schema"] == results.SCHEMA
    assert doc["counts"]["total"] == 7 and doc["counts"]["failed"] == 2
    for e in doc["tests"]:
        assert set(e) == ENTRY_KEYS
        assert set(e["classes"]) == {"client", "server"}
    # Cases first, by group and nodeid.
    assert [e["kind"] for e in doc["tests"]] == ["case"] * 6 + ["test"]
    assert sorted((tmp_path).iterdir()) == sorted(tmp_path / n for n in
                                                  ("results.json", "summary.md", "report.html"))


def test_load_refuses_other_json(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"tests": []}))
    try:
        results.load(tmp_path / "results.json")
    except ValueError as exc:
        assert "not a tlsmatrix results file" in str(exc)
    else:
        raise AssertionError("loaded a file without the schema")


def test_status_colours():
    entries = {e["case"]: e for e in document()["tests"]}
    assert results.status(entries["verify.ok"]) == "pass"
    assert results.status(entries["verify.untrusted"]) == "expected-error"
    assert results.status(entries["verify.expired"]) == "fail"
    assert results.status(entries["verify.later"]) == "xfail"
    assert results.status(entries["verify.skipped"]) == "skip"


def test_server_record_pairs_by_port_only():
    client = {"local_port": 5}
    assert results.pair_server(client, [{"peer_port": 6}, {"peer_port": 5}]) == {"peer_port": 5}
    assert results.pair_server(client, [{"peer_port": 6}]) is None
    assert results.pair_server(client, [{"peer_port": 5}, {"peer_port": 5}]) is None
    assert results.pair_server(None, [{"peer_port": 5}]) is None
