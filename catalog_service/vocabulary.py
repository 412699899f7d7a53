"""The words the parts share: action names, their outcomes, webhook delivery outcomes, ingest
statuses. Written once here; the API, the database's check constraints, the metrics and the
dashboard take them from this module (docs/architecture.md §2). The standard library only.
"""

from __future__ import annotations

from typing import Literal, get_args

# The self-service actions (docs/architecture.md §6.4): the path of POST
# /api/v1/actions/{action}, the audit rows' `action`, the `action` label of idp_actions_total.
ActionName = Literal[
    "create-application", "promote-image", "set-version", "restart-application", "copy-database"
]
ACTION_NAMES: tuple[ActionName, ...] = get_args(ActionName)
CREATE_APPLICATION: ActionName = "create-application"
PROMOTE_IMAGE: ActionName = "promote-image"
SET_VERSION: ActionName = "set-version"
RESTART_APPLICATION: ActionName = "restart-application"
COPY_DATABASE: ActionName = "copy-database"

# Who the service's own action calls are audited as: the copy janitor's removals of expired
# database copies. Refused as the requestedBy of a call over HTTP.
JANITOR_ACTOR = "platform:janitor"

# How an action call ended: the audit rows' `outcome` (a check constraint) and the metric's label.
ActionOutcome = Literal["succeeded", "failed", "rejected"]
ACTION_OUTCOMES: tuple[ActionOutcome, ...] = get_args(ActionOutcome)

# A stored webhook delivery: received (being worked on), then processed or ignored; failed: its
# background work failed (the reconcile job retries what it missed).
DeliveryOutcome = Literal["received", "processed", "ignored", "failed"]
# The `outcome` label of idp_webhook_deliveries_total: a delivery counts once its outcome is
# known; duplicates and deliveries refused for their signature are counted, not stored.
CountedDeliveryOutcome = Literal["processed", "duplicate", "ignored", "rejected", "failed"]
COUNTED_DELIVERY_OUTCOMES: tuple[CountedDeliveryOutcome, ...] = get_args(CountedDeliveryOutcome)

# What one ingest did: POST /api/v1/refresh answers it.
IngestStatus = Literal["applied", "unchanged", "held-back"]
INGEST_STATUSES: tuple[IngestStatus, ...] = get_args(IngestStatus)
