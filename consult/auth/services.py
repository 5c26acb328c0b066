"""Account rules: registering, authenticating and organisations."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..errors import Invalid
from ..models import Category, NameShown, Organisation, Role, User
from ..people import visibility
from . import mails, tokens

_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash made like real ones, checked when the e-mail is unknown: both paths cost the same."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not a password", method=method)
    return _dummy_hashes[method]


class RegistrationError(Invalid):
    """Registration refused: ``field`` names the form field at fault, ``key`` the rule."""

    def __init__(self, field: str, key: str):
        super().__init__({field: key})
        self.field = field
        self.key = key


def organisation_key(name: str) -> str:
    """Return the key under which an organisation name is unique (case and spacing ignored)."""
    return " ".join(name.split()).casefold()


def hash_password(password: str) -> str:
    """Hash ``password`` with scrypt (parameters from config, cheaper in tests)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def organisations(session: Session) -> list[Organisation]:
    """Return the organisations people can join (not those merged away), ordered by name."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.merged_into_id.is_(None))
            .order_by(Organisation.name)
        )
    )


def _current(session: Session, organisation: Organisation | None) -> Organisation | None:
    """Follow merges to the organisation that now stands for ``organisation``."""
    seen = set()
    while organisation is not None and organisation.merged_into_id is not None:
        if organisation.id in seen:
            break
        seen.add(organisation.id)
        organisation = session.get(Organisation, organisation.merged_into_id)
    return organisation


def find_or_create_organisation(session: Session, name: str, category: Category) -> Organisation:
    """Return the organisation called ``name``, creating it in ``category`` if new."""
    clean = " ".join(name.split())
    found = session.scalar(
        select(Organisation).where(Organisation.name_key == organisation_key(clean))
    )
    if found is not None:
        return _current(session, found)
    organisation = Organisation(name=clean, name_key=organisation_key(clean), category=category)
    session.add(organisation)
    session.flush()
    return organisation


def register(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    category: Category,
    organisation_id: int | None = None,
    new_organisation: str = "",
    locale: str | None = None,
    role: Role = Role.PARTICIPANT,
    confirmed: bool = False,
    now: datetime | None = None,
    name_shown: str = NameShown.FULL.value,
    municipality: str | None = None,
) -> User:
    """Create a participant account; organisation required unless the category is privatperson.

    Unless ``confirmed`` (an account an operator creates), the address gets a confirmation
    link, queued in the same transaction; until it is opened the account's comments wait.
    ``name_shown`` and ``municipality`` say how the person appears publicly
    (people.visibility); the municipality is kept for private individuals only.
    """
    now = now or clock.now()
    try:
        shown = visibility.clean_name_shown(name_shown)
        place = visibility.clean_municipality(municipality)
    except Invalid as error:
        field = next(iter(error.errors))
        raise RegistrationError(field, error.errors[field]) from None
    email = email.strip().lower()
    organisation = None
    if category != Category.INDIVIDUAL:
        if new_organisation.strip():
            organisation = find_or_create_organisation(session, new_organisation, category)
        elif organisation_id is not None:
            organisation = _current(session, session.get(Organisation, organisation_id))
        if organisation is None:
            raise RegistrationError("organisation_id", "required")
    # Hashed before the address is looked up, so a taken address answers as slowly.
    password_hash = hash_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise RegistrationError("email", "taken")
    user = User(
        email=email,
        display_name=" ".join(display_name.split()),
        password_hash=password_hash,
        category=category,
        organisation=organisation,
        role=role,
        locale=locale,
        email_confirmed_at=now if confirmed else None,
        name_shown=shown,
        municipality=place if category == Category.INDIVIDUAL else None,
    )
    session.add(user)
    if not confirmed:
        session.flush()  # the link carries the account's id
        max_age = current_app.config[tokens.MAX_AGE_KEYS[tokens.CONFIRM]]
        mails.confirm(session, user, tokens.make(tokens.CONFIRM, user), max_age, now)
    session.commit()
    return user


def tell_owner(session: Session, email: str, *, now: datetime) -> None:
    """Mail the owner of ``email`` that someone tried to register with it.

    The visitor is answered as if the account had been created, so registering does not
    reveal who has an account; the owner hears of it, with the way to a new password.
    """
    owner = session.scalar(
        select(User).where(User.email == email.strip().lower(), User.erased_at.is_(None))
    )
    if owner is None:
        return
    mails.registration_attempt(session, owner, now)
    session.commit()


def set_locale(session: Session, user: User, locale: str) -> None:
    """Remember ``user``'s interface language on their account."""
    user.locale = locale
    session.commit()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user with this e-mail and password, or None."""
    # E-mail addresses are stored lower-cased, so the unique index serves this lookup.
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None
