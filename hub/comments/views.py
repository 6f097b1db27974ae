"""Pages of discussions: the thread of any registered object that takes comments, replying,
editing within the window, closing and reopening. Each view loads the object (404 when it
is unknown, does not take comments or is hidden from the visitor) and checks who may act."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..errors import RuleError, login_required_response
from ..extensions import db, htmx
from ..forms import form_action
from ..moderation import services as moderation
from ..ratelimits import limit_writes
from ..registry import registry
from ..sharedparts import Deferred, personal, personal_bit, shared_part
from ..web import fail
from . import services
from .forms import CloseForm, CommentForm
from .models import Comment

bp = Blueprint("comments", __name__, template_folder="templates")


def _load(target_type: str, target_id: int):
    reg = registry()
    object_type = reg.find(target_type)
    if object_type is None or not object_type.comments:
        abort(404)
    target = reg.load(target_type, target_id)
    if target is None or not object_type.can_view(current_user, target):
        abort(404)
    return target


def _comment(comment_id: int) -> tuple[Comment, object]:
    comment = db.session.get(Comment, comment_id) or abort(404)
    return comment, _load(comment.target_type, comment.target_id)


def _title(target) -> str:
    """The object's title, unless moderation hides its text (a contribution's title is its
    text's beginning): then its label and number only."""
    object_type = registry().type_of(target)
    if moderation.enabled(target) and moderation.hidden(target) is not None:
        return _("%(label)s #%(id)d (hidden by moderation)", label=object_type.label, id=target.id)
    return object_type.title(target)


_SECTION = "comments/_section.html"


def section(target, form=None, announce: str = "") -> Markup:
    """The discussion's section (``comments/_section.html``), all of it the same for every
    viewer with the same roles who may do the same (a shared part, :mod:`hub.sharedparts`):
    whether the viewer may comment, and why not, follow from their audience and the
    discussion; whether they may reply officially or close it are the part's keys. What is
    theirs alone is a personal bit: the forms' CSRF tokens, each comment's change and report
    links, the announce of their comment published. ``data`` is read only when the part is
    rendered, not when it is served kept: a page then reads nothing for its discussion.
    A form sent back with its errors (``form``) is this viewer's: rendered for them alone."""
    object_type = registry().type_of(target)
    # Read by the personal bit "comments.announce": this request's own.
    g.hub_comments_announce = announce
    user = current_user._get_current_object()
    # Only who may comment (logged in, address confirmed) is asked about replying officially.
    official = (
        user.is_authenticated
        and user.email_confirmed
        and services.may_reply_officially(user, target)
    )
    may_close = services.may_close(user, target)
    context = dict(
        target=target,
        target_type=object_type.name,
        data=Deferred(lambda: _shared_data(target, object_type, official, may_close, form)),
        may_close=may_close,
    )
    if form is not None:
        return Markup(render_template(_SECTION, **context))
    return shared_part(
        (_SECTION, "section"),
        (object_type.name, target.id, official, may_close),
        lambda: render_template(_SECTION, **context),
    )


@personal_bit("comments.announce")
def _announce() -> str:
    """The announce that the viewer's comment is published (the section sent back by htmx)."""
    announce = g.get("hub_comments_announce")
    if not announce:
        return ""
    return Markup(
        '<p class="flash flash--success" role="status" tabindex="-1" data-autofocus'
        ' data-announce="{0}">{0}</p>'
    ).format(announce)


def _shared_data(target, object_type, official: bool, may_close: bool, form) -> dict:
    # First: it reads the thread's row too, which the closed notice asks for.
    comments = services.of_target(target)
    hidden = {}
    if comments:
        if moderation.enabled(target):
            # The object's and its comments' hidden texts in one query (two otherwise).
            moderation.prefetch_hidden([object_type.name, "comment"])
        hidden = moderation.hidden_decisions("comment")
    # The viewer is their audience here: logged in, address confirmed.
    allowed, reason = services.may_comment(current_user, target)
    # The comment form only for who may comment (the section shows it to them alone).
    if form is None and allowed:
        form = CommentForm()
    if form is not None and not (allowed and official):
        del form.official
    return dict(
        threads=services.threaded(comments),
        count=len(comments),
        hidden_comments=hidden,
        closed=services.closed_reason(target),
        may_comment=allowed,
        reason=reason,
        form=form,
        thread_row=services.thread(target),
        discussion_url=services.discussion_url(target),
        close_form=CloseForm() if may_close else None,
    )


def _thread_context(target, form=None, announce: str = "") -> dict:
    """The discussion's own page: the section, and the object's title and link."""
    object_type = registry().type_of(target)
    if moderation.enabled(target):
        # The object's title asks whether it is hidden: its comments' hidden texts with it.
        moderation.prefetch_hidden([object_type.name, "comment"])
    return dict(
        section=section(target, form=form, announce=announce),
        target_url=object_type.url(target),
        target_title=_title(target),
    )


@personal_bit("comments.change_link")
def _change_link(comment_id: int, author_id, created_at, before: str = "") -> str:
    """The author's link to change their comment, while the edit window lasts."""
    comment = SimpleNamespace(author_id=author_id, created_at=created_at)
    if not services.may_edit(current_user, comment):
        return ""
    url = url_for("comments.edit", comment_id=comment_id)
    return Markup('{}<a href="{}">{}</a>').format(before, url, _("Change my comment"))


