"""Comments, a core service: residents discuss any registered object whose type opts in
(``ObjectType(comments=True)``), with one level of replies, a short edit window, official
replies by staff marked as such, and discussions closed per object or per phase."""
