"""Contact writes: validated before the request, cached after it, never duplicated.

The same core rules the form shows inline run here before anything is sent
(``payloads.build`` raises ``ValidationFailed`` listing every field). The
server's own validation errors pass through intact (message and field). A
create whose outcome is unknown (the answer was lost) is reconciled by an
exact-email lookup before anyone may try again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.core.errors import NotFound, OutcomeUnknown
from app.core.models import Contact, CustomFieldDefinition, parse
from app.core.payloads import ContactCreate, build, contact_update
from app.services.bus import ContactsChanged, EventBus, ScopeKey
from app.storage import Partition

log = logging.getLogger(__name__)


class ContactService:
    """Create, update and delete contacts of one sub-account."""

    def __init__(
        self,
        partition: Partition,
        client: Any,
        bus: EventBus,
        scope: ScopeKey,
        *,
        default_region: str = "US",
    ) -> None:
        self.partition = partition
        self.client = client
        self.bus = bus
        self.scope = scope
        self.default_region = default_region

    def field_definitions(self) -> list[CustomFieldDefinition]:
        return [parse(CustomFieldDefinition, d) for d in self.partition.custom_fields.fields()]

    def _store(self, contact: Contact) -> Contact:
        self.partition.contacts.upsert_many([contact.to_wire()])
        self.bus.publish(ContactsChanged(self.scope, ids=frozenset({contact.id})))
        return contact

    def validate_new(self, fields: Mapping[str, Any]) -> ContactCreate:
        """The create body, or ``ValidationFailed`` naming every bad field (nothing sent)."""
        return build(
            ContactCreate,
            fields,
            default_region=self.default_region,
            custom_field_definitions=self.field_definitions(),
        )

    async def create(self, fields: Mapping[str, Any]) -> Contact:
        """Create a contact. When the answer is lost, look it up by email: found means it
        was created (returned as such); not found means it was not, and the
        ``OutcomeUnknown`` is raised again with that established."""
        payload = self.validate_new(fields)
        try:
            contact = await self.client.create_contact(payload)
        except OutcomeUnknown:
            email = payload.email
            if not email:
                raise  # nothing unique to look it up by: the user must check
            found = await self.client.find_contact_by_email(email)
            if found is None:
                raise OutcomeUnknown(
                    "The server did not confirm the new contact and it does not exist; "
                    "it is safe to try again."
                ) from None
            log.info("create of %s reconciled by email lookup", found.id)
            contact = found
        return self._store(contact)

    async def update(self, contact_id: str, edited: Mapping[str, Any]) -> Contact:
        """Send only the fields that changed (compared with the cached contact)."""
        cached = self.partition.contacts.get(contact_id)
        before = parse(Contact, cached) if cached else await self.client.get_contact(contact_id)
        changes = contact_update(
            before,
            edited,
            default_region=self.default_region,
            custom_field_definitions=self.field_definitions(),
        )
        body = changes.to_body()
        if not body:
            return before
        try:
            contact = await self.client.update_contact(contact_id, changes)
        except NotFound:
            self._forget(contact_id)
            raise
        return self._store(contact)

    async def delete(self, contact_id: str) -> None:
        """Delete (the server soft-deletes; its conversations go and upcoming appointments are
        cancelled). Already gone counts as done."""
        try:
            await self.client.delete_contact(contact_id)
        except NotFound:
            pass
        self._forget(contact_id)

    def _forget(self, contact_id: str) -> None:
        self.partition.contacts.delete_ids([contact_id])
        self.bus.publish(ContactsChanged(self.scope, deleted=frozenset({contact_id})))
