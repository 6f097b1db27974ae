"""The signing box that every owner of a collection shows (petitions, interpellations…).

The state is decided here, once, for the current visitor; the owner's template passes its
own wording and URLs to ``signatures/_sign_box.html``. htmx swaps the box in place; without
JavaScript the same form posts the full page.
"""

from __future__ import annotations

from flask_login import current_user

from . import services
from .forms import SignForm


def sign_box(collection, *, accepting: bool, message: str = "") -> dict:
    """``state`` is one of closed, login, signed, ineligible, can_sign.

    ``accepting`` is the owner's own answer (a petition is open, an interpellation is
    collecting); the collection's dates and the visitor's eligibility are checked here.
    """
    box = {"message": message, "form": None, "signature": None, "reason": ""}
    if collection is None or not accepting:
        box["state"] = "closed"
    elif not current_user.is_authenticated:
        box["state"] = "login"
    elif (signature := services.signature_of(collection.id, current_user.id)) is not None:
        box.update(state="signed", signature=signature)
    elif (refusal := services.closed_reason(collection)
          or services.ineligibility(collection, current_user)):
        box.update(state="ineligible", reason=refusal.message)
    else:
        box.update(state="can_sign", form=SignForm())
    return box
