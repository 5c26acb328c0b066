"""Who may read the open-data routes: every file of a published strategy is public; an
unpublished strategy's files only for staff, admins and members of a group responsible for
one of its actions (404 for everyone else, so its existence is not told)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from consult.models import GroupMembership, GroupRole, Role
from tests import factories
from tests.routes import endpoint_ids
from tests.test_followup_opendata import build_world

NAMES = ("goals", "actions", "indicators")
ROUTES = [("get", f"/uppfoljning/{{slug}}/data/{n}.{f}") for n in NAMES for f in ("json", "csv")]
ROUTES.append(("get", "/uppfoljning/oppna-data"))
ROLES = ["anonymous", "participant", "member", "staff", "admin"]


@pytest.fixture
def people(session, now):
    world = build_world(session, now, published=False)
    member = factories.make_user(session, name="Maja Medlem")
    session.add(
        GroupMembership(
            group_id=world.a1.group_id,
            user_id=member.id,
            role=GroupRole.MEMBER,
            category=member.category,
        )
    )
    session.commit()
    return SimpleNamespace(
        world=world,
        participant=factories.make_user(session),
        member=member,
        staff=factories.make_user(session, role=Role.STAFF),
        admin=factories.make_user(session, role=Role.ADMIN),
    )


def expected(role: str, url: str, published: bool) -> int:
    if "oppna-data" in url or published or role in ("member", "staff", "admin"):
        return 200
    return 404


@pytest.mark.parametrize("published", [True, False], ids=["published", "unpublished"])
@pytest.mark.parametrize("index", range(len(ROUTES)), ids=endpoint_ids(ROUTES))
@pytest.mark.parametrize("role", ROLES)
def test_open_data_routes_by_role(client, auth, session, now, people, role, index, published):
    if published:
        people.world.strategy.published_at = now.get()
        session.commit()
    if role != "anonymous":
        auth.login(getattr(people, role))
    method, url = ROUTES[index]
    url = url.format(slug=people.world.strategy.slug)
    response = getattr(client, method)(url)
    assert response.status_code == expected(role, url, published), response.get_data(True)[:300]
    body = response.get_data(as_text=True)
    if response.status_code == 200 and url.endswith(".json"):
        assert "Regional utvecklingsstrategi" in body
    elif response.status_code == 200 and url.endswith(".csv"):
        assert "code" in body.splitlines()[0]
    elif response.status_code == 200:
        assert "Öppna data" in body
