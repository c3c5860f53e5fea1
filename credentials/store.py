"""The secrets table: sealing values into rows, finding what names resolve to
for an actor, and re-wrapping rows after a master-key rotation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Secret
from credentials.access import Actor, Choice, SecretUnavailable, choose
from credentials.crypto import Keyring, Sealed, rewrap, seal, unseal


def _aad(secret_id: str) -> str:
    return f"secret:{secret_id}"


def set_value(row: Secret, value: str, keyring: Keyring) -> None:
    """A fresh data key for every value; `row.id` must be set (it is bound in)."""
    sealed = seal(value, keyring, aad=_aad(row.id))
    row.ciphertext, row.nonce = sealed.ciphertext, sealed.nonce
    row.wrapped_key, row.wrap_nonce, row.kek_id = sealed.wrapped_key, sealed.wrap_nonce, sealed.kek_id
    row.value_updated_at = datetime.now(UTC)


def _sealed(row: Secret) -> Sealed:
    return Sealed(ciphertext=row.ciphertext, nonce=row.nonce, wrapped_key=row.wrapped_key,
                  wrap_nonce=row.wrap_nonce, kek_id=row.kek_id)


def reveal(row: Secret, keyring: Keyring) -> str:
    """The plaintext: for the worker only, right before a node uses it."""
    return unseal(_sealed(row), keyring, aad=_aad(row.id))


async def candidates(session: AsyncSession, actor: Actor, names: Iterable[str]) -> list[Secret]:
    """Rows named like `names` the actor owns or that are shared with the actor's roles."""
    names = sorted(set(names))
    if actor.id is None or not names:
        return []  # an operator run has no user secrets
    visible = Secret.owner_id == actor.id
    if actor.shares:
        visible = or_(visible, Secret.shared_with.overlap(actor.shares))
    return list((await session.scalars(select(Secret).where(Secret.name.in_(names), visible))).all())


async def resolve_names(session: AsyncSession, actor: Actor, names: Iterable[str],
                        grants: Mapping[str, Sequence[str]]
                        ) -> tuple[dict[str, Choice], dict[str, SecretUnavailable]]:
    """What each name means for the actor (credentials/access.py), and why the
    others mean nothing."""
    names = sorted(set(names))
    rows = await candidates(session, actor, names)
    chosen: dict[str, Choice] = {}
    refused: dict[str, SecretUnavailable] = {}
    for name in names:
        try:
            chosen[name] = choose(name, rows, actor, grants)
        except SecretUnavailable as err:
            refused[name] = err
    return chosen, refused


async def rewrap_all(session: AsyncSession, keyring: Keyring, batch: int = 500) -> int:
    """Moves every row still wrapped by a retired key to the current one;
    returns how many changed. Safe to run again (and while the platform runs)."""
    changed = 0
    while True:
        rows = (await session.scalars(select(Secret).where(Secret.kek_id != keyring.current.id)
                                      .order_by(Secret.id).limit(batch).with_for_update())).all()
        if not rows:
            return changed
        for row in rows:
            moved = rewrap(_sealed(row), keyring, aad=_aad(row.id))
            if moved is not None:
                row.wrapped_key, row.wrap_nonce, row.kek_id = moved.wrapped_key, moved.wrap_nonce, moved.kek_id
                changed += 1
        await session.commit()
