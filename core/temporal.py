"""The one way every process connects to Temporal, and what it names things."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import quote

from temporalio.client import Client, TLSConfig
from temporalio.common import SearchAttributeKey
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadConverter
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from core.payload_codec import EncryptionCodec
from core.settings import Settings
from workflows.failures import RunFailed

# Custom search attributes: registered by the dev stack (`--search-attribute`)
# and, on a real cluster, by the operator (docs/operations.md lists the commands).
SA_WORKFLOW_ID = SearchAttributeKey.for_keyword("AgenticWorkflowId")
SA_VERSION = SearchAttributeKey.for_int("AgenticWorkflowVersion")
SA_OWNER = SearchAttributeKey.for_keyword("AgenticOwner")
SA_TEMPLATE = SearchAttributeKey.for_keyword("AgenticTemplate")
# The owner's user name: what an operator types in the Web UI's filter
# (AgenticOwner holds the user id, which nobody knows by heart).
SA_OWNER_NAME = SearchAttributeKey.for_keyword("AgenticOwnerName")
SEARCH_ATTRIBUTES = {
    SA_WORKFLOW_ID.name: "Keyword",
    SA_VERSION.name: "Int",
    SA_OWNER.name: "Keyword",
    SA_TEMPLATE.name: "Keyword",
    SA_OWNER_NAME.name: "Keyword",
}


class FailureConverter(DefaultFailureConverter):
    """A failed run's failure shows our code and message in the Web UI, not a
    stack trace of the interpreter's and the SDK's frames (workflows/failures.py)."""

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter,
                   failure: Failure) -> None:
        super().to_failure(exception, payload_converter, failure)
        if isinstance(exception, RunFailed):
            failure.stack_trace = ""


# The converter without the codec: how values become payloads. Every process
# uses it through `data_converter(settings)`, which adds the payload codec.
DATA_CONVERTER = dataclasses.replace(pydantic_data_converter, failure_converter_class=FailureConverter)


def data_converter(settings: Settings) -> DataConverter:
    """The one converter of every process (API, worker, CLI, debugger,
    replayers): DATA_CONVERTER plus the encryption codec when
    AGENTIC_PAYLOAD_ENCRYPTION is on (core/payload_codec.py), or a codec that
    only decrypts when it is off but keys are still configured. Raises
    core.keys.KeyProblem when encryption is on and no usable key is configured."""
    keys = settings.payload_keyring()
    if keys is None:
        return DATA_CONVERTER
    return dataclasses.replace(DATA_CONVERTER, payload_codec=EncryptionCodec(keys, encrypt=settings.payload_encryption))


EXECUTION_PREFIX = "exec-"  # Temporal workflow id = this + the platform's execution id


def temporal_workflow_id(execution_id: str) -> str:
    return EXECUTION_PREFIX + execution_id


def execution_id_of(workflow_id: str) -> str:
    return workflow_id.removeprefix(EXECUTION_PREFIX)


def ui_link(settings: Settings, workflow_id: str, run_id: str | None = None) -> str:
    """The Temporal Web UI page of one execution."""
    link = f"{_ui_namespace(settings)}/workflows/{quote(workflow_id, safe='')}"
    return f"{link}/{quote(run_id, safe='')}/history" if run_id else link


def schedule_ui_link(settings: Settings, schedule_id: str) -> str:
    """The Temporal Web UI page of one Temporal Schedule (its Temporal id)."""
    return f"{_ui_namespace(settings)}/schedules/{quote(schedule_id, safe='')}"


def _ui_namespace(settings: Settings) -> str:
    return f"{settings.temporal_ui_url.rstrip('/')}/namespaces/{quote(settings.temporal_namespace, safe='')}"


def unreachable(err: BaseException) -> bool:
    """Temporal could not be reached: an RPC that found no server, or (a lazy
    client that never connected) the SDK's connect failure, which it raises as
    a plain RuntimeError "Failed client connect: ..." (tests/unit/test_temporal_unreachable.py
    fails if an SDK upgrade changes that)."""
    if isinstance(err, RPCError):
        return err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)
    return type(err) is RuntimeError and str(err).startswith("Failed client connect")


async def connect(settings: Settings, *, lazy: bool = False, runtime: Runtime | None = None) -> Client:
    """Local dev server, mTLS or API key, chosen by which settings are present.
    `lazy`: connect on the first call instead of now (the API starts, and
    reports not-ready, while Temporal is down)."""
    tls: TLSConfig | bool = False
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        tls = TLSConfig(
            client_cert=Path(settings.temporal_tls_cert).read_bytes(),
            client_private_key=Path(settings.temporal_tls_key).read_bytes(),
        )
    elif settings.temporal_api_key:
        tls = True
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=tls,
        data_converter=data_converter(settings),
        lazy=lazy,
        runtime=runtime,  # the worker's carries its metrics exporter (worker/metrics.py)
    )
