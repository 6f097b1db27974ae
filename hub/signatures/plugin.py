"""The signature service's own hook implementations: settings, permissions, personal data."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..hookspecs import hookimpl
from ..settings import Setting
from ..worker import Job


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "signatures_anonymise_after_months",
            "int",
            12,
            _l("Anonymise signers this many months after a collection closes"),
            _l(
                "Names, accounts, IP addresses and email domains of signers are wiped; "
                "counts stay. Run by the command “hub signatures anonymise”."
            ),
            minimum=1,
        )
    ]


def _anonymise_job():
    from ..settings import get_setting
    from .services import anonymise_closed

    done = anonymise_closed(int(get_setting("signatures_anonymise_after_months")))
    return f"{len(done)} collection(s) anonymised"


@hookimpl
def hub_scheduled_jobs():
    return [
        Job(
            "signatures.anonymise",
            every=timedelta(days=1),
            run=_anonymise_job,
            description=_l("Anonymise signers of collections closed long enough ago"),
            erasure=True,
        )
    ]


@hookimpl
def hub_register_permissions():
    return {
        "signatures.moderate": {"moderator"},
        "signatures.offline": {"agent"},
        "signatures.export": {"agent", "elected"},
    }


@hookimpl
def hub_on_user_deleted(user):
    from .services import forget_public_names

    forget_public_names(user.id)


@hookimpl
def hub_export_personal_data(user):
    from ..personaldata import ExportList, stored_time
    from .models import Signature, SignatureCollection

    return {
        "signatures": ExportList(
            select(
                SignatureCollection.object_type,
                SignatureCollection.title,
                Signature.created_at,
                Signature.public_name,
                Signature.invalidated_at.is_not(None).label("invalidated"),
                Signature.ip,
            )
            .join(Signature, Signature.collection_id == SignatureCollection.id)
            .where(Signature.user_id == user.id),
            order_by=(Signature.created_at, Signature.id),
            row=lambda r: {
                "object_type": r.object_type,
                "title": r.title,
                "signed_at": stored_time(r.created_at),
                "public_name": r.public_name,
                "invalidated": r.invalidated,
                "ip": r.ip,
            },
        )
    }
