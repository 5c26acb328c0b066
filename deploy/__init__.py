"""Production topology as files (nginx site, gunicorn config) and a launcher that starts it
on one machine (``python -m deploy.cluster``)."""
