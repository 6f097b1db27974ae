def load(app):
    pass
