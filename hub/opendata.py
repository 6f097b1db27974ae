"""Open data: the datasets every feature publishes (``hub_open_data``), listed for people on
``/open-data`` with the API's documentation."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for


@dataclass(frozen=True)
class Dataset:
    """One published dataset: a title (translatable), the endpoint that serves it (with its
    URL values), its format (``CSV``, ``JSON``, ``iCal``, ``GeoJSON``…) and what it holds."""

    title: object
    endpoint: str
    format: str
    description: object = ""
    values: tuple = ()

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **dict(self.values))


def datasets() -> list[Dataset]:
    """Every enabled feature's datasets: the core's first, then the plugins'."""
    found = []
    # pluggy calls the last registered first; the core registers before any plugin.
    for result in reversed(current_app.extensions["hub"].plugins.hook("hub_open_data")()):
        for item in result or []:
            if not isinstance(item, Dataset):
                raise TypeError(f"hub_open_data must return Dataset objects, not {item!r}")
            found.append(item)
    return found
