"""Attack checks for STARTTLS (docs/starttls.md): scripted peers that try the three known attacks
on an implementation under test and say whether it is conforming or name its vulnerability.

- command-injection (judges a server): a command pipelined after STARTTLS in plaintext must not
  be answered inside TLS (RFC 3207 §4.2; Postfix CVE-2011-0411).
- response-injection (judges a client): plaintext sent with the STARTTLS go-ahead must not be
  read as a reply inside TLS (RFC 3207 §4.2; Mutt CVE-2020-14954).
- starttls-stripping (judges a client): a client that requires TLS must not go on in plaintext
  when STARTTLS is missing from the capabilities (RFC 3207 §6; RFC 8314 §5.2).

Each check takes the implementation through the face of harness/impls.py (a server command line
or a client command line) and returns a Verdict judged from the wire alone.
"""

from . import command_injection, response_injection, stripping
from .verdict import CONFORMING, INCONCLUSIVE, VULNERABLE, Verdict

# Check name -> (the role it judges, the scripted peer's module).
CHECKS = {
    command_injection.CHECK: ("server", command_injection),
    response_injection.CHECK: ("client", response_injection),
    stripping.CHECK: ("client", stripping),
}

__all__ = ["CHECKS", "CONFORMING", "INCONCLUSIVE", "VULNERABLE", "Verdict"]
