"""The payload codec (core/payload_codec.py) and its keys (core/payload_keys.py):
what leaves for Temporal is ciphertext naming its key, rotation keeps old
payloads readable, and bad or missing keys stop a process from starting."""

from __future__ import annotations

import base64
import json
import os

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent

from core.keys import KeyProblem
from core.payload_codec import ENCODING, KEY_ID, EncryptionCodec, PayloadUndecryptable, decode_message
from core.payload_keys import FILE_NAME, new_key_entry, parse_keys, payload_keys
from core.settings import Settings
from core.temporal import DATA_CONVERTER, data_converter

PLANTED = "123-45-6789 alice@example.com"


def key(key_id: str, fill: int) -> str:
    return f"{key_id}:{base64.b64encode(bytes([fill]) * 32).decode()}"


def codec(*entries: str) -> EncryptionCodec:
    return EncryptionCodec(parse_keys(list(entries)))


def plain(value) -> Payload:
    return DATA_CONVERTER.payload_converter.to_payloads([value])[0]


async def test_encoded_payloads_hold_no_plaintext_and_name_their_key():
    [sealed] = await codec(key("k1", 1)).encode([plain({"ssn": PLANTED})])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert set(sealed.metadata) == {"encoding", KEY_ID}  # the original encoding is sealed too
    assert PLANTED.encode() not in sealed.SerializeToString()
    [back] = await codec(key("k1", 1)).decode([sealed])
    assert DATA_CONVERTER.payload_converter.from_payloads([back])[0] == {"ssn": PLANTED}


async def test_two_encodings_of_one_value_differ():
    one = codec(key("k1", 1))
    first, second = await one.encode([plain("x"), plain("x")])
    assert first.data != second.data  # a fresh nonce each time


async def test_after_rotation_old_payloads_decode_and_new_ones_use_the_new_key():
    [old] = await codec(key("old", 1)).encode([plain("before")])
    rotated = codec(key("new", 2), key("old", 1))
    assert rotated.current_key_id == "new"
    [back] = await rotated.decode([old])
    assert DATA_CONVERTER.payload_converter.from_payloads([back]) == ["before"]
    [fresh] = await rotated.encode([plain("after")])
    assert fresh.metadata[KEY_ID] == b"new"


async def test_a_payload_of_a_dropped_key_is_refused_by_name():
    [old] = await codec(key("old", 1)).encode([plain("x")])
    with pytest.raises(PayloadUndecryptable, match="'old'"):
        await codec(key("new", 2)).decode([old])


async def test_altered_or_relabelled_payloads_do_not_decrypt():
    both = codec(key("a", 1), key("b", 2))
    [sealed] = await both.encode([plain("x")])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"b"}, data=sealed.data)
    for bad in (tampered, relabelled):
        with pytest.raises(PayloadUndecryptable):
            await both.decode([bad])


async def test_plaintext_payloads_pass_through_decoding():
    payload = plain({"recorded": "before encryption"})
    assert await codec(key("k1", 1)).decode([payload]) == [payload]


@pytest.mark.parametrize(("entries", "message"), [
    ([], "no key"),
    (["no-colon"], "entry 0"),
    (["bad id!:" + base64.b64encode(b"x" * 32).decode()], "entry 0"),
    (["k1:not base64!"], "not base64"),
    (["k1:" + base64.b64encode(b"short").decode()], "32 random bytes"),
    ([key("k1", 1), key("k1", 2)], "twice"),
])
def test_malformed_keys_are_refused_without_showing_them(entries, message):
    with pytest.raises(KeyProblem, match=message) as caught:
        parse_keys(entries)
    for entry in entries:
        secret = entry.partition(":")[2]
        assert not secret or secret not in str(caught.value)


def test_production_refuses_to_start_without_keys(tmp_path):
    settings = Settings(environment="production", data_dir=str(tmp_path))
    with pytest.raises(KeyProblem, match="AGENTIC_PAYLOAD_KEYS must be set in production"):
        data_converter(settings)
    assert not (tmp_path / "keys").exists()  # nothing generated in production


def test_production_takes_configured_keys_and_encryption_can_be_off(tmp_path):
    on = Settings(environment="production", data_dir=str(tmp_path), payload_keys=[key("prod", 3)])
    assert data_converter(on).payload_codec.current_key_id == "prod"
    off = Settings(environment="production", data_dir=str(tmp_path), payload_encryption=False)
    assert data_converter(off) is DATA_CONVERTER and off.payload_keyring() is None


