"""Neighbourhood workshops (ateliers de quartier, ateliers ville, ateliers de projet).

A conseil de quartier or the commune's staff open a workshop on a topic or a project; its
sessions, registrations, waiting list, check-in, reminders and minutes are the core
sessions service's; the proposals of approved minutes go to the linked project as
contributions of the "atelier" channel, and the workshop shows what became of each.
"""

# Command-line groups (import path, short help), imported only when they run: `hub --help`
# imports no plugin.
COMMANDS: dict[str, tuple[str, str]] = {}
