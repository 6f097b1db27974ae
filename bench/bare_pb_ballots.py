"""The bare baseline of bench/pb_voting_day.py: Flask + sqlite3, one ballot row and its lines
per request, with a unique voter key, and nothing else: no codes, rules, validation or audit."""

import json
import os
import secrets
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

    @app.post("/ballots")
    def ballot():
        data = json.loads(request.get_data() or b"{}")
        db = connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO voter (key) VALUES (?)", (data["code"],))
            ballot_id = secrets.token_hex(16)
            db.execute("INSERT INTO ballot (id) VALUES (?)", (ballot_id,))
            db.executemany(
                "INSERT INTO line (ballot_id, project) VALUES (?, ?)",
                [(ballot_id, p) for p in data["projects"]],
            )
            db.execute("COMMIT")
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK")
            return jsonify(error="used"), 409
        return jsonify(receipt=ballot_id), 201

    return app
