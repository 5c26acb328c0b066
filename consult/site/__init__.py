"""What the site publishes about itself (the privacy notice, the accessibility statement, the
cookies it sets) and how long it keeps personal data that is no longer needed.

Everyone reads the two pages; administrators edit them and the retention periods.
"""

from flask import Blueprint

bp = Blueprint("site", __name__)

from . import routes  # noqa: E402,F401
