"""Forms of the territory administration: communes and neighbourhoods with their boundaries."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField, validators

from ..forms import HubForm, strip_filter


class BoundaryFields(HubForm):
    boundary_file = FileField(
        _l("Boundary: GeoJSON file"),
        description=_l(
            "A Polygon or MultiPolygon in longitude/latitude "
            "(WGS 84), as exported by most mapping tools; "
            "1 MB at most."
        ),
    )
    boundary_text = TextAreaField(
        _l("Or paste the GeoJSON"), filters=[strip_filter], render_kw={"rows": 4}
    )
    clear_boundary = BooleanField(_l("Remove the current boundary"))


class CommuneForm(BoundaryFields):
    name = StringField(
        _l("Name"), [validators.InputRequired(), validators.Length(max=150)], filters=[strip_filter]
    )
    insee_code = StringField(
        _l("INSEE code"),
        [
            validators.InputRequired(),
            validators.Regexp(
                r"^(\d{5}|2[AB]\d{3})$",
                message=_l("Five characters: digits, or 2A/2B and three digits for Corsica."),
            ),
        ],
        filters=[lambda v: strip_filter(v).upper() if v else v],
        description=_l(
            "The official code of the commune (code officiel géographique), e.g. 69123."
        ),
    )
    population = IntegerField(
        _l("Population"),
        [validators.Optional(), validators.NumberRange(min=0, max=100_000_000)],
        description=_l("Latest legal population; used for thresholds."),
    )


class NeighbourhoodForm(BoundaryFields):
    name = StringField(
        _l("Name"), [validators.InputRequired(), validators.Length(max=150)], filters=[strip_filter]
    )
    slug = StringField(
        _l("Short name in addresses"),
        [
            validators.Optional(),
            validators.Length(max=120),
            validators.Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l("Lower-case letters, digits and hyphens only."),
            ),
        ],
        filters=[strip_filter],
        description=_l(
            "Appears in the page address (/territory/…); made from the name when left empty."
        ),
    )
    commune = SelectField(_l("Commune"), coerce=int)
    population = IntegerField(
        _l("Population"),
        [validators.Optional(), validators.NumberRange(min=0, max=10_000_000)],
        description=_l(
            "Residents of the neighbourhood, if known; used "
            "for thresholds given as a share of its "
            "residents."
        ),
    )


class DeleteForm(HubForm):
    move_to = SelectField(_l("Move everything attached to this neighbourhood to"), coerce=int)
