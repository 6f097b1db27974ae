"""Residence verification: by the commune's census list, or in person at a desk."""
