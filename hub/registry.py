"""Participable objects: the registry of the object types that shared services attach to.

The core registers its own types (projects, relays, bodies, neighbourhoods, sessions) and
plugins register theirs (a workshop, an initiative, a budget proposal…) through the
``hub_register_object_types`` hook. A shared service (sessions, contributions, answers,
follows, notifications, agenda, comments) stores its target as ``(target_type, target_id)``
and asks the registry for the object's page, title, neighbourhoods and who may act on it,
so it never imports the features that use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from flask import current_app, url_for
from flask.globals import _cv_app
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, defaultload, lazyload

from .extensions import db


def _no_neighbourhoods(obj) -> list[int]:
    return []


def _nobody(user, obj) -> bool:
    return False


def _everyone(user, obj) -> bool:
    return True


def _author_id(obj) -> int | None:
    return getattr(obj, "author_id", None)


@dataclass(frozen=True)
class InvitationRole:
    """A place on an object that an account may be asked to take (a body's membership, a
    workshop's facilitation), through the invitations service: nothing is linked until the
    account's owner accepts.

    - ``describe(obj, ref_id)``: what the owner is asked, shown on their page and in the
      email ("Member of the council, shown as Paul D."); None when the place is gone;
    - ``accept(obj, user, ref_id)``: link the account (inside the write transaction).
    """

    describe: Callable[[object, int], object]
    accept: Callable[[object, object, int], None]


@dataclass(frozen=True)
class ObjectType:
    """What the hub knows of one kind of participable object.

    - ``name``: stable identifier stored in ``target_type`` columns (``project``…);
    - ``model``: the SQLAlchemy model (its primary key is ``id``);
    - ``label`` and ``plural``: translatable labels shown to people ("Project", "projects");
    - ``endpoint`` and ``url_values``: the object's public page, ``url_for(endpoint,
      **url_values(obj))`` (or ``url_of(obj)`` for objects shown inside another's page);
    - ``title``: the object's name on screen;
    - ``neighbourhood_ids``: the neighbourhoods the object concerns (empty: the whole commune);
    - ``can_manage``: the owner's check, asked by shared services for any action the
      type does not list in ``actions``;
    - ``actions``: finer checks by action name (``organise_sessions``, ``answer``,
      ``contribute``…), each ``(user, obj) -> bool``;
    - ``can_view``: whether a visitor may see the object at all (drafts are private);
    - ``contribution_rule``: ``(obj, channel, author, entered_by) -> None``, raising a
      :class:`hub.errors.RuleError` when the object does not accept that contribution now
      (None: the type takes no contributions);
    - ``comments``: whether residents may discuss the object (the comments service; off
      unless the type opts in); ``comments_closed(obj)`` returns why they are closed now
      (a phase after the reasoned answer…) or None. Official replies are the
      ``comment_officially`` action, closing a discussion ``close_comments`` (both default
      to ``can_manage``);
    - ``moderation``: whether residents may report the object and moderators hide it (the
      moderation service; for what residents write: contributions, comments, petitions…);
    - ``author_id``: the account that wrote the object (told of moderation decisions), by
      default its ``author_id`` attribute;
    - ``comment_recipients``: ``(obj) -> [user ids]``, the accounts that answer for the
      object and are told of each new comment on it (besides the followers, told in the
      hub only): by default its author; a project names its owner, a workshop its
      facilitators;
    - ``on_published``: ``(obj) -> None``, called when a moderator approves a text held for
      pre-moderation, so the feature tells then who it tells at once otherwise (followers…);
    - ``on_refused``: ``(obj, moderator, reason) -> None``, called when a moderator refuses
      a text held for pre-moderation, so the feature ends its own review of it too (a
      petition leaves the admissibility queue as rejected) without telling the author again:
      one refusal, one message (the moderation service's);
    - ``on_restored``: ``(obj, decision) -> None``, called when a second moderator restores
      a hidden text on appeal, so the feature undoes what it did on ``on_refused`` (a
      petition goes back to its admissibility review);
    - ``invitations``: the places on the object an account can be invited to take, by role
      name (:class:`InvitationRole`; the invitations service asks the owner's consent).
    """

    name: str
    model: type
    label: object
    endpoint: str
    url_values: Callable[[object], dict]
    plural: object = None
    title: Callable[[object], str] = lambda obj: getattr(obj, "title", "") or ""
    neighbourhood_ids: Callable[[object], list[int]] = _no_neighbourhoods
    can_manage: Callable[[object, object], bool] = _nobody
    actions: dict[str, Callable[[object, object], bool]] = field(default_factory=dict)
    can_view: Callable[[object, object], bool] = _everyone
    contribution_rule: Callable | None = None
    url_of: Callable[[object], str] | None = None
    comments: bool = False
    comments_closed: Callable[[object], object] | None = None
    moderation: bool = False
    author_id: Callable[[object], int | None] = _author_id
    comment_recipients: Callable[[object], list[int]] | None = None
    on_published: Callable[[object], None] | None = None
    on_refused: Callable[[object, object, str], None] | None = None
    on_restored: Callable[[object, object], None] | None = None
    invitations: dict[str, InvitationRole] = field(default_factory=dict)
    owner: str = "core"

    def switched_off(self) -> bool:
        """Whether the plugin that declares this type is switched off: its objects' data
        stays, but its pages are gone, so nothing links to them."""
        if self.owner == "core":
            return False
        runtime = current_app.extensions.get("hub")
        return runtime is not None and not runtime.plugins.is_enabled(self.owner)

    def url(self, obj, **extra) -> str:
        if self.url_of is not None:
            return self.url_of(obj)
        return url_for(self.endpoint, **self.url_values(obj), **extra)

    def answerers(self, obj) -> list[int]:
        """Who is told of a new comment on ``obj`` (``comment_recipients``, or its author)."""
        if self.comment_recipients is not None:
            return [i for i in self.comment_recipients(obj) if i]
        author = self.author_id(obj)
        return [author] if author else []

    def allows(self, user, obj, action: str = "manage") -> bool:
        """Whether ``user`` may do ``action`` on ``obj`` (``manage`` when not listed)."""
        if not getattr(user, "is_authenticated", False):
            return False
        check = self.actions.get(action, self.can_manage)
        return bool(check(user, obj)) or _granted(user, obj, action)


def _granted(user, obj, action: str) -> bool:
    """Whether a feature grants ``action`` on ``obj`` through ``hub_grants`` (enabled plugins
    and the core's own implementations)."""
    runtime = current_app.extensions.get("hub")
    if runtime is None:
        return False
    results = runtime.plugins.hook("hub_grants")(user=user, obj=obj, action=action)
    return any(result is True for result in results)


class UnknownObjectType(LookupError):
    pass


class Registry:
    """The object types of one app (``app.extensions["hub"].registry``)."""

    def __init__(self):
        self.types: dict[str, ObjectType] = {}
        self._by_model: dict[type, ObjectType] = {}

    def add(self, object_type: ObjectType) -> None:
        if object_type.name in self.types:
            other = self.types[object_type.name]
            raise RuntimeError(
                f"object type {object_type.name!r} of {object_type.owner!r} is "
                f"already registered by {other.owner!r}"
            )
        self.types[object_type.name] = object_type
        self._by_model[object_type.model] = object_type

    def get(self, name: str) -> ObjectType:
        try:
            return self.types[name]
        except KeyError:
            raise UnknownObjectType(name) from None

    def find(self, name: str) -> ObjectType | None:
        return self.types.get(name)

    def find_model(self, model: type) -> ObjectType | None:
        for cls in model.__mro__:
            if cls in self._by_model:
                return self._by_model[cls]
        return None

    def type_of(self, obj) -> ObjectType:
        found = self.find_model(type(obj))
        if found is None:
            raise UnknownObjectType(type(obj).__name__)
        return found

    def ref(self, obj) -> tuple[str, int]:
        """``(type name, id)`` of a registered object."""
        return self.type_of(obj).name, obj.id

    def load(self, name: str, ident, *, lean: bool = False) -> object | None:
        """The object ``(name, ident)``, or None. ``lean``: read its row alone, its
        relations only when something touches them (for a page that shows another object's
        title and link, or asks one permission of it: the neighbourhoods, members or
        project a type loads eagerly for its own page would cost a query each). An object
        already in the session is returned as it is."""
        object_type = self.find(name)
        if object_type is None or ident is None:
            return None
        if lean:
            model = object_type.model
            return _kept(db.session.get(model, ident, options=_lean_options(model)))
        return _kept(db.session.get(object_type.model, ident))

    def load_many(
        self, refs: Iterable[tuple[str, int]], depth: int = 3
    ) -> dict[tuple[str, int], object]:
        """Objects for many ``(type, id)`` pairs: one query per type, never one per object.

        Objects shown inside their target's page (a comment, a contribution: they carry
        ``target_type`` and ``target_id``) need that target for their URL and visibility, so
        the targets are loaded too, again one query per type, up to ``depth`` levels (a
        comment on a contribution on a project): later ``load`` calls find them in the
        session instead of querying once per object."""
        wanted: dict[str, set[int]] = {}
        for name, ident in refs:
            if ident is not None and name in self.types:
                wanted.setdefault(name, set()).add(ident)
        found = {}
        for name, ids in wanted.items():
            model = self.types[name].model
            for obj in db.session.scalars(select(model).where(model.id.in_(sorted(ids)))):
                found[(name, obj.id)] = _kept(obj)
        if depth > 1:
            parents = {
                (obj.target_type, obj.target_id)
                for obj in found.values()
                if isinstance(getattr(obj, "target_type", None), str)
                and isinstance(getattr(obj, "target_id", None), int)
            }
            missing = [ref for ref in parents if ref not in found and not self._in_session(ref)]
            if missing:
                self.load_many(missing, depth - 1)
        return found

    def _in_session(self, ref: tuple[str, int]) -> bool:
        object_type = self.types.get(ref[0])
        if object_type is None:
            return True  # nothing to load
        key = db.session.identity_key(object_type.model, ref[1])
        return key in db.session.identity_map

    def find_by_uuid(self, uuid: str):
        """The object whose stable UUID is ``uuid``, among the types that carry one."""
        for object_type in self.types.values():
            column = getattr(object_type.model, "uuid", None)
            if column is None:
                continue
            obj = db.session.scalar(select(object_type.model).where(column == uuid))
            if obj is not None:
                return obj
        return None


@cache
def _lean_options(model: type, depth: int = 2) -> tuple:
    """Loader options that keep a model's joined relations (read in the same statement)
    and load its collections read by ``selectin`` (a statement each) only when touched,
    down through the joined ones (a relay's project and body)."""
    options = []
    for rel in inspect(model).relationships:
        if rel.lazy == "selectin":
            options.append(lazyload(rel.class_attribute))
        elif rel.lazy == "joined" and depth > 1:
            inner = _lean_options(rel.mapper.class_, depth - 1)
            if inner:
                options.append(defaultload(rel.class_attribute).options(*inner))
    return tuple(options)


def _kept(obj):
    """Hold ``obj`` until the transaction ends. The session's identity map only holds weak
    references: an object looked up to build a title or a URL, then dropped, would be read
    again by the next lookup of the same page (each comment of a list loading its project
    anew). Bounded by the transaction, so a long command that commits does not pile up."""
    if obj is not None:
        db.session.info.setdefault("hub_registry_kept", {})[id(obj)] = obj
    return obj


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _release_kept(session, *_args):
    session.info.pop("hub_registry_kept", None)


def registry() -> Registry:
    """The registry of the current app (read without the ``current_app`` proxy: pages ask
    for it dozens of times)."""
    try:
        app = _cv_app.get().app
    except LookupError:
        app = current_app  # outside an application context: Flask's own error
    return app.extensions["hub"].registry


def build_registry(plugin_manager, core_types: Iterable[ObjectType] = ()) -> Registry:
    result = Registry()
    for object_type in core_types:
        result.add(object_type)
    for name, types in plugin_manager.call_each("hub_register_object_types", include_disabled=True):
        for object_type in types or []:
            owner = "core" if name.startswith("core:") else name
            if object_type.owner != owner:
                object_type = _with_owner(object_type, owner)
            result.add(object_type)
    return result


def _with_owner(object_type: ObjectType, owner: str) -> ObjectType:
    from dataclasses import replace

    return replace(object_type, owner=owner)


# --- Shortcuts for services and templates ----------------------------------------------------


def object_url(obj, **extra) -> str:
    return registry().type_of(obj).url(obj, **extra)


def object_title(obj) -> str:
    return registry().type_of(obj).title(obj)


def allows(user, obj, action: str = "manage") -> bool:
    """Whether ``user`` may do ``action`` on the registered object ``obj``."""
    return registry().type_of(obj).allows(user, obj, action)


def inside_target(anchor: str):
    """``url_of`` and ``can_view`` for objects shown inside the page of their target (a
    contribution, an answer): the target's URL with ``#<anchor>-<id>``, visible to whoever
    may see the target."""

    def url_of(obj) -> str:
        reg = registry()
        target = reg.load(obj.target_type, obj.target_id)
        if target is None:
            return "/"
        return reg.type_of(target).url(target) + f"#{anchor}-{obj.id}"

    def can_view(user, obj) -> bool:
        reg = registry()
        target = reg.load(obj.target_type, obj.target_id)
        return target is not None and reg.type_of(target).can_view(user, target)

    return {"url_of": url_of, "can_view": can_view}
