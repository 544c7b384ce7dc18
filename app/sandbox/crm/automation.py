"""Workflow triggers, event injection (docs/api/seedly-crm.md §8) and public form submissions
(docs/api/seedly-crm.md §2).

Workflows have no public API; the demo seed creates them in every sub-account (see
``DEMO_WORKFLOWS``) and ``/_sandbox/workflows`` lists them with their slugs and,
for the demo, their signing secrets. A workflow starts an *execution*:

* through ``POST /webhooks/workflow/{slug}`` when its trigger is "Inbound
  Webhook", or
* when a matching event is recorded (e.g. "Welcome Series" on
  ``contact.created`` with the tag ``website-lead``: docs/api/seedly-crm.md §5, "Triggers
  matching workflow automations").

An execution of a workflow without a goal completes at once. One with a goal
node stays ``running``, waiting for a custom event type, until ``POST
/webhooks/event/{slug}`` delivers that type; deleting its contact cancels it
(docs/api/seedly-crm.md §5 cascade).

Choices where the API notes are silent:

* Slugs are unique across the whole deployment (the URL names no sub-account),
  so demo slugs start with the sub-account's handle: ``harbor-dental-new-lead-intake``.
* ``triggered`` counts executions started: 0 for a paused workflow, or for a
  workflow that does not allow re-entry when the contact already has a running one.
* Event injection answers ``{"ok": true, "matched": N}`` (the API notes show no body),
  N being the executions that received the event and completed. Without
  ``contactId`` every waiting execution of the workflow matches.
* A ``contactId`` that is not a live contact of the workflow's sub-account is a
  404; ``email`` only looks a contact up (a trigger never creates one).
* When a workflow has a secret, a missing or wrong ``X-Webhook-Signature`` is a
  401 UNAUTHORIZED, checked before the body is even parsed. Without a secret
  the header is ignored.
* Forms: ``fields.firstName``, ``fields.lastName`` and ``fields.email`` are
  required. Contact profile fields and custom fields (by name, or inside
  ``fields.customFields``) are written to the contact with the Contacts API's
  rules; other keys (a "message" box...) are kept only in the submission. The
  public cannot set tags, lifecycle stage, owner or source: the form's own
  tags are added and a new contact's source is ``form``. A new contact is
  created with one ``contact.created``; an existing one (same email) is
  updated with the usual ``contact.updated``/``tag_added`` events. CAPTCHA
  refusals are 400 VALIDATION_ERROR naming ``captchaToken``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from app.sandbox import clock, events
from app.sandbox.crm import contacts
from app.sandbox.http import ApiError, Body, Ctx, Param, Reply, not_found, validation
from app.sandbox.registry import Registry
from app.sandbox.seed import SeedContext
from app.sandbox.store import Store, dumps, loads, new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS workflows (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    trigger_type TEXT NOT NULL CHECK (trigger_type IN ('inbound_webhook', 'event')),
    trigger_event TEXT,
    trigger_filter TEXT NOT NULL,
    goal_event_type TEXT,
    steps TEXT NOT NULL,
    secret TEXT,
    is_active INTEGER NOT NULL,
    allow_reentry INTEGER NOT NULL,
    position INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS workflows_by_trigger ON workflows (sub_account_id, trigger_event);
CREATE TABLE IF NOT EXISTS workflow_executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    workflow_id TEXT NOT NULL,
    sub_account_id TEXT NOT NULL,
    contact_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled')),
    waiting_for TEXT,
    trigger TEXT NOT NULL,
    received TEXT NOT NULL,
    cancel_reason TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    finished_ms INTEGER
);
CREATE INDEX IF NOT EXISTS workflow_executions_by_workflow
    ON workflow_executions (workflow_id, status, waiting_for);
CREATE INDEX IF NOT EXISTS workflow_executions_by_contact
    ON workflow_executions (sub_account_id, contact_id, status);
CREATE TABLE IF NOT EXISTS forms (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    requires_captcha INTEGER NOT NULL,
    tags TEXT NOT NULL,
    fields TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS form_submissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    form_id TEXT NOT NULL,
    sub_account_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    created_contact INTEGER NOT NULL,
    fields TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS form_submissions_by_form ON form_submissions (form_id, seq);
"""

