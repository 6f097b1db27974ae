"""Moderation, a core service: residents report what others wrote on any registered object
whose type opts in (``ObjectType(moderation=True)``); moderators see the reports grouped per
object, hide with a public reason or keep; the author is told and may appeal once, and a
second moderator decides the appeal. Every step is audited."""
