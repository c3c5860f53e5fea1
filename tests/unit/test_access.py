"""api/access.py, the one owner rule (issue 9.6): the owner and admins see a
resource; an admin account acts as admin only with a token that asked for it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from api.access import owner_or_admin, visible
from api.deps import Principal
from core.db.models import Schedule, User


def principal(user_id: str, *, admin: bool = False, scopes: tuple[str, ...] = ("read",)) -> Principal:
    return Principal(user=User(id=user_id, username=user_id, is_admin=admin), scopes=frozenset(scopes))


@pytest.mark.parametrize(("who", "owner_id", "allowed"), [
    (principal("ann"), "ann", True),
    (principal("ann"), "bob", False),
    (principal("ann"), None, False),  # e.g. an execution no user started
    (principal("root", admin=True, scopes=("read", "admin")), "bob", True),
    (principal("root", admin=True, scopes=("read", "admin")), None, True),
    (principal("root", admin=True), "bob", False),  # an admin's token without the admin scope
    (principal("root", admin=True), "root", True),
])
def test_owner_or_admin(who, owner_id, allowed):
    assert owner_or_admin(who, owner_id) is allowed


def test_visible_narrows_to_the_owner_unless_admin():
    def sql(p: Principal) -> str:
        return str(visible(select(Schedule), Schedule, p).compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))

    assert "owner_id = 'ann'" in sql(principal("ann"))
    assert "WHERE" not in sql(principal("root", admin=True, scopes=("admin",)))
    assert "owner_id = 'root'" in sql(principal("root", admin=True))