@personal_bit("comments.actions")
def _actions(comment_id: int, author_id, created_at, label: str) -> str:
    """A comment's links for a viewer who may not reply (the change and report links)."""
    change = _change_link(comment_id, author_id, created_at)
    report = personal(
        "moderation.report_link", "comment", comment_id, author_id, label, " · " if change else ""
    )
    if not change and not report:
        return ""
    return Markup('  <p class="comment__actions">\n{}{}  </p>\n').format(change, report)


def comments_for(target) -> Markup:
    """The discussion of ``target`` for its own page (``{{ comments_for(obj) }}``): nothing
    when its type takes no comments."""
    if target is None or not services.enabled(target):
        return Markup("")
    return section(target)


@bp.route("/comments/<target_type>/<int:target_id>", methods=["GET", "POST"])
@limit_writes("write")
def thread(target_type: str, target_id: int):
    target = _load(target_type, target_id)
    form = CommentForm()
    if form.is_submitted():
        if not current_user.is_authenticated:
            return login_required_response()
        allowed, reason = services.may_comment(current_user, target)
        if not allowed:
            fail(403 if not services.closed_reason(target) else 422, reason)
        official = bool(form.official.data) and services.may_reply_officially(current_user, target)
        refused = {}

        def action():
            try:
                return services.post(target, form.body.data, current_user, official=official)
            except RuleError as exc:
                refused["status"] = exc.status
                raise

        done = form_action(
            form,
            action,
            success=None if htmx else _("Your comment is published."),
            redirect_to=lambda c: services.comment_url(c, target),
        )
        if done is not None and htmx:
            return section(target, announce=_("Your comment is published."))
        if done is not None:
            return done
        if htmx:
            return section(target, form=form)
        status = 429 if refused.get("status") == 429 else 422
        return render_template("comments/thread.html", **_thread_context(target, form=form)), status
    return render_template("comments/thread.html", **_thread_context(target))


@bp.route("/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@limit_writes("write")
def reply(comment_id: int):
    parent, target = _comment(comment_id)
    if not current_user.is_authenticated:
        return login_required_response()
    allowed, reason = services.may_comment(current_user, target)
    if not allowed:
        fail(403 if not services.closed_reason(target) else 422, reason)
    if moderation.hidden(parent) is not None:
        # Its page would quote the hidden text; the discussion shows the public reason.
        fail(422, services.hidden_parent_message())
    form = CommentForm()
    official_allowed = services.may_reply_officially(current_user, target)
    if not official_allowed:
        del form.official
    done = form_action(
        form,
        lambda: services.post(
            target,
            form.body.data,
            current_user,
            parent=parent,
            official=official_allowed and bool(form.official.data),
        ),
        success=_("Your reply is published."),
        redirect_to=lambda c: services.comment_url(c, target),
    )
    if done is not None:
        return done
    return render_template(
        "comments/reply.html",
        parent=parent,
        form=form,
        target=target,
        target_url=services.discussion_url(target),
        target_title=_title(target),
    ), 422 if form.errors else 200


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@limit_writes("write")
def edit(comment_id: int):
    comment, target = _comment(comment_id)
    if not current_user.is_authenticated:
        return login_required_response()
    if comment.author_id != current_user.id:
        abort(403)
    if not services.may_edit(current_user, comment):
        fail(422, _("This comment can no longer be changed."))
    form = CommentForm(obj=comment)
    del form.official
    done = form_action(
        form,
        lambda: services.edit(comment, form.body.data, current_user),
        success=_("Your comment is updated."),
        redirect_to=lambda c: services.comment_url(c, target),
    )
    if done is not None:
        return done
    return render_template(
        "comments/edit.html",
        comment=comment,
        form=form,
        target_url=services.discussion_url(target),
        target_title=_title(target),
    ), 422 if form.errors else 200


@bp.route("/comments/<target_type>/<int:target_id>/close", methods=["POST"])
def close(target_type: str, target_id: int):
    target = _load(target_type, target_id)
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.may_close(current_user, target):
        abort(403)
    form = CloseForm()
    done = form_action(
        form,
        lambda: services.close(target, current_user, form.reason.data or ""),
        success=_("The discussion is closed."),
        redirect_to=url_for("comments.thread", target_type=target_type, target_id=target_id),
    )
    if done is not None:
        return done
    return render_template("comments/thread.html", **_thread_context(target)), 422


@bp.route("/comments/<target_type>/<int:target_id>/reopen", methods=["POST"])
def reopen(target_type: str, target_id: int):
    target = _load(target_type, target_id)
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.may_close(current_user, target):
        abort(403)
    form = CloseForm()
    done = form_action(
        form,
        lambda: services.reopen(target, current_user),
        success=_("The discussion is open again."),
        redirect_to=url_for("comments.thread", target_type=target_type, target_id=target_id),
    )
    if done is not None:
        return done
    return redirect(url_for("comments.thread", target_type=target_type, target_id=target_id))


def init_app(app) -> None:
    app.jinja_env.globals["comments_for"] = comments_for
