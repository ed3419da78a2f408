# Loads the tlsmatrix pytest plugin (harness/plugin.py): case collection from cases/*.toml,
# the PKI and process fixtures, and process cleanup. See docs/harness.md.
# pytester lets tests/harness/test_plugin.py run the plugin in an inner pytest session.
pytest_plugins = ["harness.plugin", "pytester"]
