"""Petitions.

Residents draft a petition, gather supporters through a private link, and once a
moderator publishes it everyone may sign; the commune answers officially. Signatures
go through the core signature service (:mod:`hub.signatures`), which interpellations
and citizen initiatives share: this plugin shows how an owner of signable objects
uses it.
"""

# Command-line groups (import path, short help), imported only when they run: `hub --help`
# imports no plugin.
COMMANDS = {
    "petitions": (
        "plugins.petitions.cli:petitions_group",
        "Petitions: maintenance.",
    )
}
