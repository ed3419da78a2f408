"""Writing a case file for a test: the TOML text, dedented, as tmp_path/topic.toml."""

import textwrap


def write_case_file(tmp_path, text):
    path = tmp_path / "topic.toml"
    path.write_text(textwrap.dedent(text))
    return path
