"""Forms of the participatory budget. Choices that depend on the data are filled by the view."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

from hub.plugin import (
    Commune,
    CoverImageFields,
    HubForm,
    choices,
    db,
    neighbourhood_choices,
    strip_filter,
)

from .models import DATED_PHASES, PHASE_LABELS, RULE_LABELS, TIE_LABELS, VOTE_TYPE_LABELS

OPTIONAL_PHASES = ("feasibility", "supports", "implementation")


class CampaignForm(HubForm):
    title = StringField(
        _l("Title"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(min=5, max=200)],
    )
    description = TextAreaField(
        _l("Presentation"),
        filters=[strip_filter],
        description=_l("What the budget funds, who may take part, how. Markdown."),
        validators=[validators.Length(max=20000)],
    )
    rule = SelectField(_l("Counting rule (published)"), choices=choices(list(RULE_LABELS.items())))
    min_score = IntegerField(
        _l("Minimum number of votes (greedy with a minimum)"),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )
    tie_breaking = SelectField(
        _l("Between tied projects"), choices=choices(list(TIE_LABELS.items()))
    )
    vote_type = SelectField(_l("Ballot"), choices=choices(list(VOTE_TYPE_LABELS.items())))
    knapsack = BooleanField(
        _l("The chosen projects must fit in the district's envelope"), default=True
    )
    min_share_percent = IntegerField(
        _l("Minimum share of the envelope to spend on a ballot (%)"),
        default=0,
        validators=[validators.Optional(), validators.NumberRange(min=0, max=100)],
    )
    min_projects = IntegerField(
        _l("Minimum number of projects on a ballot"),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )
    max_projects = IntegerField(
        _l("Maximum number of projects on a ballot"),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )
    max_points = IntegerField(
        _l("Points to share (cumulative ballot)"),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )
    districts_per_voter = IntegerField(
        _l("Districts one may vote in"),
        default=2,
        validators=[validators.InputRequired(), validators.NumberRange(min=1, max=50)],
    )
    residents_only = BooleanField(_l("Only verified residents take part"), default=True)
    min_age = IntegerField(
        _l("Minimum age (0: none)"),
        default=16,
        validators=[validators.InputRequired(), validators.NumberRange(min=0, max=120)],
    )

    supports_top = IntegerField(
        _l("Pre-selection: number of the most supported projects of a district on the ballot"),
        description=_l("Only if the supports phase is planned; empty: no limit."),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )
    supports_threshold = IntegerField(
        _l("Pre-selection: minimum number of supports to go to the ballot"),
        description=_l("Only if the supports phase is planned; empty: no minimum."),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )

    SETTINGS = (
        "rule",
        "min_score",
        "tie_breaking",
        "vote_type",
        "knapsack",
        "min_share_percent",
        "min_projects",
        "max_projects",
        "max_points",
        "districts_per_voter",
        "residents_only",
        "min_age",
        "supports_top",
        "supports_threshold",
    )

    def settings(self) -> dict:
        values = {name: self[name].data for name in self.SETTINGS}
        values["min_share_percent"] = values["min_share_percent"] or 0
        return values


def _phase_fields():
    fields = {}
    for kind in DATED_PHASES:
        label = PHASE_LABELS[kind]
        required = kind not in OPTIONAL_PHASES
        check = [validators.InputRequired()] if required else [validators.Optional()]
        fields[f"{kind}_starts_on"] = DateField(
            _l("%(phase)s: first day", phase=label), validators=list(check)
        )
        fields[f"{kind}_ends_on"] = DateField(
            _l("%(phase)s: last day", phase=label), validators=list(check)
        )
    return fields


PhasesForm = type("PhasesForm", (HubForm,), _phase_fields())


def phase_dates(form) -> dict:
    dates = {}
    for kind in DATED_PHASES:
        start, end = form[f"{kind}_starts_on"].data, form[f"{kind}_ends_on"].data
        if start and end:
            dates[kind] = (start, end)
        elif start or end:
            form[f"{kind}_ends_on" if start else f"{kind}_starts_on"].errors.append(
                _("Give both dates, or none for an optional phase.")
            )
    return dates


class PhaseChangeForm(HubForm):
    phase = SelectField(_l("Move to"), validators=[validators.InputRequired()])
    note = TextAreaField(
        _l("Note (public, kept in the audit log)"),
        filters=[strip_filter],
        validators=[validators.Length(max=2000)],
    )


class DistrictForm(HubForm):
    name = StringField(
        _l("Name"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=150)],
    )
    neighbourhood_id = SelectField(_l("Territory"), coerce=int, default=0)
    commune_id = SelectField(
        _l("Commune of the métropole"),
        coerce=int,
        default=0,
        description=_l("For an envelope of one commune: leave the territory on the whole one."),
    )
    envelope = IntegerField(
        _l("Envelope (euros)"),
        validators=[validators.InputRequired(), validators.NumberRange(min=1)],
    )

    def fill_choices(self):
        self.neighbourhood_id.choices = choices(
            [(0, _("The whole commune"))] + neighbourhood_choices()
        )
        communes = db.session.execute(select(Commune.id, Commune.name).order_by(Commune.name)).all()
        # A commune district only makes sense in a territory of several communes.
        self.has_communes = len(communes) > 1
        self.commune_id.choices = choices(
            [(0, _("None"))] + ([(c.id, c.name) for c in communes] if self.has_communes else [])
        )
        return self


class ProjectImageForm(CoverImageFields, HubForm):
    """A submitted project's cover image: a new picture, its text alternative, or none."""


