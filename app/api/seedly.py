"""``SeedlyClient``: every path of the Seedly CRM REST API (docs/api/seedly-crm.md, "Endpoint
index").

The client owns one ``Transport`` (one ``httpx.AsyncClient``) per profile. An
agency key works across sub-accounts: ``for_sub_account(id)`` returns a view
that sends ``X-Sub-Account-Id`` on every call and shares the same connection
pool and rate budget (limits are per key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar

from app.api.transport import RetryPolicy, Timeouts, Transport, json_of
from app.core.keys import KeyKind, key_kind
from app.core.models import (
    Appointment,
    AppointmentCancellation,
    AppointmentType,
    AvailabilitySlot,
    Calendar,
    Contact,
    Conversation,
    CustomFieldDefinition,
    Message,
    Page,
    SubAccount,
    WebhookSecret,
    WebhookSubscription,
    WireModel,
    parse_data,
    parse_list,
    parse_page,
)

T = TypeVar("T", bound=WireModel)

AGENCY_HEADER = "X-Sub-Account-Id"


# Envelopes are read with ``parse_data``/``parse_list``/``parse_page``, never ``body["data"]``:
# an answer without the envelope must raise ``InvalidResponse``, not KeyError or TypeError.


def _body(payload: Any) -> Any:
    """A request body from a model (only the fields that were set) or a plain mapping."""
    to_body = getattr(payload, "to_body", None)
    if to_body is not None:  # core's request models know their own wire form
        return to_body()
    dump = getattr(payload, "model_dump", None)
    if dump is not None:
        return dump(by_alias=True, exclude_unset=True, mode="json")
    return dict(payload)


class SeedlyClient:
    """Async client of the Seedly CRM API for one key (and, for agency keys, one sub-account)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        sub_account_id: str | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        transport: Transport | None = None,
        http_transport: Any = None,
    ) -> None:
        self.kind = key_kind(api_key)
        self.transport = transport or Transport(
            base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "SeedlyDesk/0.1",
            },
            timeouts=timeouts,
            retry=retry,
            transport=http_transport,
        )
        self.sub_account_id = sub_account_id

    @property
    def is_agency(self) -> bool:
        return self.kind is KeyKind.AGENCY

    def server_now_ms(self) -> int:
        """The server's clock now (epoch ms), from its ``Date`` headers (ours before any)."""
        return int(self.transport.server_now() * 1000)

    def for_sub_account(self, sub_account_id: str | None) -> SeedlyClient:
        """A view on another sub-account that shares this client's connection and budget."""
        view = SeedlyClient.__new__(SeedlyClient)
        view.kind = self.kind
        view.transport = self.transport
        view.sub_account_id = sub_account_id
        return view

    def set_api_key(self, api_key: str) -> None:
        """Use a new key from now on (after the old one was revoked or expired)."""
        self.kind = key_kind(api_key)
        self.transport.set_header("Authorization", f"Bearer {api_key}")

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- plumbing --------------------------------------------------------------------------
    def _headers(self, scoped: bool = True) -> dict[str, str]:
        if scoped and self.is_agency and self.sub_account_id:
            return {AGENCY_HEADER: self.sub_account_id}
        return {}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        scoped: bool = True,
        idempotent: bool | None = None,
    ) -> Any:
        response = await self.transport.request(
            method,
            path,
            params=params,
            json_body=body,
            headers=self._headers(scoped),
            idempotent=idempotent,
        )
        return json_of(response)

    async def _pages(self, path: str, item: type[T], params: dict[str, Any]) -> AsyncIterator[T]:
        cursor: str | None = None
        while True:
            page = parse_page(
                item, await self._call("GET", path, params={**params, "cursor": cursor})
            )
            for entry in page.data:
                yield entry
            cursor = page.meta.cursor
            if not page.meta.has_more or not cursor:
                return

    # -- sub-accounts ----------------------------------------------------------------------
    async def list_sub_accounts(self) -> list[SubAccount]:
        """Sub-accounts an agency key can act on (``GET /api/v1/sub-accounts``)."""
        body = await self._call("GET", "/api/v1/sub-accounts", scoped=False)
        return parse_list(SubAccount, body)

    # -- contacts --------------------------------------------------------------------------
    @staticmethod
    def _contact_params(
        search: str | None,
        email: str | None,
        lifecycle_stage: str | None,
        source: str | None,
        tags: list[str] | None,
        assigned_to: str | None,
        has_phone: bool | None,
    ) -> dict[str, Any]:
        return {
            "search": search,
            "email": email,
            "lifecycleStage": lifecycle_stage,
            "source": source,
            "tags": ",".join(tags) if tags else None,
            "assignedTo": assigned_to,
            "hasPhone": None if has_phone is None else str(has_phone).lower(),
        }

    async def list_contacts(
        self,
        *,
        search: str | None = None,
        email: str | None = None,
        lifecycle_stage: str | None = None,
        source: str | None = None,
        tags: list[str] | None = None,
        assigned_to: str | None = None,
        has_phone: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Contact]:
        params = self._contact_params(
            search, email, lifecycle_stage, source, tags, assigned_to, has_phone
        )
        body = await self._call(
            "GET", "/api/v1/contacts", params={**params, "limit": limit, "cursor": cursor}
        )
        return parse_page(Contact, body)

    def iter_contacts(
        self,
        *,
        search: str | None = None,
        email: str | None = None,
        lifecycle_stage: str | None = None,
        source: str | None = None,
        tags: list[str] | None = None,
        assigned_to: str | None = None,
        has_phone: bool | None = None,
        limit: int = 100,
    ) -> AsyncIterator[Contact]:
        """Every contact matching the filters, following cursors page by page."""
        # Named filters (they were ``**filters``): a misspelt one silently returned everything.
        params = self._contact_params(
            search, email, lifecycle_stage, source, tags, assigned_to, has_phone
        )
        return self._pages("/api/v1/contacts", Contact, {**params, "limit": limit})

    async def find_contact_by_email(self, email: str) -> Contact | None:
        """The contact with exactly this email, or None (the exact lookup of
        docs/api/seedly-crm.md §5)."""
        page = await self.list_contacts(email=email)
        return page.data[0] if page.data else None

    async def get_contact(self, contact_id: str) -> Contact:
        return parse_data(Contact, await self._call("GET", f"/api/v1/contacts/{contact_id}"))

    async def custom_fields(self) -> list[CustomFieldDefinition]:
        return parse_list(CustomFieldDefinition, await self._call("GET", "/api/v1/contacts/fields"))

    async def create_contact(self, payload: Any) -> Contact:
        body = await self._call("POST", "/api/v1/contacts", body=_body(payload))
        return parse_data(Contact, body)

    async def update_contact(self, contact_id: str, changes: Any) -> Contact:
        body = await self._call("PATCH", f"/api/v1/contacts/{contact_id}", body=_body(changes))
        return parse_data(Contact, body)

    async def delete_contact(self, contact_id: str) -> None:
        await self._call("DELETE", f"/api/v1/contacts/{contact_id}")

    # -- conversations and messages -------------------------------------------------------
    async def list_conversations(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        contact_id: str | None = None,
        assigned_to: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Conversation]:
        params = self._conversation_params(status, channel, contact_id, assigned_to)
        body = await self._call(
            "GET", "/api/v1/conversations", params={**params, "limit": limit, "cursor": cursor}
        )
        return parse_page(Conversation, body)

    def iter_conversations(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        contact_id: str | None = None,
        assigned_to: str | None = None,
        limit: int = 200,
    ) -> AsyncIterator[Conversation]:
        params = self._conversation_params(status, channel, contact_id, assigned_to)
        return self._pages("/api/v1/conversations", Conversation, {**params, "limit": limit})

    @staticmethod
    def _conversation_params(
        status: str | None, channel: str | None, contact_id: str | None, assigned_to: str | None
    ) -> dict[str, Any]:
        return {
            "status": status,
            "channel": channel,
            "contactId": contact_id,
            "assignedTo": assigned_to,
        }

    async def get_conversation(self, conversation_id: str) -> Conversation:
        body = await self._call("GET", f"/api/v1/conversations/{conversation_id}")
        return parse_data(Conversation, body)

    async def create_conversation(
        self, contact_id: str, channel: str, subject: str | None = None
    ) -> Conversation:
        """Open a conversation; the API returns the existing open one when there is one
        (``created`` tells which). Creating is idempotent by design, so it may be retried."""
        payload: dict[str, Any] = {"contactId": contact_id, "channel": channel}
        if subject:
            payload["subject"] = subject
        body = await self._call("POST", "/api/v1/conversations", body=payload, idempotent=True)
        return parse_data(Conversation, body)

    async def update_conversation(self, conversation_id: str, **changes: Any) -> Conversation:
        """PATCH ``status`` and/or ``assigned_to`` (None unassigns)."""
        # Anything else (``assignedTo``, a typo) used to be dropped silently: the PATCH then
        # "succeeded" without changing what the caller asked for.
        unknown = set(changes) - {"status", "assigned_to"}
        if unknown:
            raise TypeError(f"update_conversation() got unexpected changes: {sorted(unknown)}")
        payload: dict[str, Any] = {}
        if "status" in changes:
            payload["status"] = changes["status"]
        if "assigned_to" in changes:
            payload["assignedTo"] = changes["assigned_to"]
        body = await self._call("PATCH", f"/api/v1/conversations/{conversation_id}", body=payload)
        return parse_data(Conversation, body)

    async def list_messages(
        self, conversation_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Message]:
        body = await self._call(
            "GET",
            f"/api/v1/conversations/{conversation_id}/messages",
            params={"limit": limit, "cursor": cursor},
        )
        return parse_page(Message, body)

    def iter_messages(self, conversation_id: str, *, limit: int = 100) -> AsyncIterator[Message]:
        return self._pages(
            f"/api/v1/conversations/{conversation_id}/messages", Message, {"limit": limit}
        )

    async def send_message(self, conversation_id: str, payload: Any) -> Message:
        """Send once. A lost answer raises ``OutcomeUnknown``: reconcile, never resend blindly."""
        body = await self._call(
            "POST", f"/api/v1/conversations/{conversation_id}/messages", body=_body(payload)
        )
        return parse_data(Message, body)

    # -- calendars -------------------------------------------------------------------------
    async def list_calendars(self) -> list[Calendar]:
        return parse_list(Calendar, await self._call("GET", "/api/v1/calendars"))

    async def list_appointment_types(self, calendar_id: str | None = None) -> list[AppointmentType]:
        body = await self._call(
            "GET", "/api/v1/calendars/types", params={"calendarId": calendar_id}
        )
        return parse_list(AppointmentType, body)

    async def availability(self, appointment_type_id: str, date: str) -> list[AvailabilitySlot]:
        """Free slots of a type on a date (YYYY-MM-DD in the calendar's timezone)."""
        body = await self._call(
            "GET",
            "/api/v1/calendars/availability",
            params={"appointmentTypeId": appointment_type_id, "date": date},
        )
        return parse_list(AvailabilitySlot, body)

    async def list_appointments(
        self,
        *,
        calendar_id: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Appointment]:
        params = self._appointment_params(calendar_id, start_ms, end_ms, status)
        body = await self._call(
            "GET",
            "/api/v1/calendars/appointments",
            params={**params, "limit": limit, "cursor": cursor},
        )
        return parse_page(Appointment, body)

    def iter_appointments(
        self,
        *,
        calendar_id: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        status: str | None = None,
        limit: int = 200,
    ) -> AsyncIterator[Appointment]:
        params = self._appointment_params(calendar_id, start_ms, end_ms, status)
        return self._pages(
            "/api/v1/calendars/appointments", Appointment, {**params, "limit": limit}
        )

    @staticmethod
    def _appointment_params(
        calendar_id: str | None, start_ms: int | None, end_ms: int | None, status: str | None
    ) -> dict[str, Any]:
        return {
            "calendarId": calendar_id,
            "startDate": start_ms,
            "endDate": end_ms,
            "status": status,
        }

    async def book_appointment(self, payload: Any) -> Appointment:
        body = await self._call("POST", "/api/v1/calendars/appointments", body=_body(payload))
        return parse_data(Appointment, body)

    async def cancel_appointment(self, appointment_id: str, reason: str | None = None) -> bool:
        body = await self._call(
            "DELETE", f"/api/v1/calendars/appointments/{appointment_id}", params={"reason": reason}
        )
        return parse_data(AppointmentCancellation, body).cancelled

    # -- webhooks --------------------------------------------------------------------------
    async def list_webhooks(self) -> list[WebhookSubscription]:
        return parse_list(WebhookSubscription, await self._call("GET", "/api/v1/webhooks"))

    async def create_webhook(self, payload: Any) -> WebhookSubscription:
        """Create a subscription; the returned object carries the secret, shown this once."""
        body = await self._call("POST", "/api/v1/webhooks", body=_body(payload))
        return parse_data(WebhookSubscription, body)

    async def update_webhook(self, webhook_id: str, changes: Any) -> WebhookSubscription:
        body = await self._call("PATCH", f"/api/v1/webhooks/{webhook_id}", body=_body(changes))
        return parse_data(WebhookSubscription, body)

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._call("DELETE", f"/api/v1/webhooks/{webhook_id}")

    async def regenerate_webhook_secret(self, webhook_id: str) -> str:
        """A new signing secret (the old one stops working at once); shown this once."""
        body = await self._call("POST", f"/api/v1/webhooks/{webhook_id}/regenerate-secret")
        return parse_data(WebhookSecret, body).secret

    # -- public endpoints (no key) ---------------------------------------------------------
    async def trigger_workflow(
        self,
        slug: str,
        payload: Mapping[str, Any],
        signing_secret: str | None = None,
        *,
        wait_on_rate_limit: bool = True,
    ) -> dict[str, Any]:
        """POST /webhooks/workflow/{slug}, signed with the workflow's secret when it has one.

        ``wait_on_rate_limit=False`` raises ``RateLimited`` on a 429 instead of waiting
        (the endpoint's own limit: docs/api/seedly-crm.md §8, §11)."""
        return await self._public_post(
            f"/webhooks/workflow/{slug}", payload, signing_secret, wait_on_rate_limit
        )

    async def inject_workflow_event(
        self,
        slug: str,
        payload: Mapping[str, Any],
        signing_secret: str | None = None,
        *,
        wait_on_rate_limit: bool = True,
    ) -> dict[str, Any]:
        """POST /webhooks/event/{slug}: an event for the workflow's waiting runs."""
        return await self._public_post(
            f"/webhooks/event/{slug}", payload, signing_secret, wait_on_rate_limit
        )

    async def _public_post(
        self,
        path: str,
        payload: Mapping[str, Any],
        signing_secret: str | None,
        wait_on_rate_limit: bool = True,
    ) -> dict[str, Any]:
        raw = json.dumps(dict(payload), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if signing_secret:
            digest = hmac.new(signing_secret.encode(), raw, hashlib.sha256).hexdigest()
            headers["X-Webhook-Signature"] = f"sha256={digest}"
        response = await self.transport.request(
            "POST",
            path,
            content=raw,
            headers=headers,
            rate_limit_waits=None if wait_on_rate_limit else 0,
        )
        result = json_of(response)
        return result if isinstance(result, dict) else {"data": result}