SIGNATURE_HEADER = "x-webhook-signature"
SANDBOX_CAPTCHA_TOKEN = "sandbox-captcha-ok"
MAX_FORM_FIELDS = 100
EVENT_TYPE_MAX = 100

# Contact fields a public form may write (the rest are the business's to set).
FORM_CONTACT_FIELDS = (
    "firstName",
    "lastName",
    "email",
    "phone",
    "company",
    "title",
    "addressLine1",
    "city",
    "state",
    "postalCode",
    "country",
    "dateOfBirth",
    "additionalEmails",
    "additionalPhones",
)


# -- workflows -----------------------------------------------------------------------------


def workflow_by_slug(store: Store, slug: str) -> Any:
    """The workflow with this slug (any sub-account), or a 404."""
    row = store.one("SELECT * FROM workflows WHERE slug = ?", (slug,))
    if row is None:
        raise ApiError(404, "NOT_FOUND", f"No workflow with the slug {slug}")
    return row


def check_signature(ctx: Ctx, workflow: Any) -> None:
    """Require a valid ``X-Webhook-Signature`` over the raw body when the workflow has a secret."""
    secret = workflow["secret"]
    if not secret:
        return
    header = (ctx.request.headers.get(SIGNATURE_HEADER) or "").strip()
    if not header:
        raise ApiError(
            401,
            "UNAUTHORIZED",
            "This workflow has a signing secret, so X-Webhook-Signature is required: "
            "sha256={hex HMAC-SHA256 of the raw request body with the workflow's signing secret}.",
        )
    expected = "sha256=" + hmac.new(secret.encode(), ctx.raw_body, hashlib.sha256).hexdigest()
    scheme, _, digest = header.partition("=")
    given = f"{scheme.lower()}={digest.lower()}"
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
        raise ApiError(
            401,
            "UNAUTHORIZED",
            "X-Webhook-Signature does not match the request body. Sign the exact raw body with "
            "HMAC-SHA256 using the workflow's signing secret and send sha256={hex}.",
        )


def contact_by_email(store: Store, sub_account_id: str, email: str) -> dict[str, Any] | None:
    """The live contact with this email (case-insensitive) in the sub-account, or None."""
    row = store.one(
        "SELECT id FROM contacts "
        "WHERE sub_account_id = ? AND email_lower = ? AND deleted_ms IS NULL",
        (sub_account_id, email.lower()),
    )
    return None if row is None else contacts.load(store, sub_account_id, row["id"])


def _live_contact(store: Store, sub_account_id: str, contact_id: str) -> dict[str, Any]:
    doc = contacts.load(store, sub_account_id, contact_id)
    if doc is None:
        raise ApiError(
            404, "NOT_FOUND", f"Contact {contact_id} not found in this workflow's sub-account"
        )
    return doc


def start_execution(
    store: Store,
    workflow: Any,
    contact_id: str | None,
    trigger: dict[str, Any],
    *,
    now_ms: int | None = None,
    execution_id: str | None = None,
) -> str | None:
    """Start one execution of ``workflow``; returns its id, or None when it does not start.

    A paused workflow starts nothing; a workflow without re-entry starts nothing
    for a contact that already has a running execution of it.
    """
    if not workflow["is_active"]:
        return None
    if (
        contact_id
        and not workflow["allow_reentry"]
        and store.one(
            "SELECT 1 FROM workflow_executions WHERE workflow_id = ? AND contact_id = ? "
            "AND status = 'running'",
            (workflow["id"], contact_id),
        )
        is not None
    ):
        return None
    now = store.clock.now_ms() if now_ms is None else now_ms
    goal = workflow["goal_event_type"]
    execution_id = execution_id or new_id("wfx")
    store.run(
        "INSERT INTO workflow_executions (id, workflow_id, sub_account_id, contact_id, status, "
        "waiting_for, trigger, received, created_ms, updated_ms, finished_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)",
        (
            execution_id,
            workflow["id"],
            workflow["sub_account_id"],
            contact_id,
            "running" if goal else "completed",
            goal,
            dumps(trigger),
            now,
            now,
            None if goal else now,
        ),
    )
    return execution_id


