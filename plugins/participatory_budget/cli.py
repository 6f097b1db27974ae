"""``pb``: compute and explain participatory-budget outcomes from Pabulib files, and run the
hub's campaigns from the command line.

``compute`` and ``explain`` need no app and work on their own (``python -m
plugins.participatory_budget.cli compute FILE.pb``); :mod:`.campaign_cli` adds ``import``,
``codes``, ``close`` and ``results``, which work on the hub's database (``hub pb ...``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .engine import (
    RULES,
    PabulibError,
    RuleError,
    audit_record,
    compute,
    exact,
    normalize_rule,
    published_winners,
    read_pabulib,
)
from .engine.explain import _jsonable, money

TIE_CHOICES = ("lexicographic", "lowest-cost")


class FileError(click.ClickException):
    """A file the command cannot use: ``FILE: line N: message`` on stderr, exit status 2
    (the same for every rule and every kind of fault)."""

    exit_code = 2

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}: line {line}: {message}")

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


def _load(path: str):
    data = Path(path).read_bytes()
    try:
        return read_pabulib(data), data
    except PabulibError as exc:
        raise FileError(path, exc.line, exc.message) from None


def _check_options(rule, min_score) -> None:
    """Options are checked before the file is read: a wrong option is a usage error (2)."""
    if rule is not None:
        try:
            normalize_rule(rule)
        except RuleError as exc:
            raise click.BadParameter(str(exc), param_hint="--rule") from None
    if min_score is not None:
        try:
            exact(min_score)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--min-score") from None


def _outcome(path, election, rule, min_score, tie_breaking):
    try:
        return compute(
            election,
            rule,
            min_score=None if min_score is None else exact(min_score),
            tie_breaking=tie_breaking,
        )
    except (RuleError, ValueError) as exc:
        lines = election.meta_lines
        key = getattr(exc, "meta_key", None)
        line = lines.get(key) or lines.get("sections", {}).get("meta", 1)
        raise FileError(path, line, str(exc)) from None


rule_option = click.option(
    "--rule",
    default=None,
    help=f"One of {', '.join(RULES)} (Pabulib names such as equalshares/add1-comparison are "
    "mapped). Default: the file's own 'rule' META field.",
)
min_score_option = click.option(
    "--min-score",
    default=None,
    help="Minimum score for greedy-threshold. Default: the file's "
    "'min_project_score_threshold' META field.",
)
tie_option = click.option(
    "--tie-breaking",
    type=click.Choice(TIE_CHOICES),
    default="lexicographic",
    show_default=True,
    help="How ties between projects are broken.",
)


@click.group(name="pb")
def pb() -> None:
    """Participatory budget: compute, explain and audit outcomes of Pabulib (.pb) files."""


@pb.command("compute")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@rule_option
@min_score_option
@tie_option
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
def compute_command(file, rule, min_score, tie_breaking, as_json) -> None:
    """Compute the winners of FILE, their total cost and the audit record."""
    _check_options(rule, min_score)
    election, raw = _load(file)
    outcome = _outcome(file, election, rule, min_score, tie_breaking)
    record = audit_record(election, outcome, raw)
    published = published_winners(election)
    if as_json:
        payload = {
            "rule": outcome.rule,
            "winners": outcome.winners,
            "total_cost": _jsonable(outcome.total_cost),
            "budget": _jsonable(outcome.budget),
            "parameters": _jsonable(outcome.parameters),
            "audit": record,
        }
        if published is not None:
            payload["matches_published"] = set(outcome.winners) == published
        click.echo(json.dumps(payload, ensure_ascii=False, sort_keys=False))
        return
    names = {p.id: p.name for p in election.projects}
    click.echo(f"Rule: {outcome.rule}")
    click.echo(f"Budget: {money(outcome.budget)}")
    click.echo(f"Winners ({len(outcome.winners)}), in the order they were funded:")
    for pid in outcome.winners:
        project = election.project(pid)
        click.echo(f"  {pid}\t{money(project.cost)}\t{names[pid]}")
    click.echo(f"Total cost: {money(outcome.total_cost)}")
    if published is not None:
        same = set(outcome.winners) == published
        click.echo(f"Published outcome ('selected' column): {'identical' if same else 'DIFFERENT'}")
    click.echo("Audit record:")
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@pb.command("explain")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("project_id")
@rule_option
@min_score_option
@tie_option
@click.option("--json", "as_json", is_flag=True, help="Print the structured explanation.")
def explain_command(file, project_id, rule, min_score, tie_breaking, as_json) -> None:
    """Explain why PROJECT_ID of FILE was or was not funded."""
    _check_options(rule, min_score)
    election, _raw = _load(file)
    if not election.has_project(project_id):
        raise click.BadParameter(f"no project {project_id!r} in {file}", param_hint="PROJECT_ID")
    outcome = _outcome(file, election, rule, min_score, tie_breaking)
    explanation = outcome.explanations[project_id]
    if as_json:
        click.echo(json.dumps(explanation.to_dict(), ensure_ascii=False))
    else:
        click.echo(explanation.text(election.project(project_id).name))


if __name__ == "__main__":  # pragma: no cover
    pb()
