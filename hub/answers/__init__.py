"""Reasoned answers (avis argumentés), a core service: the commune's written response to any
registered object (a project's contributions, a petition, an interpellation, an initiative…),
dated, signed by its author, and kept."""
