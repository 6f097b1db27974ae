"""The bare baseline of bench/signatures.py: Flask + sqlite3, one INSERT per signature.

Same storage settings as the hub (WAL, synchronous=NORMAL, busy timeout, BEGIN IMMEDIATE),
a unique (collection, user) constraint, and nothing else: no accounts, tokens, rules,
counters, thresholds or audit.
"""

import os
import sqlite3

from flask import Flask, g, jsonify, request


def create_app():
    app = Flask(__name__)
    path = os.environ["BARE_DB"]

    def connection():
        if "db" not in g:
            g.db = sqlite3.connect(path, timeout=15, isolation_level=None)
            g.db.execute("PRAGMA journal_mode=WAL")
            g.db.execute("PRAGMA synchronous=NORMAL")
        return g.db

    @app.teardown_appcontext
    def close(_exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.get("/")
    def index():
        return "ok"

    @app.post("/sign")
    def sign():
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO signature (collection_id, user_id) VALUES (1, ?)",
                (int(request.headers["X-User"]),),
            )
            db.execute("COMMIT")
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK")
            return jsonify(error="already signed"), 409
        return jsonify(ok=True), 201

    return app
