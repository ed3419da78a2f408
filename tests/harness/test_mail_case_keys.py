"""The case keys for mail protocols and STARTTLS (docs/case-format.md): what loads, what fails
with which message, how expect.*.starttls is compared and how a record's starttls is checked."""

import pytest

from case_files import write_case_file as write
from harness.cases import CaseFormatError, load_file
from harness.expect import check_side
from harness.records import record_problems
from records_data import client, server

MAIL_CASE = """
[[case]]
id = "starttls.x"
about = "one line"
spec = "RFC 3207"
server.listen = "tcp://{host}:0"
server.proto = "smtp"
server.starttls = "offer"
client.url = "tcp://{host}:{port}"
client.proto = "smtp"
client.starttls = "required"
expect.client = { ok = true, proto = "smtp", starttls = { offered = true, upgraded = true, discarded = 0 } }
expect.server = { ok = true, starttls = { upgraded = true } }
"""


def test_a_mail_case_loads_and_keeps_its_policies(tmp_path):
    [case] = load_file(write(tmp_path, MAIL_CASE))
    assert (case.server["proto"], case.server["starttls"]) == ("smtp", "offer")
    assert (case.client["proto"], case.client["starttls"]) == ("smtp", "required")


BROKEN = [
    ("unknown server policy", ('server.starttls = "offer"', 'server.starttls = "yes"'),
     ["server.starttls: unknown policy 'yes'", "offer, refuse"]),
    ("unknown client policy", ('client.starttls = "required"', 'client.starttls = "offer"'),
     ["client.starttls: unknown policy 'offer'", "required, opportunistic"]),
    ("starttls on echo", ('server.proto = "smtp"', 'server.proto = "echo"'),
     ["server.starttls needs server.proto"]),
    ("client starttls without proto", ('client.proto = "smtp"\n', ""),
     ["client.starttls needs client.proto"]),
    ("unknown proto", ('client.proto = "smtp"', 'client.proto = "lmtp"'),
     ["client.proto: unknown protocol 'lmtp'"]),
    ("send on a mail client", ('client.proto = "smtp"', 'client.proto = "smtp"\nclient.send = "x"'),
     ["client.send is for echo"]),
    ("typo in the starttls table", ("discarded = 0", "dicarded = 0"),
     ["expect.client.starttls.dicarded: unknown key"]),
    ("wrong type in the starttls table",
     ("upgraded = true, discarded", 'upgraded = "yes", discarded'),
     ["expect.client.starttls.upgraded must be bool"]),
    ("a string that is not null", ("discarded = 0", 'discarded = "some"'),
     ['expect.client.starttls.discarded must be int or "null"']),
    ("starttls not a table", ("starttls = { upgraded = true }", "starttls = true"),
     ["expect.server.starttls must be a table"]),
]


@pytest.mark.parametrize("old_new, words", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_mail_case_names_the_key(tmp_path, old_new, words):
    old, new = old_new
    assert old in MAIL_CASE
    with pytest.raises(CaseFormatError) as exc:
        load_file(write(tmp_path, MAIL_CASE.replace(old, new, 1)))
    for word in words:
        assert word in str(exc.value), str(exc.value)


def _mail(record, **starttls):
    return {**record, "proto": "smtp",
            "starttls": {"offered": None, "upgraded": False, "discarded": None, **starttls}}


def test_starttls_expectation_compares_only_the_keys_it_names():
    rec = _mail(client(), offered=True, upgraded=True, discarded=0)
    assert check_side("client", {"ok": True, "starttls": {"upgraded": True}}, rec) == []
    assert check_side("client", {"ok": True, "starttls": {"discarded": 5}}, rec) == \
        ["client: starttls.discarded: expected 5, got 0"]
    assert check_side("client", {"ok": True, "starttls": {"offered": "null"}}, rec) == \
        ["client: starttls.offered: expected None, got True"]


def test_starttls_null_means_no_starttls_dialog():
    assert check_side("server", {"ok": True, "starttls": "null"}, server()) == []
    assert check_side("server", {"ok": True, "starttls": "null"}, _mail(server())) == \
        ["server: starttls: expected null, got {'offered': None, 'upgraded': False, "
         "'discarded': None}"]
    assert check_side("server", {"ok": True, "starttls": {"upgraded": True}}, server()) == \
        ["server: starttls: expected {'upgraded': True}, got None"]


def test_proto_is_compared_like_any_record_key():
    assert check_side("client", {"ok": True, "proto": "imap"}, _mail(client())) == \
        ["client: proto: expected 'imap', got 'smtp'"]


@pytest.mark.parametrize("starttls, words", [
    ({"offered": True, "upgraded": True}, "starttls is"),
    ({"offered": "yes", "upgraded": True, "discarded": 0}, "starttls.offered is 'yes'"),
    ({"offered": None, "upgraded": None, "discarded": 0}, "starttls.upgraded is None"),
    ({"offered": None, "upgraded": True, "discarded": -1}, "negative byte count"),
    ({"offered": None, "upgraded": True, "discarded": True}, "starttls.discarded is True"),
])
def test_a_malformed_starttls_object_is_named(starttls, words):
    problems = record_problems({**server(), "proto": "smtp", "starttls": starttls}, "server")
    assert any(words in p for p in problems), problems


def test_an_unknown_proto_is_named():
    assert record_problems({**client(), "proto": "gopher"}, "client") == \
        ["proto 'gopher' is not one of echo, smtp, imap, pop3"]
