"""A bare Flask app (one route, no database) served like Consult, for comparison in the
load script: ``gunicorn -c deploy/gunicorn.conf.py deploy.bare:app``."""

from flask import Flask

app = Flask(__name__)


@app.get("/__bare/")
def bare():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/healthz")
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
