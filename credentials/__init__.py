"""The credentials store: secrets owned by users, shared with roles, encrypted
at rest, resolved by name for the worker and checked by the API.

Modules: names (patterns, host bindings), crypto (envelope encryption), keys
(the key-encryption keys from settings), access (who may use what: the name
resolution rules), store (PostgreSQL), resolver (the worker's side).
This package imports no I/O at import time: workflows/ may use `names`.
"""
