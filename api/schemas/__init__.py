"""Every request and response body of the API, one module per resource.

Names: `XCreate` / `XUpdate` (request bodies of a resource), `XPublic` (what
a read answers), `XDetail` (a read of one, with more), `XAccepted` (a 202).
A body that asks for an action is `XRequest`. Public models that mirror a row
are built by `from_row` (common.FromRow), never field by field in a handler.
"""