def deliver_event(
    store: Store, workflow: Any, event_type: str, contact_id: str | None, data: Any
) -> int:
    """Hand a custom event to the executions waiting for it; they complete. Returns how many."""
    where = ["workflow_id = ?", "status = 'running'", "waiting_for = ?"]
    params: list[Any] = [workflow["id"], event_type]
    if contact_id:
        where.append("contact_id = ?")
        params.append(contact_id)
    rows = store.all(
        f"SELECT id, received FROM workflow_executions WHERE {' AND '.join(where)}", params
    )
    now = store.clock.now_ms()
    for row in rows:
        received = [
            *loads(row["received"]),
            {
                "eventType": event_type,
                "contactId": contact_id,
                "data": data,
                "receivedAt": clock.iso(now),
            },
        ]
        store.run(
            "UPDATE workflow_executions SET status = 'completed', waiting_for = NULL, "
            "received = ?, updated_ms = ?, finished_ms = ? WHERE id = ?",
            (dumps(received), now, now, row["id"]),
        )
    return len(rows)


def trigger_workflow(ctx: Ctx) -> Reply:
    """Start the Inbound Webhook workflow at ``slug``; answers ``{"ok": true, "triggered": N}``."""
    workflow = workflow_by_slug(ctx.store, ctx.path["slug"])
    if workflow["trigger_type"] != "inbound_webhook":
        raise ApiError(
            404, "NOT_FOUND", f"Workflow {workflow['slug']} has no Inbound Webhook trigger"
        )
    check_signature(ctx, workflow)
    body = ctx.body
    sub = workflow["sub_account_id"]
    contact_id = body.str("contactId", max_len=100)
    email = body.str("email", max_len=320)
    if contact_id:
        _live_contact(ctx.store, sub, contact_id)
    elif email:
        found = contact_by_email(ctx.store, sub, contacts.normalise_email(email, "email"))
        contact_id = found["id"] if found else None
    trigger = {"source": "webhook", "body": body.data}
    started = start_execution(ctx.store, workflow, contact_id or None, trigger)
    return Reply(raw={"ok": True, "triggered": 1 if started else 0})


def inject_event(ctx: Ctx) -> Reply:
    """Deliver ``{eventType, contactId?, data?}`` to the workflow's waiting executions."""
    workflow = workflow_by_slug(ctx.store, ctx.path["slug"])
    check_signature(ctx, workflow)
    body = ctx.body
    event_type = body.str("eventType", required=True, max_len=EVENT_TYPE_MAX)
    assert event_type is not None
    contact_id = body.str("contactId", max_len=100)
    if contact_id:
        _live_contact(ctx.store, workflow["sub_account_id"], contact_id)
    data = body.raw("data")
    if data is not None and not isinstance(data, dict):
        raise validation("data must be an object", "data")
    matched = deliver_event(ctx.store, workflow, event_type, contact_id or None, data)
    return Reply(raw={"ok": True, "matched": matched})


def _filter_matches(spec: dict[str, Any], data: dict[str, Any]) -> bool:
    for key, wanted in spec.items():
        if key == "tag":
            if wanted not in (data.get("tags") or []):
                return False
        elif data.get(key) != wanted:
            return False
    return True


def start_on_event(
    store: Store, sub_account_id: str, event_id: str, payload: dict[str, Any]
) -> None:
    """Event listener: start the workflows triggered by this event (when their filter matches)."""
    rows = store.all(
        "SELECT * FROM workflows WHERE sub_account_id = ? AND trigger_type = 'event' "
        "AND trigger_event = ? AND is_active = 1",
        (sub_account_id, payload["event"]),
    )
    data = payload.get("data") or {}
    for workflow in rows:
        if not _filter_matches(loads(workflow["trigger_filter"]), data):
            continue
        contact_id = data.get("contactId")
        if (
            not isinstance(contact_id, str)
            or contacts.load(store, sub_account_id, contact_id) is None
        ):
            contact_id = None
        start_execution(
            store,
            workflow,
            contact_id,
            {"source": "event", "event": payload["event"], "eventId": event_id},
        )


