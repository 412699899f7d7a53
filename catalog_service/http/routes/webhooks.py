"""``POST /api/v1/webhooks/github``: thin; the work is ``catalog_service.webhooks.service``'s."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from catalog_service.http.deps import ServicesDep
from catalog_service.http.validation import read_body
from catalog_service.webhooks.service import MAX_BODY_BYTES

router = APIRouter(tags=["webhooks"])


@router.post(
    "/api/v1/webhooks/github",
    status_code=202,
    responses={
        200: {"description": "ping answered, or a repeated delivery (changes nothing)"},
        401: {"description": "unsigned, wrongly signed, or no github.webhookSecret configured"},
        413: {"description": "the body is over 25 MiB"},
        429: {"description": "too many deliveries are being stored at once"},
    },
)
async def github_webhook(request: Request, services: ServicesDep) -> JSONResponse:
    """A GitHub delivery (``push``, ``pull_request``, ``ping``), verified by its
    ``X-Hub-Signature-256`` and deduplicated by its ``X-GitHub-Delivery``; the work it asks for
    runs in the background."""
    webhooks = services.webhooks.receiver
    await webhooks.refuse_early(request.headers)  # before a byte of the body is read
    body = await read_body(
        request, MAX_BODY_BYTES, services.validations.limits, "a webhook delivery"
    )
    answer = await webhooks.receive(request.headers, body)
    return JSONResponse(answer.body, status_code=answer.status)
