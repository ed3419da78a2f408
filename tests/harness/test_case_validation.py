"""A broken case file fails collection with a message naming the file, the case id and the key."""

import pytest

from case_files import MAIL_MODE_CASE
from case_files import write_case_file as write
from harness.cases import CaseFormatError, load_file

GOOD_SERVER_CASE = """
[[case]]
id = "echo.x"
about = "one line"
spec = "RFC 862"
server.listen = "tcp://{host}:0"
client.url = "tcp://{host}:{port}"
expect.client.ok = true
expect.server.ok = true
"""


KEY_OPTIONS = 'server.options = { local_cert = "{key_cert}", local_pk = "{key_pk}" }\n'


def test_good_key_and_mode_cases_load(tmp_path):
    [case] = load_file(write(tmp_path, GOOD_SERVER_CASE + 'axes.key = ["rsa2048"]\n'
                             + KEY_OPTIONS))
    assert case.axes["key"] == ("rsa2048",)
    [case] = load_file(write(tmp_path, MAIL_MODE_CASE))
    assert case.axes["mode"] == ("implicit", "starttls")


def test_a_good_file_loads(tmp_path):
    [case] = load_file(write(tmp_path, GOOD_SERVER_CASE))
    assert case.id == "echo.x" and case.axes["host"] == ("127.0.0.1", "[::1]", "server.test")


