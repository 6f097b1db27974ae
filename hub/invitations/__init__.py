"""Asking an account's owner before linking the account to something (a body's membership,
a workshop's facilitation…): one table, one email, one page (``/me/invitations``) for every
object type that declares :class:`hub.registry.InvitationRole`.

Whoever invites learns nothing about the address: an unknown one gets no invitation and the
same answer (no account enumeration, issue 11 item 11).
"""
