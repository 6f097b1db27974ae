"""Local bodies (instances de participation): directory, members, draws by lot."""