# (what is wrong, the file, the words the message must contain)
BROKEN = [
    ("not TOML", "[[case]\nid=1", ["not valid TOML"]),
    ("no cases", "[defaults]\n", ["no [[case]] tables"]),
    ("unknown top-level key", GOOD_SERVER_CASE + "\n[extra]\n", ["(top level).extra: unknown key"]),
    ("bad id", GOOD_SERVER_CASE.replace('"echo.x"', '"Echo X"'), ["case #1", "id must be"]),
    ("duplicate id", GOOD_SERVER_CASE * 2, ["'echo.x'", "id used twice"]),
    ("missing about", GOOD_SERVER_CASE.replace('about = "one line"\n', ""),
     ["'echo.x'", "case.about is required"]),
    ("two-line about", GOOD_SERVER_CASE.replace('"one line"', '"""one\nline"""'),
     ["about must be one non-empty line"]),
    ("empty spec", GOOD_SERVER_CASE.replace('"RFC 862"', '"  "'), ["spec must name the source"]),
    ("typo in a case key", GOOD_SERVER_CASE.replace("about =", "abuot = 'x'\nabout ="),
     ["case.abuot: unknown key"]),
    ("typo in an expectation", GOOD_SERVER_CASE.replace("expect.client.ok", "expect.client.eror"),
     ["'echo.x'", "expect.client.eror: unknown key"]),
    ("unknown error class", GOOD_SERVER_CASE.replace("expect.client.ok = true",
                                                     'expect.client.error = "url.bad_prot"'),
     ["expect.client.error", "'url.bad_prot' is not a class in lib/errors.h"]),
    ("unknown stage", GOOD_SERVER_CASE + 'expect.client.stage = "handshaking"\n',
     ["'handshaking' is not a stage"]),
    ("neither ok nor error", GOOD_SERVER_CASE.replace("expect.client.ok = true",
                                                      'expect.client.version = "TLSv1.3"'),
     ["expect.client must say ok = true or error"]),
    ("ok and error", GOOD_SERVER_CASE.replace("expect.client.ok = true",
                                              'expect.client = { ok = true, error = "io.reset" }'),
     ["ok = true contradicts error"]),
    ("wrong type", GOOD_SERVER_CASE.replace("expect.client.ok = true", 'expect.client.ok = "yes"'),
     ["expect.client.ok must be bool"]),
    ("unknown transcript", GOOD_SERVER_CASE + 'expect.client.transcript = "tls1.4-full"\n',
     ["unknown transcript 'tls1.4-full'"]),
    ("bad literal transcript", GOOD_SERVER_CASE + 'expect.client.transcript = ["ClientHello"]\n',
     ["'ClientHello' is not 'client:Message'"]),
    ("missing server expectation", GOOD_SERVER_CASE.replace("expect.server.ok = true\n", ""),
     ["needs [case.expect.server]"]),
    ("server expectation without server",
     GOOD_SERVER_CASE.replace('server.listen = "tcp://{host}:0"\n', ""),
     ["[case.expect.server] given but the case has no [case.server]"]),
    ("server.resolve not strings", GOOD_SERVER_CASE + "server.resolve = [1]\n",
     ["'echo.x'", "server.resolve must be a string or a list of strings"]),
    ("unknown placeholder", GOOD_SERVER_CASE.replace("{port}", "{prot}"),
     ["client: placeholder {prot} has no value"]),
    ("port without a server", """
        [[case]]
        id = "a"
        about = "x"
        spec = "y"
        client.url = "tcp://127.0.0.1:{port}"
        expect.client.ok = true
        """, ["placeholder {port} has no value"]),
    ("version placeholder without the version axis",
     GOOD_SERVER_CASE + 'expect.client.version = "{version}"\n', ["placeholder {version}"]),
    ("narrowed axis without a reason", GOOD_SERVER_CASE + 'axes.client = ["openssl"]\n',
     ["axes narrows client/server/host", "restricted"]),
    ("reason without narrowing", GOOD_SERVER_CASE + 'restricted = "because"\n',
     ["restricted is given but the case runs on every"]),
    ("unknown axis value", GOOD_SERVER_CASE + 'axes.server = ["wolfssl"]\nrestricted = "x"\n',
     ["axes.server: unknown value 'wolfssl'"]),
    ("unknown axis", GOOD_SERVER_CASE + 'axes.keytype = ["rsa"]\n', ["axes.keytype: unknown key"]),
    ("key axis without the key placeholders", GOOD_SERVER_CASE + 'axes.key = ["rsa2048"]\n',
     ["'echo.x'", "axes.key is the server's key type: server.options.local_cert must be "
      '"{key_cert}"']),
    ("key axis with only the certificate",
     GOOD_SERVER_CASE + 'axes.key = ["rsa2048"]\n'
     + 'server.options = { local_cert = "{key_cert}", local_pk = "{rsa_key}" }\n',
     ["'echo.x'", 'server.options.local_pk must be "{key_pk}"']),
    ("key axis on a client-only case", """
        [[case]]
        id = "a"
        about = "x"
        spec = "y"
        axes.key = ["p256"]
        client.url = "tcp://127.0.0.1:1"
        expect.client.ok = true
        """, ["'a'", "axes.key: a case without [case.server] has no key axis"]),
    ("unknown key type", GOOD_SERVER_CASE + 'axes.key = ["rsa"]\n' + KEY_OPTIONS,
     ["axes.key: unknown value 'rsa' (known: p256, rsa2048, ed25519)"]),
    ("key placeholder without the key axis",
     GOOD_SERVER_CASE + 'server.options = { local_cert = "{key_cert}" }\n',
     ["'echo.x'", "server: placeholder {key_cert} has no value"]),
    ("mode axis on an echo case", GOOD_SERVER_CASE + 'axes.mode = ["implicit", "starttls"]\n',
     ["'echo.x'", "axes.mode (implicit TLS or STARTTLS) is for mail protocols: server.proto "
      "must be one of imap, pop3, smtp, got 'echo'"]),
    ("mode axis with an echo client",
     MAIL_MODE_CASE.replace('client.proto = "smtp"\nclient.starttls = "{mode_client_starttls}"',
                            ""),
     ["'mail.x'", "axes.mode (implicit TLS or STARTTLS) is for mail protocols: client.proto"]),
    ("mode axis that does not decide the upgrade",
     MAIL_MODE_CASE.replace('"{mode_server_starttls}"', '"offer"'),
     ["'mail.x'", 'axes.mode: server.starttls must be "{mode_server_starttls}"']),
    ("mode placeholder without the mode axis",
     MAIL_MODE_CASE.replace('axes.mode = ["implicit", "starttls"]\n', ""),
     ["'mail.x'", "server: placeholder {mode_server_starttls} has no value"]),
    ("a policy placeholder that gives no policy",
     MAIL_MODE_CASE.replace('axes.mode = ["implicit", "starttls"]', 'axes.version = ["tls1.2"]')
     .replace("{mode_transport}", "tcp").replace("{mode_server_starttls}", "offer")
     .replace("{mode_client_starttls}", "{version_id}"),
     ["'mail.x'", "tls1.2-openssl>openssl-ipv4-mail.x: client.starttls: unknown policy 'tls1.2'"]),
    ("host axis for a client-only case without opting in", """
        [[case]]
        id = "a"
        about = "x"
        spec = "y"
        client.url = "tcp://{host}:1"
        expect.client.ok = true
        """, ["placeholder {host} has no value"]),
    ("parse_only with a server", GOOD_SERVER_CASE + "client.parse_only = true\n",
     ["parse-only case has no [case.server]"]),
    ("unknown protocol", GOOD_SERVER_CASE + 'server.proto = "gopher"\n',
     ["server.proto: unknown protocol 'gopher'"]),
    ("option of a table type", GOOD_SERVER_CASE + "client.options.cafile = { a = 1 }\n",
     ["client.options.cafile must be a string"]),
    ("override without reason", GOOD_SERVER_CASE + """
        [[case.override]]
        when.server = "gnutls"
        expect.server.close_notify = false
        """, ["override[0].reason is required"]),
    ("override on an axis the case lacks", GOOD_SERVER_CASE + """
        [[case.override]]
        when.version = "tls1.3"
        reason = "r"
        expect.server.close_notify = false
        """, ["override[0].when.version: the case has no version axis"]),
    ("override value outside the case", GOOD_SERVER_CASE.replace(
        "expect.client.ok",
        'axes.host = ["127.0.0.1"]\nrestricted = "v4 only"\nexpect.client.ok') + """
        [[case.override]]
        when.host = "[::1]"
        reason = "r"
        expect.server.close_notify = false
        """, ["'[::1]' is not one of the case's values"]),
    ("override that changes nothing", GOOD_SERVER_CASE + """
        [[case.override]]
        when.server = "gnutls"
        reason = "r"
        """, ["override[0].expect is empty"]),
    ("override with a bad class", GOOD_SERVER_CASE + """
        [[case.override]]
        when.server = "gnutls"
        reason = "r"
        expect.client.error = "tls.nope"
        """, ["gnutls-ipv4-echo.x: expect.client.error: 'tls.nope' is not a class"]),
]


@pytest.mark.parametrize("what,text,words", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_case_files_are_explained(tmp_path, what, text, words):
    path = write(tmp_path, text)
    with pytest.raises(CaseFormatError) as info:
        load_file(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for word in words:
        assert word in message, message
