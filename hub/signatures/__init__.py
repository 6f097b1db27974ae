"""Signature collection, a core service shared by petitions, interpellations and initiatives.

Any object collects signatures through a :class:`~hub.signatures.models.SignatureCollection`
identified by ``(object_type, object_id)``. The collection holds the rules (who may sign,
when), the thresholds and the stored counters; :mod:`hub.signatures.services` is the only
code that writes signatures, so the counters stay exact and thresholds fire exactly once.
"""
