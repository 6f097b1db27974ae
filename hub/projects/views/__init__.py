"""Project pages, one module per part of the charter: public pages, management, instruction
and answers, relays, exports. They share the blueprint and the loaders of ``common``."""

from . import exports, instruction, manage, pages, relays  # noqa: F401 - they add the routes
from .common import bp

__all__ = ["bp"]
