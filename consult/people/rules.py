"""Who may write in a round: nobody who is blocked, and only verified (or confirmed) people
where the round requires it.

Kept free of the web layer and of the other services so that the commenting rules, the
comment actions and the templates can all ask the same question.
"""

from __future__ import annotations

from ..models import Commenters, Round, User
from ..permissions import signed_in

BLOCKED = "blocked"
UNVERIFIED = "unverified"
UNCONFIRMED = "unconfirmed"


def write_refusal(user: User | None, round_: Round, *, counts: bool = False) -> str | None:
    """Return why ``user`` may not comment, reply, edit, agree or report in ``round_``, or None.

    "blocked": staff blocked the account; "unconfirmed": the round accepts comments only from
    people who have confirmed their e-mail address, or the act ``counts`` at once (agreeing,
    reporting), which nobody may do before confirming, or throw-away accounts could hide a
    comment by reports; "unverified": only from people whose claim to speak for their
    organisation staff have verified.
    Whether the round is open is a separate question (``consultations.services.is_open``).
    """
    if not signed_in(user):
        return None
    if user.is_blocked:
        return BLOCKED
    if (counts or round_.confirmed_email_only) and not user.is_confirmed:
        return UNCONFIRMED
    if round_.commenters == Commenters.VERIFIED and not user.is_verified:
        return UNVERIFIED
    return None
