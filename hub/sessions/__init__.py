"""Sessions: a meeting at a date and place, or online (core service).

Relays, workshops and council sessions all use the same :class:`Meeting` row; the
``context_type``/``context_id`` pair says what a session belongs to.
"""
