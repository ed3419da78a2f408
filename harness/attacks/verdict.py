"""What an attack check says about an implementation: conforming, the named vulnerability, or
inconclusive (the scenario could not be run to the point where it judges), always with the
evidence: every line the scripted peer sent and saw, in order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

CONFORMING = "conforming"
VULNERABLE = "vulnerable"
INCONCLUSIVE = "inconclusive"


@dataclass
class Verdict:
    check: str            # "command-injection", "response-injection", "starttls-stripping"
    proto: str            # "smtp", "imap", "pop3"
    outcome: str          # CONFORMING, VULNERABLE or INCONCLUSIVE
    summary: str          # "conforming", "command injection: answered a pipelined NOOP inside TLS"
    evidence: list[str] = field(default_factory=list)   # the wire, as the scripted peer saw it
    impl: str = ""        # what was judged (an implementation's name, or "host:port")
    # The implementation's own records of the connection, when it writes them (supporting
    # evidence for a person; the verdict never depends on what an implementation says of itself).
    records: list[dict] = field(default_factory=list)
    # The scripted client's port, so the server's record of this connection pairs by port as
    # everywhere in the harness (records.pair); None for checks whose scripted peer is a server.
    local_port: int | None = None

    @property
    def conforming(self) -> bool:
        return self.outcome == CONFORMING

    @property
    def vulnerability(self) -> str | None:
        return self.summary if self.outcome == VULNERABLE else None

    def report(self) -> str:
        lines = [f"{self.check} ({self.proto}) against {self.impl or '?'}: {self.summary}",
                 "wire, as the scripted peer saw it:"]
        lines += [f"  {line}" for line in self.evidence]
        for record in self.records:
            lines.append(f"its record: {json.dumps(record, sort_keys=True)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary


def conforming(check: str, proto: str, evidence: list[str], why: str) -> Verdict:
    return Verdict(check, proto, CONFORMING, f"conforming: {why}", evidence)


def vulnerable(check: str, proto: str, evidence: list[str], summary: str) -> Verdict:
    return Verdict(check, proto, VULNERABLE, summary, evidence)


def inconclusive(check: str, proto: str, evidence: list[str], why: str) -> Verdict:
    return Verdict(check, proto, INCONCLUSIVE, f"inconclusive: {why}", evidence)
