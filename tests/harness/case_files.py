"""Writing a case file for a test: the TOML text, dedented, as tmp_path/topic.toml."""

import textwrap


def write_case_file(tmp_path, text):
    path = tmp_path / "topic.toml"
    path.write_text(textwrap.dedent(text))
    return path


# A mail case over both modes of the mode axis (docs/case-format.md, "Axes"); tests change
# what they are about with str.replace.
MAIL_MODE_CASE = """
[[case]]
id = "mail.x"
about = "one line"
spec = "RFC 8314"
axes.mode = ["implicit", "starttls"]
server.listen = "{mode_transport}://{host}:0"
server.proto = "smtp"
server.starttls = "{mode_server_starttls}"
client.url = "{mode_transport}://{host}:{port}"
client.proto = "smtp"
client.starttls = "{mode_client_starttls}"
expect.client.ok = true
expect.server.ok = true
"""
