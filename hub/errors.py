"""Error pages in the visitor's language; JSON errors under ``/api/``."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def error_response(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        response = render_template("error.html", status=status, message=message)
    return response, status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return error_response(400, _("The form expired or was sent from elsewhere. "
                                     "Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc):
        description = exc.description if getattr(exc, "hub_message", False) else None
        return error_response(exc.code or 500, description)

    @app.errorhandler(500)
    def _internal(exc):
        return error_response(500)
