"""A tiny plugin that uses every hook, for the hook tests and as an example for authors."""
