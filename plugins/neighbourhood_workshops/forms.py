"""Forms of the workshops plugin."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)

from hub.plugin import CoverImageFields, HubForm, choices, strip_filter

KIND_LABELS = {
    "neighbourhood": _l("Atelier de quartier (one or more neighbourhoods)"),
    "city": _l("Atelier ville (the whole commune)"),
    "project": _l("Atelier de projet (a project of the commune)"),
}
KIND_SHORT = {
    "neighbourhood": _l("Atelier de quartier"),
    "city": _l("Atelier ville"),
    "project": _l("Atelier de projet"),
}


class WorkshopForm(CoverImageFields, HubForm):
    kind = RadioField(
        _l("Kind of workshop"), [validators.InputRequired()], choices=choices(KIND_LABELS.items())
    )
    title = StringField(
        _l("Title"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
    )
    topic = StringField(
        _l("Public policy concerned"),
        [validators.Length(max=120)],
        filters=[strip_filter],
        description=_l("Urbanism, mobility, solidarity, culture, youth…"),
    )
    summary = StringField(_l("Summary"), [validators.Length(max=500)], filters=[strip_filter])
    description = TextAreaField(_l("Description (Markdown)"), [validators.Length(max=20000)])
    host_body_id = SelectField(_l("Host body"), coerce=int)
    neighbourhood_ids = SelectMultipleField(
        _l("Neighbourhoods"),
        coerce=int,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description=_l("For an atelier de quartier."),
    )
    project_id = SelectField(
        _l("Linked project"),
        coerce=int,
        description=_l(
            "Required for an atelier de projet; proposals of the minutes can be sent to it."
        ),
    )
    budget_line = StringField(
        _l("Budget line"), [validators.Length(max=200)], filters=[strip_filter]
    )
    budget_amount = IntegerField(
        _l("Budget (euros)"), [validators.Optional(), validators.NumberRange(min=0)]
    )
    charter = TextAreaField(
        _l("Charter of the workshop"),
        [validators.Length(max=5000)],
        description=_l("How people speak and listen, what the workshop can and cannot decide."),
    )
    how_to_join = TextAreaField(
        _l("How residents can join"),
        [validators.Length(max=5000)],
        description=_l("Anyone interested may come: say how."),
    )
    keep_facilitators = SelectMultipleField(
        _l("Facilitators"),
        coerce=int,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description=_l("Untick someone to end their facilitation."),
    )
    invite_facilitators = TextAreaField(
        _l("Invite facilitators (email addresses, one per line)"),
        [validators.Length(max=5000)],
        description=_l(
            "Each address's account owner is asked by email; they facilitate once they accept."
        ),
    )


class SendProposalForm(HubForm):
    pass
