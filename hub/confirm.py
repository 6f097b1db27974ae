"""The step before an act that cannot be undone (RGAA 11.10-11.12, WCAG 3.3.4).

Publishing an answer, a decision, minutes or results, moving a campaign to its next phase:
once done, residents read it and are told. Such a form is sent twice. The first time, once it
is valid, :func:`confirm_first` answers a confirmation page that repeats what will be
published and says what the act does, with every value typed carried in hidden fields and a
fresh CSRF token. "Confirm" sends it again with ``hub_confirmed=1`` and the view acts;
"Change" sends it back with ``hub_change=1`` and the view shows its form again, filled in
(:func:`changing`). No JavaScript is involved. A view uses it so::

    form = AnswerForm()
    if form.validate_on_submit() and not changing():
        page = confirm_first(
            form,
            check=lambda: services.check_answer(petition, form.answer.data),
            heading=_("Publish this answer?"),
            about=petition.title,
            about_url=url_for(...),
            shown=[(_("The answer, as it will be published"), form.answer.data, "markdown")],
            consequence=_("The petition's signatories are told by email."),
            submit=_("Publish the answer"),
        )
        if page is not None:
            return page
        ... act, in one write transaction ...
    return render_template(...), 422 if form.errors else 200

``check`` runs the act's rules before the confirmation page is shown, so that nobody confirms
an act only to be told it is not allowed: a :class:`hub.errors.RuleError` it raises reaches the
view exactly as the act's own refusal would (put ``confirm_first`` inside the ``try`` that
handles the act's refusals). It runs in a write transaction that is always rolled back, so it
may be the act itself (a rehearsal) when the act is cheap; an act that mails every signer is
better checked by the function the act calls first. ``hub.forms.form_action`` takes the
confirmation's arguments as ``confirm=`` and does all this for a form that acts through it.
"""

from __future__ import annotations

from flask import render_template, request

from .db import write_transaction

CONFIRMED = "hub_confirmed"
CHANGE = "hub_change"
_OWN = {CONFIRMED, CHANGE}


def confirmed() -> bool:
    """True when the visitor sent the form from its confirmation page with "Confirm"."""
    return request.method == "POST" and request.form.get(CONFIRMED) == "1"


def changing() -> bool:
    """True when the visitor came back from the confirmation page to change what was typed:
    the view shows its form again, filled in, without acting (status 200)."""
    return request.method == "POST" and CHANGE in request.form


class _Rehearsed(Exception):
    """Raised to roll back the transaction a check ran in."""


def rehearse(check) -> None:
    """Run ``check`` in a write transaction that is rolled back whatever it did; its
    :class:`hub.errors.RuleError` (or any other error) propagates."""
    from .extensions import db

    info = db.session().info
    waiting = list(info.get("hub_after_commit", []))  # an outer transaction's, if any
    try:
        with write_transaction():
            check()
            raise _Rehearsed
    except _Rehearsed:
        pass
    finally:
        if waiting:
            info["hub_after_commit"] = waiting
        else:
            info.pop("hub_after_commit", None)


def _kind(item) -> str:
    """How a shown value is written: ``markdown`` or ``content`` (typed on the hub, so marked
    with the content's language in another interface language), or ``interface`` (a choice's
    label, a date: in the interface's own language, never marked as content)."""
    if len(item) > 2:
        return item[2]
    return "interface" if hasattr(item[1], "iter_choices") else "content"


def _shown_value(value):
    """A form field shows its value as the visitor chose it: a choice by its label."""
    if hasattr(value, "iter_choices"):
        for choice in value.iter_choices():
            if choice[2]:  # (value, label, selected, ...)
                return str(choice[1])
        return ""
    if hasattr(value, "data") and hasattr(value, "label"):
        return "" if value.data is None else str(value.data)
    return value


def confirm_first(
    form,
    *,
    heading: str,
    consequence: str,
    submit: str,
    about: str | None = None,
    about_url: str | None = None,
    shown=(),
    irreversible: bool = True,
    action: str | None = None,
    check=None,
):
    """The confirmation page to answer, or None once the visitor confirmed (the view acts).

    ``shown`` lists what the act publishes, as ``(label, text)`` (text typed on the hub, marked
    ``lang`` like all content), ``(label, text, "markdown")``, or ``(label, text, "interface")``
    for a value in the interface's language (a formatted date, a count); ``text`` may be a form
    field, a choice showing its label (in the interface's language). ``consequence`` says
    what happens (who is told, what becomes public); ``irreversible`` adds "This cannot be
    undone." ``check`` (a function without arguments) runs the act's rules first: its
    ``RuleError`` propagates instead of a confirmation page (see the module's docstring).
    Call it only for a form that validated.
    """
    if confirmed():
        return None
    if check is not None:
        rehearse(check)
    csrf_name = form.csrf_token.name if getattr(form, "csrf_token", None) is not None else None
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in _OWN and name != csrf_name
    ]
    items = [(item[0], _shown_value(item[1]), _kind(item)) for item in shown]
    return render_template(
        "confirm.html",
        form=form,
        heading=heading,
        consequence=consequence,
        submit=submit,
        about=about,
        about_url=about_url,
        shown=items,
        irreversible=irreversible,
        carried=carried,
        action=action or request.full_path.rstrip("?"),
        confirmed_name=CONFIRMED,
        change_name=CHANGE,
    )
