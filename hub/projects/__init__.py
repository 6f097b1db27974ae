"""Projects (concertations) in the charter's four phases, contributions, answers and relays."""