async def test_turned_off_with_keys_kept_old_payloads_still_decode_and_new_ones_are_plain(tmp_path):
    [old] = await data_converter(Settings(data_dir=str(tmp_path), payload_keys=[key("k1", 1)])).encode(["x"])
    off = data_converter(Settings(data_dir=str(tmp_path), payload_encryption=False, payload_keys=[key("k1", 1)]))
    assert await off.decode([old]) == ["x"]
    [new] = await off.encode(["y"])
    assert new.metadata["encoding"] == b"json/plain"


def test_development_generates_one_key_per_installation(tmp_path):
    first = payload_keys([], data_dir=tmp_path, production=False)
    again = payload_keys([], data_dir=tmp_path, production=False)
    assert first == again and len(first.by_id[first.current]) == 32
    path = tmp_path / "keys" / FILE_NAME
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_dev_key_file_rotates_by_putting_a_new_line_first(tmp_path):
    old = payload_keys([], data_dir=tmp_path, production=False)
    path = tmp_path / "keys" / FILE_NAME
    path.write_text(new_key_entry() + "\n" + path.read_text())
    rotated = payload_keys([], data_dir=tmp_path, production=False)
    assert rotated.current != old.current and rotated.by_id[old.current] == old.by_id[old.current]


def test_settings_read_the_key_list_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENTIC_PAYLOAD_KEYS", json.dumps([key("env", 4), key("older", 5)]))
    keys = Settings(data_dir=str(tmp_path)).payload_keyring()
    assert keys.current == "env" and set(keys.by_id) == {"env", "older"}


async def test_decode_message_decodes_every_payload_of_a_history_event():
    one = codec(key("k1", 1))
    started = HistoryEvent()
    attrs = started.workflow_execution_started_event_attributes
    attrs.input.payloads.extend(await one.encode([plain({"in": PLANTED})]))
    attrs.memo.fields["who"].CopyFrom((await one.encode([plain("memo")]))[0])
    await decode_message(started, one)
    assert DATA_CONVERTER.payload_converter.from_payloads(list(attrs.input.payloads)) == [{"in": PLANTED}]
    assert DATA_CONVERTER.payload_converter.from_payloads([attrs.memo.fields["who"]]) == ["memo"]

    failed = HistoryEvent()
    failure = failed.workflow_execution_failed_event_attributes.failure
    failure.application_failure_info.details.payloads.extend(await one.encode([plain({"err": PLANTED})]))
    failure.cause.application_failure_info.details.payloads.extend(await one.encode([plain("cause")]))
    await decode_message(failed, one)
    details = failure.application_failure_info.details.payloads
    assert DATA_CONVERTER.payload_converter.from_payloads(list(details)) == [{"err": PLANTED}]
    nested = failure.cause.application_failure_info.details.payloads
    assert DATA_CONVERTER.payload_converter.from_payloads(list(nested)) == ["cause"]


def test_make_run_points_the_web_ui_at_the_gate_or_the_api():
    from cli.devstack import ui_codec_endpoint

    assert ui_codec_endpoint({}, 8000, ui_writable=False) == "http://127.0.0.1:8233/codec"
    assert ui_codec_endpoint({}, 8001, ui_writable=True) == "http://127.0.0.1:8001/api/v1/codec"
    assert ui_codec_endpoint({"AGENTIC_PAYLOAD_ENCRYPTION": "false"}, 8000, ui_writable=False) is None


def test_the_cli_refuses_a_production_run_without_payload_keys(monkeypatch, tmp_path, capsys):
    from cli.main import run
    from core.settings import get_settings

    monkeypatch.setenv("AGENTIC_ENVIRONMENT", "production")
    monkeypatch.setenv("AGENTIC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AGENTIC_SIGNING_KEY", "s" * 8 + base64.b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("AGENTIC_PAYLOAD_KEYS", raising=False)
    get_settings.cache_clear()
    try:
        code = run(["run", "examples/parallel.json", "--input", '{"name": "x"}'])
    finally:
        get_settings.cache_clear()
    assert code == 2
    err = capsys.readouterr().err
    assert "AGENTIC_PAYLOAD_KEYS must be set in production" in err and "cannot reach Temporal" not in err


def test_the_api_refuses_to_start_in_production_without_payload_keys(tmp_path):
    from api.app import create_app
    from api.settings import ApiSettings

    def strong() -> str:
        return base64.b64encode(os.urandom(36)).decode()

    settings = ApiSettings(environment="production", data_dir=str(tmp_path), database_url="postgresql+asyncpg://x/y",
                           jwt_secret=strong(), secrets_master_key=strong(), signing_key=strong(), compliance_salt=strong())
    with pytest.raises(KeyProblem, match="AGENTIC_PAYLOAD_KEYS"):
        create_app(settings)
    create_app(settings.model_copy(update={"payload_keys": [key("prod", 6)]}))  # with a key it starts
