"""The run's reports (docs/reports.md): results.json (every test with its axes, outcome and
records), summary.md, report.html (the client × server matrix) and pytest's junit.xml.

results.py turns pytest reports into result entries, summary.py and html.py render them,
terminal.py prints the end-of-run table, write.py writes a directory, plugin.py is the pytest
side (collecting in xdist workers, writing in the controller)."""
