"""The signing box that every owner of a collection shows (petitions, interpellations…).

The state is decided here, once, for the current visitor; the owner's template passes its
own wording and URLs to ``signatures/_sign_box.html``. htmx swaps the box in place; without
JavaScript the same form posts the full page.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user

from . import services
from .forms import SignForm, WithdrawForm

# ``sign_box``'s ``signature`` when the owner did not read it.
_UNREAD = object()


def sign_box(collection, *, accepting: bool, message: str = "", signature=_UNREAD) -> dict:
    """``state`` is one of closed, login, signed, ineligible, can_sign, confirm (the step
    that repeats what is signed before the act, reached with ``?sign=confirm``).

    ``accepting`` is the owner's own answer (a petition is open, an interpellation is
    collecting); the collection's dates and the visitor's eligibility are checked here.
    ``signature``: the visitor's signature of the collection (or None) when the owner's page
    read it with its other lists; any object with ``created_at``, ``public_name`` and
    ``invalidated_at`` will do.
    """
    box = {
        "message": message,
        "form": None,
        "signature": None,
        "reason": "",
        "collection": collection,
        "can_withdraw": False,
        "public_name": False,
        "code": "",
    }
    if collection is None or not accepting:
        box["state"] = "closed"
    elif not current_user.is_authenticated:
        box["state"] = "login"
    elif (
        signature := services.signature_of(collection.id, current_user.id)
        if signature is _UNREAD
        else signature
    ) is not None:
        box.update(
            state="signed",
            signature=signature,
            form=WithdrawForm(),
            can_withdraw=signature.invalidated_at is None
            and services.closed_reason(collection) is None,
        )
    elif refusal := services.closed_reason(collection) or services.ineligibility(
        collection, current_user
    ):
        box.update(state="ineligible", reason=refusal.message, code=refusal.code)
    elif request.args.get("sign") == "confirm" and not message:
        # The confirmation step (RGAA 11.10-11.12): what is signed and how, before the act.
        box.update(
            state="confirm", form=SignForm(), public_name=request.args.get("public_name") == "y"
        )
    else:
        box.update(
            state="can_sign", form=SignForm(public_name=request.args.get("public_name") == "y")
        )
    return box
