"""The hub's territory: its communes and their neighbourhoods (quartiers)."""
