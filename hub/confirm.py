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
"""

from __future__ import annotations

from flask import render_template, request

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
):
    """The confirmation page to answer, or None once the visitor confirmed (the view acts).

    ``shown`` lists what the act publishes, as ``(label, text)`` or ``(label, text, "markdown")``
    (resident- or staff-written text, marked ``lang`` like all content); ``text`` may be a form
    field, a choice showing its label. ``consequence`` says
    what happens (who is told, what becomes public); ``irreversible`` adds "This cannot be
    undone." Call it only for a form that validated.
    """
    if confirmed():
        return None
    csrf_name = form.csrf_token.name if getattr(form, "csrf_token", None) is not None else None
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in _OWN and name != csrf_name
    ]
    items = [
        (item[0], _shown_value(item[1]), len(item) > 2 and item[2] == "markdown") for item in shown
    ]
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
