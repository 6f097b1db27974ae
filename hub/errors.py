"""One error model: domain refusals, error pages in the visitor's language, JSON under ``/api/``.

Every rule of the hub that refuses an action raises :class:`RuleError` (or a subclass) with
a message meant for the visitor. A view may catch it to show the message next to a form
field (:func:`hub.forms.form_action` does it); one that does not gets an error page with the
refusal's status and message instead of a 500. Anonymous visitors who need an account are
always sent to the login page (401 under ``/api/``).
"""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class RuleError(Exception):
    """An action the hub's rules do not allow.

    ``message`` is shown to the visitor (translated by the raiser); ``field`` names the form
    field at fault, if any; ``status`` is the HTTP status when nothing catches the error
    (422 by default: the request was understood, the state forbids it); ``code`` is a stable
    machine-readable reason for API clients (``already_signed``, ``over_budget``…).
    """

    status = 422
    code = "rule"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


MESSAGES = {
    400: lambda: _("The request could not be understood."),
    401: lambda: _("You need to log in to do this."),
    403: lambda: _("You are not allowed to see this page or do this action."),
    404: lambda: _("This page does not exist, or no longer exists."),
    405: lambda: _("This action is not possible here."),
    409: lambda: _("This conflicts with the current state."),
    413: lambda: _("The file sent is too large."),
    422: lambda: _("This cannot be done in the current state."),
    429: lambda: _("Too many attempts. Please wait a moment and try again."),
    500: lambda: _("Something went wrong on our side. The team has been told."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, code: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    if wants_json():
        payload = {"status": status, "message": message}
        if code:
            payload["code"] = code
        response = jsonify({"error": payload})
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
    else:
        from flask import g

        # The error page says what went wrong: a refused form's errors are not listed again.
        g.pop("hub_forms", None)
        response = render_template("error.html", status=status, message=message)
    return response, status


def login_required_response():
    """The one answer to an anonymous visitor who needs an account: the login page (with a
    way back), or a JSON 401 under ``/api/``."""
    if wants_json():
        return error_response(401)
    return current_app.login_manager.unauthorized()


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return error_response(
            400,
            _(
                "The form expired or was sent from elsewhere. "
                "Please go back, reload the page and try again."
            ),
        )

    @app.errorhandler(RuleError)
    def _rule(exc):
        return error_response(exc.status, exc.message, exc.code)

    @app.errorhandler(HTTPException)
    def _http(exc):
        if exc.code == 401 and not getattr(exc, "hub_message", False):
            return login_required_response()
        description = exc.description if getattr(exc, "hub_message", False) else None
        return error_response(exc.code or 500, description)

    @app.errorhandler(500)
    def _internal(exc):
        return error_response(500)