class ProposalForm(CoverImageFields, HubForm):
    district_id = SelectField(_l("District"), coerce=int)
    title = StringField(
        _l("Title"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(min=5, max=200)],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[strip_filter],
        description=_l("What, for whom, why. Markdown: **bold**, *italics*, lists with -."),
        validators=[validators.InputRequired(), validators.Length(min=30, max=20000)],
    )
    place = StringField(
        _l("Place"),
        filters=[strip_filter],
        description=_l("Street, park, building…"),
        validators=[validators.Length(max=200)],
    )
    estimated_cost = IntegerField(
        _l("Estimated cost (euros)"),
        description=_l("Your estimate; the services will check it."),
        validators=[validators.InputRequired(), validators.NumberRange(min=1)],
    )

    def fill_choices(self, districts):
        self.district_id.choices = choices([(d.id, f"{d.name}") for d in districts])
        return self


class ReviewForm(HubForm):
    decision = RadioField(
        _l("Decision"),
        choices=choices(
            [
                ("feasible", _l("Feasible: the project goes on the ballot")),
                ("unfeasible", _l("Not feasible")),
                ("out_of_scope", _l("Outside the commune's competences")),
                ("incompatible", _l("Incompatible with another project")),
            ]
        ),
        validators=[validators.InputRequired()],
    )
    cost = IntegerField(
        _l("Cost retained by the services (euros)"),
        validators=[validators.Optional(), validators.NumberRange(min=1)],
    )
    cost_explanation = TextAreaField(
        _l("How the cost was estimated"),
        filters=[strip_filter],
        description=_l("Required for a feasible project; published."),
        validators=[validators.Length(max=5000)],
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_filter],
        description=_l("Required for every refusal: published and sent to the author."),
        validators=[validators.Length(max=5000)],
    )
    incompatible_with_id = SelectField(
        _l("Incompatible with"), coerce=int, default=0, validators=[validators.Optional()]
    )

    def fill_choices(self, others):
        self.incompatible_with_id.choices = choices(
            [(0, _("No project"))] + [(p.id, p.title) for p in others]
        )
        return self


class MergeForm(HubForm):
    into_id = SelectField(_l("Merge into"), coerce=int)
    note = TextAreaField(
        _l("Public note"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=5000)],
    )

    def fill_choices(self, others):
        self.into_id.choices = choices([(p.id, p.title) for p in others])
        return self


class ActionForm(HubForm):
    """A button that only needs the CSRF token."""


class CodesForm(HubForm):
    count = IntegerField(
        _l("Number of codes"),
        validators=[validators.InputRequired(), validators.NumberRange(min=1, max=200000)],
    )


class PaperEntryForm(HubForm):
    number = StringField(
        _l("Number written on the ballot"),
        filters=[strip_filter],
        description=_l("Each sheet is numbered at the count; both agents enter the same number."),
        validators=[validators.InputRequired(), validators.Length(max=30)],
    )


class ResolveForm(HubForm):
    decision = RadioField(
        _l("What the sheet shows"),
        choices=choices(
            [
                ("count", _l("A valid ballot: count the projects ticked below")),
                ("void", _l("A void ballot: count nothing")),
            ]
        ),
        validators=[validators.InputRequired()],
    )
    note = TextAreaField(
        _l("Note (kept with the ballot and in the audit log)"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=2000)],
    )


class OverrideForm(HubForm):
    project_id = SelectField(_l("Project"), coerce=int)
    action = RadioField(
        _l("Change to the result"),
        choices=choices(
            [
                ("add", _l("Add it to the funded projects")),
                ("remove", _l("Remove it from the funded projects")),
            ]
        ),
        validators=[validators.InputRequired()],
    )
    reason = TextAreaField(
        _l("Public reason"),
        filters=[strip_filter],
        description=_l("Shown beside the computed result on the results and the project's page."),
        validators=[validators.InputRequired(), validators.Length(max=5000)],
    )
    reference = StringField(
        _l("Decision (deliberation, date)"),
        filters=[strip_filter],
        description=_l("For instance: deliberation no. 2026-45 of the municipal council."),
        validators=[validators.Length(max=200)],
    )

    def fill_choices(self, projects):
        self.project_id.choices = choices(
            [(p.id, f"{p.title} ({p.status_label})") for p in projects]
        )
        return self


class MilestoneForm(CoverImageFields, HubForm):
    """A milestone; its photo is a core cover image (uploaded, resized, text alternative
    required), shown with :func:`cover_image_fieldset` under the legend "Photo"."""

    title = StringField(
        _l("Milestone"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=200)],
    )
    due_on = DateField(_l("Planned for"), validators=[validators.InputRequired()])
    done_on = DateField(_l("Done on"), validators=[validators.Optional()])
    progress = IntegerField(
        _l("Progress of the project once this milestone is reached (%)"),
        default=0,
        validators=[validators.Optional(), validators.NumberRange(min=0, max=100)],
    )
    note = TextAreaField(
        _l("Public note"),
        filters=[strip_filter],
        description=_l("What was done, what is late and why."),
        validators=[validators.Length(max=5000)],
    )
    document_url = StringField(
        _l("Document address (optional)"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.URL(), validators.Length(max=500)],
    )
    document_label = StringField(
        _l("Title of the document"),
        filters=[strip_filter],
        validators=[validators.Length(max=200)],
    )

    FIELDS = (
        "title",
        "due_on",
        "done_on",
        "progress",
        "note",
        "document_url",
        "document_label",
    )

    def values(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


class KioskForm(HubForm):
    place = StringField(
        _l("Where the kiosk stands"),
        filters=[strip_filter],
        description=_l("For instance: town hall, ground floor hall."),
        validators=[validators.InputRequired(), validators.Length(max=200)],
    )


class KioskCodeForm(HubForm):
    code = StringField(
        _l("Your voting code"),
        filters=[strip_filter],
        description=_l("Printed on the slip the agent gave you."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
        validators=[validators.InputRequired(), validators.Length(max=40)],
    )
