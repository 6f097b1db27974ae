"""The baseline of bench/pages.py: a bare Flask app reading SQLite and returning a page of a
given size (``?size=N``, else ``BARE_PAGE_SIZE``), with nothing else (no templates of the hub, no plugins, no sessions)."""

import os
import sqlite3

from flask import Flask, g, request

DB = os.environ["BARE_DB"]
SIZE = int(os.environ.get("BARE_PAGE_SIZE", "5000"))


def create_app():
    app = Flask(__name__)

    def conn():
        if "db" not in g:
            g.db = sqlite3.connect(DB)
        return g.db

    @app.teardown_appcontext
    def close(exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.route("/")
    def page():
        rows = conn().execute("SELECT id, name FROM item ORDER BY id LIMIT 20").fetchall()
        body = "".join(f"<li>{name}</li>" for _id, name in rows)
        html = f"<!doctype html><html lang=fr><title>Bare</title><ul>{body}</ul>"
        size = request.args.get("size", SIZE, type=int)
        return html + " " * max(0, size - len(html))

    return app
