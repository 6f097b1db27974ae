"""Participatory budget plugin.

The outcome engine (``engine``) is a pure Python package with no Flask import: budget
instances, ballot validation, the counting rules (greedy, greedy-no-skip, greedy-threshold,
equalshares, equalshares/add1), explanations for residents, the audit record and the Pabulib
``.pb`` open-data format. ``cli`` exposes it as the click group ``pb``.
"""

# Command-line groups (import path, short help), imported only when they run: `hub --help`
# imports no plugin.
COMMANDS = {
    "pb": (
        "plugins.participatory_budget.campaign_cli:pb",
        "Participatory budget: compute, explain and audit outcomes of Pabulib (.pb) files.",
    )
}
