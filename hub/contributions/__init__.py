"""Contributions, a core service: what residents say about a registered object (a project
during its participation phase…), online or brought back by a relay, a workshop, a paper
form; each gets a status and, in the end, a reasoned answer its author can read."""
