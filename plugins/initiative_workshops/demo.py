"""Demo citizen initiatives for Ormeval (filled in below)."""


def load(app) -> None:
    return None
