"""The one guarded way out: every HTTP request a node (or the platform on a
node's behalf) sends goes through a client built here, which refuses internal
destinations and connects only to the address it checked."""

from outbound.client import Outbound
from outbound.policy import DestinationNotAllowed

__all__ = ["DestinationNotAllowed", "Outbound"]
