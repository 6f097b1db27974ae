"""Draws by lot among the contributions of any registered object (e.g. ten contributions of
a project for a workshop's agenda): the register and the seed's source are announced before,
the seed drawn in public, and anyone recomputes the result from ``verify.json`` with the
same published algorithm as the bodies' draws (``hub.bodies.draw``)."""
