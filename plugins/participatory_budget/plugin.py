from hub.plugin import hookimpl

"""Participatory budget.

For now the plugin contributes the outcome engine's command line (``hub pb``); the web cycle of
the budget (proposals, feasibility review, voting, results) will build on the same engine.
"""


@hookimpl
def hub_register_commands():
    from .cli import pb

    return [pb]
