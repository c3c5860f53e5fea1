"""Who may use which secret, and which secret a name means for them.

Name resolution for an actor and `{{ secrets.NAME }}`:
1. the actor's own secret NAME;
2. else the secret NAME shared with one of the actor's roles; two or more
   such secrets (from different owners) are ambiguous: an error, never a guess;
3. else the operator's environment secret AGENTIC_SECRET_NAME, when the actor
   is an admin, an operator run (no user: the CLI), or holds a role the
   operator granted it to (settings.env_secret_grants).
Anything else is "no secret NAME that you may use", whether or not somebody
else has one by that name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Source = Literal["own", "shared", "environment"]


class SecretUnavailable(Exception):
    """A name that does not resolve for this actor; `code` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class SecretLike(Protocol):
    name: str
    owner_id: str
    shared_with: list[str]


@dataclass(frozen=True)
class Actor:
    """Whose access a save, a start or a node call uses. `id` None is an
    operator run (started outside the API)."""

    id: str | None
    is_admin: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def operator(cls) -> Actor:
        return cls(id=None)

    @classmethod
    def of(cls, user: Any) -> Actor:
        """From a users row. The account's admin flag counts (not a token's
        scopes): the worker, which re-checks every run, knows only the account."""
        return cls(id=user.id, is_admin=bool(user.is_admin), roles=frozenset(user.roles or ()))

    @property
    def shares(self) -> list[str]:
        return sorted(f"role:{role}" for role in self.roles)


@dataclass(frozen=True)
class Choice:
    name: str
    source: Source
    secret: Any = None  # the Secret row for own/shared


def may_use(secret: SecretLike, actor: Actor) -> bool:
    return secret.owner_id == actor.id or bool(set(secret.shared_with) & set(actor.shares))


def env_granted(name: str, actor: Actor, grants: Mapping[str, Sequence[str]]) -> bool:
    return actor.id is None or actor.is_admin or bool(set(grants.get(name, ())) & set(actor.shares))


def choose(name: str, candidates: Iterable[SecretLike], actor: Actor,
           grants: Mapping[str, Sequence[str]]) -> Choice:
    usable = [s for s in candidates if s.name == name and may_use(s, actor)]
    own = [s for s in usable if s.owner_id == actor.id]
    if own:
        return Choice(name, "own", own[0])
    if len(usable) == 1:
        return Choice(name, "shared", usable[0])
    if usable:
        raise SecretUnavailable("secret_ambiguous",
                                f"{len(usable)} secrets named {name!r} are shared with you: ask their owners "
                                f"to rename them, or create your own {name}")
    if env_granted(name, actor, grants):
        return Choice(name, "environment")
    raise SecretUnavailable("secret_not_accessible", f"no secret {name!r} that you may use")
