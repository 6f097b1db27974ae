"""Everything that reads and writes signatures, in one namespace (``hub.plugin.signatures``).

The service is split along its seams: :mod:`.signing` (collections, eligibility, signing,
paper entries, thresholds), :mod:`.queries` (reading), :mod:`.moderation` (bursts and bulk
invalidation) and :mod:`.maintenance` (recount, anonymisation). Callers use this package.
"""

from __future__ import annotations

from ..models import OfflineSignatureBatch, Signature, SignatureCollection, SignatureThreshold
from .maintenance import Drift, anonymise_closed, forget_public_names, months_before, recount
from .moderation import (
    BURST_DIMENSIONS,
    InvalidationFilter,
    bursts,
    invalidate,
    matching_count,
    recent_activity,
)
from .queries import (
    counts_by_neighbourhood,
    offline_batches,
    public_signers,
    public_signers_query,
    signed_by,
    signed_by_rows,
    signer_rows,
)
from .signing import (
    AlreadySigned,
    NotEligible,
    NotOpen,
    NotSigned,
    Signed,
    Signer,
    SigningError,
    add_offline,
    close_collection,
    closed_reason,
    create_collection,
    get_collection,
    ineligibility,
    open_collection,
    paper_refusal,
    set_public_name,
    sign,
    signature_of,
    withdraw,
)

__all__ = [
    "AlreadySigned",
    "Drift",
    "Signed",
    "Signer",
    "InvalidationFilter",
    "NotEligible",
    "NotOpen",
    "NotSigned",
    "SigningError",
    "add_offline",
    "anonymise_closed",
    "bursts",
    "close_collection",
    "closed_reason",
    "paper_refusal",
    "counts_by_neighbourhood",
    "create_collection",
    "get_collection",
    "ineligibility",
    "invalidate",
    "matching_count",
    "open_collection",
    "public_signers",
    "public_signers_query",
    "recount",
    "recent_activity",
    "sign",
    "signature_of",
    "set_public_name",
    "signed_by",
    "signed_by_rows",
    "signer_rows",
    "withdraw",
]

__all__ += [
    "BURST_DIMENSIONS",
    "OfflineSignatureBatch",
    "Signature",
    "SignatureCollection",
    "SignatureThreshold",
    "forget_public_names",
    "months_before",
    "offline_batches",
]