def cancel_for_contact(store: Store, sub_account_id: str, contact_id: str) -> None:
    """docs/api/seedly-crm.md §5: deleting a contact cancels its running workflow executions."""
    now = store.clock.now_ms()
    store.run(
        "UPDATE workflow_executions SET status = 'cancelled', waiting_for = NULL, "
        "cancel_reason = 'contact deleted', updated_ms = ?, finished_ms = ? "
        "WHERE sub_account_id = ? AND contact_id = ? AND status = 'running'",
        (now, now, sub_account_id, contact_id),
    )


def render_workflow(row: Any, base_url: str) -> dict[str, Any]:
    """A workflow for tools and tests, secret included (the sandbox's demo secrets)."""
    inbound = row["trigger_type"] == "inbound_webhook"
    return {
        "id": row["id"],
        "subAccountId": row["sub_account_id"],
        "name": row["name"],
        "slug": row["slug"],
        "description": row["description"],
        "triggerType": row["trigger_type"],
        "triggerEvent": row["trigger_event"],
        "triggerFilter": loads(row["trigger_filter"]),
        "goalEventType": row["goal_event_type"],
        "steps": loads(row["steps"]),
        "isActive": bool(row["is_active"]),
        "allowReentry": bool(row["allow_reentry"]),
        "hasSecret": bool(row["secret"]),
        "secret": row["secret"],
        "triggerUrl": f"{base_url}/webhooks/workflow/{row['slug']}" if inbound else None,
        "eventUrl": f"{base_url}/webhooks/event/{row['slug']}",
        "createdAt": clock.iso(row["created_ms"]),
    }


def render_execution(row: Any) -> dict[str, Any]:
    """One workflow execution."""
    return {
        "id": row["id"],
        "workflowId": row["workflow_id"],
        "workflowSlug": row["slug"],
        "workflowName": row["name"],
        "subAccountId": row["sub_account_id"],
        "contactId": row["contact_id"],
        "status": row["status"],
        "waitingFor": row["waiting_for"],
        "trigger": loads(row["trigger"]),
        "receivedEvents": loads(row["received"]),
        "cancelReason": row["cancel_reason"],
        "createdAt": clock.iso(row["created_ms"]),
        "updatedAt": clock.iso(row["updated_ms"]),
        "finishedAt": clock.iso(row["finished_ms"]) if row["finished_ms"] else None,
    }


def list_workflows(ctx: Ctx) -> Reply:
    """Every workflow (``?subAccountId=`` to narrow), with slug, URLs and secret."""
    sub = ctx.query.str("subAccountId", max_len=100)
    rows = ctx.store.all(
        "SELECT w.* FROM workflows w JOIN sub_accounts s ON s.id = w.sub_account_id "
        "WHERE (? IS NULL OR w.sub_account_id = ?) ORDER BY s.position, w.position",
        (sub, sub),
    )
    return Reply([render_workflow(r, ctx.state.base_url) for r in rows])


def list_executions(ctx: Ctx) -> Reply:
    """Executions, newest first: ``?workflow=ID|SLUG&contactId=&status=&subAccountId=&limit=``."""
    q = ctx.query
    where, params = q.equals((("contactId", "e.contact_id"), ("subAccountId", "e.sub_account_id")))
    workflow = q.str("workflow", max_len=200)
    if workflow:
        where.append("(w.id = ? OR w.slug = ?)")
        params += [workflow, workflow]
    status = q.str("status", choices=("running", "completed", "cancelled"))
    if status:
        where.append("e.status = ?")
        params.append(status)
    limit = q.int("limit", default=200, minimum=1, maximum=2000)
    rows = ctx.store.all(
        "SELECT e.*, w.slug, w.name FROM workflow_executions e "
        "JOIN workflows w ON w.id = e.workflow_id "
        f"WHERE {' AND '.join(where)} ORDER BY e.seq DESC LIMIT ?",
        [*params, limit],
    )
    return Reply([render_execution(r) for r in rows])


