"""Unknown query parameters are a 422, on every route: a misspelt or
unsupported filter (`?schedul_id=...`) must not silently answer everything.

One app-wide dependency compares the request's query parameters with those
the matched route declares (its own and its dependencies', by alias), so a
new route or filter needs nothing more than declaring its parameters.
"""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from api.errors import ApiError

_DECLARED: dict[int, frozenset[str]] = {}  # id(route) -> its query parameter names


def declared(route: APIRoute) -> frozenset[str]:
    names = _DECLARED.get(id(route))
    if names is None:
        names = _DECLARED[id(route)] = frozenset(_names(route.dependant))
    return names


def _names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        model = getattr(param.field_info, "annotation", None)
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query parameter model
            names |= {field.alias or name for name, field in model.model_fields.items()}
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _names(sub)
    return names


async def known_query_parameters(connection: HTTPConnection) -> None:
    route = connection.scope.get("route")
    if connection.scope["type"] != "http" or not isinstance(route, APIRoute):
        return  # websockets declare theirs (e.g. ?token=) and close on anything wrong
    unknown = sorted({key[:64] for key in connection.query_params if key not in declared(route)})
    if unknown:
        allowed = sorted(declared(route))
        raise ApiError(422, "unknown_query_parameter",
                       f"unknown query parameter(s): {', '.join(unknown)}",
                       [{"code": "unknown_query_parameter", "path": f"$.query.{key}",
                         "message": f"{key!r} is not a parameter of this endpoint; it takes "
                                    + (", ".join(allowed) if allowed else "none")}
                        for key in unknown])
