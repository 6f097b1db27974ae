"""Interpellation rights.

Residents put a question or a request on the agenda of the municipal council or of the
métropole council: a committee of verified residents files it, an agent checks that it
is admissible, residents sign it through the core signature service, and once the
threshold is reached the council must take it up by a deadline and answer in session.
A public tracker shows every stage and every deadline, and how late any overdue step is.
"""

# Command-line groups (import path, short help), imported only when they run: `hub --help`
# imports no plugin.
COMMANDS = {
    "interpellation": (
        "plugins.interpellation.cli:interpellation_group",
        "Interpellations: close those whose signature period is over.",
    )
}