# -- forms ---------------------------------------------------------------------------------


def _check_captcha(form: Any, token: str | None) -> None:
    if not form["requires_captcha"]:
        return
    if not token:
        raise validation(
            f"captchaToken is required: the form {form['name']} has CAPTCHA enabled "
            f'(in the sandbox the token "{SANDBOX_CAPTCHA_TOKEN}" passes)',
            "captchaToken",
        )
    if not hmac.compare_digest(token.encode(), SANDBOX_CAPTCHA_TOKEN.encode()):
        raise validation(
            "captchaToken was rejected: the CAPTCHA check failed. Solve the CAPTCHA again "
            f'(in the sandbox only "{SANDBOX_CAPTCHA_TOKEN}" passes)',
            "captchaToken",
        )


def _contact_input(store: Store, sub_account_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The part of a submission that goes to the contact, custom fields gathered."""
    custom_names = {d["name"] for d in contacts.field_definitions(store, sub_account_id)}
    out = {name: fields[name] for name in FORM_CONTACT_FIELDS if name in fields}
    custom: dict[str, Any] = {}
    if "customFields" in fields:
        given = fields["customFields"]
        if given is not None and not isinstance(given, dict):
            raise validation("fields.customFields must be an object", "fields.customFields")
        custom.update(given or {})
    for name, value in fields.items():
        if name in custom_names and name not in FORM_CONTACT_FIELDS:
            custom[name] = value
    if custom:
        out["customFields"] = custom
    return out


def submit(store: Store, form: Any, fields: dict[str, Any]) -> tuple[str, dict[str, Any], bool]:
    """Create or update the contact of a submission, record it and fire ``form.submitted``.

    Returns (submission id, contact, created). Raises VALIDATION_ERROR before
    writing anything when a field breaks the Contacts API's rules.
    """
    sub = form["sub_account_id"]
    missing = [
        n
        for n in ("firstName", "lastName", "email")
        if not isinstance(fields.get(n), str) or not fields[n].strip()
    ]
    if missing:
        raise validation(
            f"fields.{missing[0]} is required "
            "(a form submission needs firstName, lastName and email)",
            f"fields.{missing[0]}",
        )
    given = _contact_input(store, sub, fields)
    email = contacts.normalise_email(fields["email"].strip(), "email")
    existing = contact_by_email(store, sub, email)
    # Validated as a change to the current contact (or to an empty one): a
    # submission creating a contact is the system's own creation, so required
    # custom fields the form does not collect do not block it (as with booking).
    changes = contacts.clean_fields(store, sub, Body(given), existing or {})
    form_tags = loads(form["tags"])
    if existing is not None:
        # The email matched case-insensitively; the form's spelling must not rewrite it.
        changes.pop("email", None)
        tags = existing.get("tags") or []
        if any(t not in tags for t in form_tags):
            changes["tags"] = [*tags, *(t for t in form_tags if t not in tags)]
        doc = contacts.update_contact(store, sub, existing, changes)
        created = False
    else:
        doc = contacts.insert_contact(
            store, sub, {**changes, "source": "form", "tags": list(form_tags)}
        )
        created = True
    submission_id = new_id("fsub")
    now = store.clock.now_ms()
    store.run(
        "INSERT INTO form_submissions (id, form_id, sub_account_id, contact_id, created_contact, "
        "fields, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (submission_id, form["id"], sub, doc["id"], int(created), dumps(fields), now),
    )
    data: dict[str, Any] = {
        "contactId": doc["id"],
        "formId": form["id"],
        "formName": form["name"],
        "submissionId": submission_id,
        "fields": fields,
    }
    if doc.get("tags"):
        data["tags"] = doc["tags"]
    events.emit(store, sub, "form.submitted", data)
    return submission_id, doc, created


def submit_form(ctx: Ctx) -> Reply:
    """Public form submission: ``{subAccountId, formId, fields, captchaToken?}`` → 201."""
    body = ctx.body
    sub = body.str("subAccountId", required=True, max_len=100)
    form_id = body.str("formId", required=True, max_len=100)
    fields = body.obj("fields", required=True)
    token = body.str("captchaToken", max_len=4000)
    assert fields is not None
    if ctx.store.one("SELECT 1 FROM sub_accounts WHERE id = ?", (sub,)) is None:
        raise ApiError(404, "NOT_FOUND", f"Sub-account {sub} not found")
    form = ctx.store.one("SELECT * FROM forms WHERE id = ? AND sub_account_id = ?", (form_id, sub))
    if form is None:
        raise not_found("Form")
    _check_captcha(form, token)
    if len(fields) > MAX_FORM_FIELDS:
        raise validation(f"fields has too many entries (at most {MAX_FORM_FIELDS})", "fields")
    submission_id, doc, created = submit(ctx.store, form, fields)
    return Reply(
        {"submissionId": submission_id, "contactId": doc["id"], "created": created}, status=201
    )


def render_form(row: Any) -> dict[str, Any]:
    """A form definition for tools and tests."""
    return {
        "id": row["id"],
        "subAccountId": row["sub_account_id"],
        "name": row["name"],
        "requiresCaptcha": bool(row["requires_captcha"]),
        "tags": loads(row["tags"]),
        "fields": loads(row["fields"]),
        "createdAt": clock.iso(row["created_ms"]),
    }


def list_forms(ctx: Ctx) -> Reply:
    """Every form (``?subAccountId=`` to narrow)."""
    sub = ctx.query.str("subAccountId", max_len=100)
    rows = ctx.store.all(
        "SELECT f.* FROM forms f JOIN sub_accounts s ON s.id = f.sub_account_id "
        "WHERE (? IS NULL OR f.sub_account_id = ?) ORDER BY s.position, f.position",
        (sub, sub),
    )
    return Reply([render_form(r) for r in rows])


def list_submissions(ctx: Ctx) -> Reply:
    """Submissions, newest first: ``?formId=&subAccountId=&contactId=&limit=``."""
    q = ctx.query
    where, params = q.equals(
        (
            ("formId", "form_id"),
            ("subAccountId", "sub_account_id"),
            ("contactId", "contact_id"),
        )
    )
    limit = q.int("limit", default=200, minimum=1, maximum=2000)
    rows = ctx.store.all(
        f"SELECT * FROM form_submissions WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
        [*params, limit],
    )
    return Reply(
        [
            {
                "id": r["id"],
                "formId": r["form_id"],
                "subAccountId": r["sub_account_id"],
                "contactId": r["contact_id"],
                "createdContact": bool(r["created_contact"]),
                "fields": loads(r["fields"]),
                "createdAt": clock.iso(r["created_ms"]),
            }
            for r in rows
        ]
    )


# -- demo seed -----------------------------------------------------------------------------

# slug suffix, name, description, trigger type, trigger event, filter, goal, secret?, active,
# re-entry, steps
DEMO_WORKFLOWS: tuple[tuple[Any, ...], ...] = (
    (
        "new-lead-intake",
        "New Lead Intake",
        "Leads pushed from a website or ad platform get tagged and assigned.",
        "inbound_webhook",
        None,
        {},
        None,
        False,
        True,
        True,
        [
            "Find contact by id or email",
            "Add tag: website-lead",
            "Assign to the next team member",
            "Send internal notification",
        ],
    ),
    (
        "payment-received",
        "Payment Received",
        "A payment processor reports a payment; the contact becomes a customer.",
        "inbound_webhook",
        None,
        {},
        None,
        True,
        True,
        True,
        ["Verify signature", "Set lifecycle stage: customer", "Send receipt email"],
    ),
    (
        "quote-follow-up",
        "Quote Follow-up",
        "Sends a quote and waits until the customer accepts it.",
        "inbound_webhook",
        None,
        {},
        "quote_accepted",
        False,
        True,
        False,
        ["Send quote email", "Goal: wait for quote_accepted", "Create onboarding task"],
    ),
    (
        "invoice-payment",
        "Invoice Payment Plan",
        "Reminds the contact about an invoice until the payment completes.",
        "inbound_webhook",
        None,
        {},
        "payment_completed",
        True,
        True,
        False,
        ["Send invoice reminder", "Goal: wait for payment_completed", "Send thank-you SMS"],
    ),
    (
        "welcome-series",
        "Welcome Series",
        "Welcomes every new contact tagged website-lead until they first reply.",
        "event",
        "contact.created",
        {"tag": "website-lead"},
        "first_reply",
        False,
        True,
        False,
        ["Send welcome email", "Wait 2 days", "Goal: wait for first_reply"],
    ),
    (
        "win-back",
        "Win-back Campaign (paused)",
        "Re-engages inactive customers; paused, so triggers start nothing.",
        "inbound_webhook",
        None,
        {},
        None,
        False,
        False,
        True,
        ["Send win-back offer"],
    ),
)

DEMO_FORMS: dict[str, tuple[tuple[str, bool, list[str], list[str]], ...]] = {
    # name, requires CAPTCHA, tags added, fields shown
    "sub_harbor_dental": (
        (
            "Contact Us",
            False,
            ["website-lead"],
            ["firstName", "lastName", "email", "phone", "message"],
        ),
        (
            "New Patient Request",
            True,
            ["new-patient"],
            [
                "firstName",
                "lastName",
                "email",
                "phone",
                "dateOfBirth",
                "insurance_provider",
                "preferred_language",
            ],
        ),
    ),
    "sub_summit_roofing": (
        (
            "Contact Us",
            False,
            ["website-lead"],
            ["firstName", "lastName", "email", "phone", "message"],
        ),
        (
            "Free Roof Inspection",
            True,
            ["inspection-request"],
            ["firstName", "lastName", "email", "phone", "addressLine1", "city", "property_type"],
        ),
    ),
}


def account_handle(sub_account_id: str) -> str:
    """The slug prefix of a sub-account's workflows: ``sub_harbor_dental`` → ``harbor-dental``."""
    return sub_account_id.removeprefix("sub_").replace("_", "-")


def seed_automation(store: Store, ctx: SeedContext) -> None:
    """Workflows and forms in every mode; a history of executions in the demo."""
    for acct in ctx.accounts:
        rng = ctx.rng("automation", acct.id)
        handle = account_handle(acct.id)
        workflows: list[Any] = []
        for pos, (
            suffix,
            name,
            description,
            ttype,
            tevent,
            tfilter,
            goal,
            has_secret,
            active,
            reentry,
            steps,
        ) in enumerate(DEMO_WORKFLOWS):
            secret = f"whsec_{rng.getrandbits(192):048x}" if has_secret else None
            workflow_id = ctx.make_id(rng, "wf")
            store.run(
                "INSERT INTO workflows (id, sub_account_id, name, slug, description, trigger_type, "
                "trigger_event, trigger_filter, goal_event_type, steps, secret, is_active, "
                "allow_reentry, position, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    workflow_id,
                    acct.id,
                    name,
                    f"{handle}-{suffix}",
                    description,
                    ttype,
                    tevent,
                    dumps(tfilter),
                    goal,
                    dumps(steps),
                    secret,
                    int(active),
                    int(reentry),
                    pos,
                    ctx.now_ms - (200 - pos) * 86_400_000,
                ),
            )
            workflows.append(store.one("SELECT * FROM workflows WHERE id = ?", (workflow_id,)))
        for pos, (name, captcha, tags, shown) in enumerate(
            DEMO_FORMS.get(acct.id, DEMO_FORMS["sub_harbor_dental"])
        ):
            store.run(
                "INSERT INTO forms (id, sub_account_id, name, requires_captcha, tags, fields, "
                "position, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ctx.make_id(rng, "form"),
                    acct.id,
                    name,
                    int(captcha),
                    dumps(tags),
                    dumps(shown),
                    pos,
                    ctx.now_ms - (150 - pos) * 86_400_000,
                ),
            )
        if ctx.demo:
            _seed_history(store, ctx, acct.id, workflows)


