"""Follows, a core service: a resident follows any registered object (a project, a body, a
neighbourhood, a petition…) and is notified of what happens to it."""
