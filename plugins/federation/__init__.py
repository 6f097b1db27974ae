"""Federation plugin (package); its hooks are in ``plugin.py``."""

# Command-line groups (import path, short help), imported only when they run: `hub --help`
# imports no plugin.
COMMANDS = {
    "federation": (
        "plugins.federation.cli:federation_group",
        "Federation with other hubs: identity, peers, synchronisation.",
    )
}