def _seed_history(
    store: Store, ctx: SeedContext, sub_account_id: str, workflows: list[Any]
) -> None:
    rng = ctx.rng("executions", sub_account_id)
    contact_ids = [
        r["id"]
        for r in store.all(
            "SELECT id FROM contacts WHERE sub_account_id = ? AND deleted_ms IS NULL "
            "ORDER BY id LIMIT 200",
            (sub_account_id,),
        )
    ]
    if not contact_ids:
        return
    active = [w for w in workflows if w["is_active"]]
    for i in range(14):
        workflow = active[i % len(active)]  # every active workflow has some history
        contact_id = rng.choice(contact_ids)
        created = ctx.now_ms - rng.randint(1, 60) * 86_400_000 - rng.randint(0, 86_399_999)
        trigger: dict[str, Any] = (
            {"source": "event", "event": workflow["trigger_event"]}
            if workflow["trigger_type"] == "event"
            else {"source": "webhook", "body": {"contactId": contact_id}}
        )
        execution_id = start_execution(
            store,
            workflow,
            contact_id,
            trigger,
            now_ms=created,
            execution_id=ctx.make_id(rng, "wfx"),
        )
        goal = workflow["goal_event_type"]
        if execution_id is None or not goal or rng.random() < 0.4:
            continue  # completed at once, or still waiting for its goal
        done = created + rng.randint(1, 5 * 86_400) * 1000
        received = [
            {"eventType": goal, "contactId": contact_id, "data": {}, "receivedAt": clock.iso(done)}
        ]
        store.run(
            "UPDATE workflow_executions SET status = 'completed', waiting_for = NULL, "
            "received = ?, updated_ms = ?, finished_ms = ? WHERE id = ?",
            (dumps(received), done, done, execution_id),
        )


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    router.add(
        "POST",
        "/webhooks/workflow/{slug}",
        trigger_workflow,
        auth="public",
        # Any JSON object (docs/api/seedly-crm.md §8); these are the fields the trigger reads.
        body=(
            Param.text("contactId", max_len=100),
            Param.text("email", max_len=320),
            Param.any("customData"),
        ),
    )
    router.add(
        "POST",
        "/webhooks/event/{slug}",
        inject_event,
        auth="public",
        body=(
            Param.text("eventType", required=True, max_len=EVENT_TYPE_MAX),
            Param.text("contactId", max_len=100),
            Param.any("data"),
        ),
    )
    registry.hooks.event_listeners.append(start_on_event)
    registry.hooks.contact_deleted.append(cancel_for_contact)
    by_account = (Param.text("subAccountId", max_len=100),)
    router.add("GET", "/_sandbox/workflows", list_workflows, auth="control", query=by_account)
    router.add(
        "GET",
        "/_sandbox/workflow-executions",
        list_executions,
        auth="control",
        query=(
            Param.text("contactId", max_len=200),
            *by_account,
            Param.text("workflow", max_len=200),
            Param.text("status", choices=("running", "completed", "cancelled")),
            Param.integer("limit", minimum=1, maximum=2000),
        ),
    )
    router.add(
        "POST",
        "/api/forms/submit",
        submit_form,
        auth="public",
        body=(
            Param.text("subAccountId", required=True, max_len=100),
            Param.text("formId", required=True, max_len=100),
            Param.object("fields", required=True),
            Param.text("captchaToken", max_len=4000),
        ),
    )
    router.add("GET", "/_sandbox/forms", list_forms, auth="control", query=by_account)
    router.add(
        "GET",
        "/_sandbox/form-submissions",
        list_submissions,
        auth="control",
        query=(
            Param.text("formId", max_len=200),
            *by_account,
            Param.text("contactId", max_len=200),
            Param.integer("limit", minimum=1, maximum=2000),
        ),
    )
    registry.seeder(50, seed_automation)
