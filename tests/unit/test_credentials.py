"""credentials/: envelope encryption and rotation, the name resolution rules,
host bindings, and the keyring from settings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from core.keys import KeyProblem
from core.settings import Settings
from credentials.access import Actor, SecretUnavailable, choose
from credentials.crypto import CryptoError, Kek, Keyring, rewrap, seal, unseal
from credentials.keys import keyring
from credentials.names import host_allowed, is_secret_name

OLD = "old-master-key-" + "o" * 40
NEW = "new-master-key-" + "n" * 40


# -- crypto -------------------------------------------------------------------

def test_seal_and_unseal():
    ring = Keyring(Kek.derive(NEW))
    sealed = seal("supersecretvalue", ring, aad="secret:1")
    assert b"supersecretvalue" not in sealed.ciphertext + sealed.wrapped_key
    assert sealed.kek_id == ring.current.id
    assert unseal(sealed, ring, aad="secret:1") == "supersecretvalue"


def test_every_value_gets_its_own_data_key_and_nonce():
    ring = Keyring(Kek.derive(NEW))
    one, two = seal("same", ring, aad="a"), seal("same", ring, aad="a")
    assert one.ciphertext != two.ciphertext and one.wrapped_key != two.wrapped_key and one.nonce != two.nonce


def test_key_derivation_is_stable_and_the_id_is_not_the_key():
    kek = Kek.derive(NEW)
    assert kek == Kek.derive(NEW) and kek != Kek.derive(OLD)
    assert len(kek.key) == 32 and len(kek.id) == 16
    assert kek.id not in kek.key.hex()
    assert kek.key.hex() not in repr(kek)


def test_a_value_moved_to_another_row_does_not_decrypt():
    ring = Keyring(Kek.derive(NEW))
    sealed = seal("v", ring, aad="secret:1")
    with pytest.raises(CryptoError):
        unseal(sealed, ring, aad="secret:2")


def test_a_tampered_ciphertext_does_not_decrypt():
    ring = Keyring(Kek.derive(NEW))
    sealed = seal("v", ring, aad="a")
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    with pytest.raises(CryptoError):
        unseal(type(sealed)(**{**sealed.__dict__, "ciphertext": flipped}), ring, aad="a")


def test_the_wrong_master_key_does_not_decrypt():
    sealed = seal("v", Keyring(Kek.derive(OLD)), aad="a")
    with pytest.raises(CryptoError, match="no master key with id"):
        unseal(sealed, Keyring(Kek.derive(NEW)), aad="a")


def test_rotation_rewraps_the_data_key_only():
    old_ring = Keyring(Kek.derive(OLD))
    sealed = seal("v", old_ring, aad="a")
    rotated = Keyring(Kek.derive(NEW), retired=(Kek.derive(OLD),))
    assert unseal(sealed, rotated, aad="a") == "v"  # still readable during the rotation
    moved = rewrap(sealed, rotated, aad="a")
    assert moved.kek_id == rotated.current.id
    assert (moved.ciphertext, moved.nonce) == (sealed.ciphertext, sealed.nonce)
    assert unseal(moved, Keyring(Kek.derive(NEW)), aad="a") == "v"  # the old key can go
    assert rewrap(moved, rotated, aad="a") is None


# -- keys from settings -----------------------------------------------------------

def test_keyring_from_the_configured_key(tmp_path):
    ring = keyring(Settings(secrets_master_key=NEW, secrets_previous_master_keys=[OLD], data_dir=str(tmp_path)))
    assert ring.current == Kek.derive(NEW) and ring.retired == (Kek.derive(OLD),)
    assert not (tmp_path / "keys").exists()


def test_keyring_generated_per_installation_outside_production(tmp_path):
    first = keyring(Settings(data_dir=str(tmp_path)))
    assert (tmp_path / "keys" / "agentic_secrets_master_key").exists()
    assert keyring(Settings(data_dir=str(tmp_path))) == first
    assert keyring(Settings(data_dir=str(tmp_path / "other"))).current != first.current


def test_keyring_refuses_missing_or_weak_keys(tmp_path):
    with pytest.raises(KeyProblem, match="AGENTIC_SECRETS_MASTER_KEY must be set in production"):
        keyring(Settings(environment="production", data_dir=str(tmp_path)))
    with pytest.raises(KeyProblem):
        keyring(Settings(secrets_master_key="changeme", data_dir=str(tmp_path)))
    with pytest.raises(KeyProblem, match="PREVIOUS"):
        keyring(Settings(secrets_master_key=NEW, secrets_previous_master_keys=["short"], data_dir=str(tmp_path)))


def test_env_secret_grants_are_validated():
    assert Settings(env_secret_grants={"DEMO": ["role:ops"]}).env_secret_grants == {"DEMO": ["role:ops"]}
    for bad in ({"demo": ["role:ops"]}, {"DEMO": ["ops"]}, {"DEMO": ["user:alice"]}):
        with pytest.raises(ValueError):
            Settings(env_secret_grants=bad)


# -- name resolution ----------------------------------------------------------------

@dataclass
class Row:
    name: str
    owner_id: str
    shared_with: list[str] = field(default_factory=list)


ALICE = Actor(id="alice", roles=frozenset({"ops"}))


def test_own_secret_comes_first():
    own, shared = Row("T", "alice"), Row("T", "bob", ["role:ops"])
    choice = choose("T", [shared, own], ALICE, {})
    assert (choice.source, choice.secret) == ("own", own)


def test_a_secret_shared_with_my_role():
    shared = Row("T", "bob", ["role:ops"])
    assert choose("T", [shared], ALICE, {}).secret is shared


def test_two_shared_secrets_by_one_name_are_ambiguous():
    with pytest.raises(SecretUnavailable) as info:
        choose("T", [Row("T", "bob", ["role:ops"]), Row("T", "carol", ["role:ops"])], ALICE, {})
    assert info.value.code == "secret_ambiguous"


def test_someone_elses_secret_is_not_usable_and_not_revealed():
    with pytest.raises(SecretUnavailable) as info:
        choose("T", [Row("T", "bob"), Row("T", "carol", ["role:finance"])], ALICE, {})
    assert (info.value.code, info.value.message) == ("secret_not_accessible", "no secret 'T' that you may use")


def test_environment_secrets_need_admin_operator_or_a_grant():
    with pytest.raises(SecretUnavailable):
        choose("DEMO", [], ALICE, {})
    with pytest.raises(SecretUnavailable):
        choose("DEMO", [], ALICE, {"DEMO": ["role:finance"]})
    assert choose("DEMO", [], ALICE, {"DEMO": ["role:ops"]}).source == "environment"
    assert choose("DEMO", [], Actor(id="root", is_admin=True), {}).source == "environment"
    assert choose("DEMO", [], Actor.operator(), {}).source == "environment"


def test_a_user_secret_wins_over_the_environment():
    mine = Row("DEMO", "alice")
    assert choose("DEMO", [mine], Actor(id="alice", is_admin=True), {}).source == "own"


# -- names and hosts ----------------------------------------------------------------

@pytest.mark.parametrize("name, ok", [("TOKEN", True), ("A", True), ("API_KEY_2", True), ("A" * 64, True),
                                      ("A" * 65, False), ("token", False), ("_T", False), ("2T", False),
                                      ("T-1", False), (None, False)])
def test_secret_names(name, ok):
    assert is_secret_name(name) is ok


@pytest.mark.parametrize("host, allowed, ok", [
    ("api.example.com", [], True),
    ("api.example.com", ["api.example.com"], True),
    ("API.Example.com.", ["api.example.com"], True),
    ("evil.test", ["api.example.com"], False),
    ("api.example.com.evil.test", ["api.example.com"], False),
    ("a.example.com", ["*.example.com"], True),
    ("a.b.example.com", ["*.example.com"], True),
    ("example.com", ["*.example.com"], False),
    ("badexample.com", ["*.example.com"], False),
    (None, ["api.example.com"], False),
])
def test_host_bindings(host, allowed, ok):
    assert host_allowed(host, allowed) is ok
