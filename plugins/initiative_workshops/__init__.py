"""Citizen-initiative workshops (ateliers d'initiative citoyenne, AIC).

An idea carried by a collective of residents becomes, by political decision, an official
project. Verified residents propose it and join its collective; once enough of them have
joined it is *constituted*, the conseil de quartier (or a body the commune names) facilitates
it, it works in the open (sessions, a versioned dossier, optional public support collected
on the core signature service), the collective submits the dossier, and an elected official
decides: retained or partly retained (an official project is created in phase 1, linked both
ways) or not retained (a published reason, sent to members and followers).
"""

# Command-line groups (import path, short help), imported only when they run: `hub --help`
# imports no plugin.
COMMANDS = {
    "initiative_workshops": (
        "plugins.initiative_workshops.cli:initiative_workshops_group",
        "Citizen initiatives: recount the collectives, tell overdue decisions.",
    )
}
