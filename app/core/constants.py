"""Constants of the two API contracts, shared by the client and the sandbox.

Only plain values live here (no models): the sandbox may import this module,
and nothing else from the client side, so that a contract mistake in the
client's models cannot hide behind a shared model.
"""

from __future__ import annotations

API_VERSION = "v1"

# Seedly CRM key prefixes (docs/api/seedly-crm.md §2).
SUB_ACCOUNT_KEY_PREFIXES = ("sk_live_", "sk_test_")
AGENCY_KEY_PREFIXES = ("sk_agency_live_", "sk_agency_test_")

SCOPES = (
    "contacts:read",
    "contacts:write",
    "conversations:read",
    "conversations:write",
    "calendars:read",
    "calendars:write",
    "webhooks:manage",
)
RECOMMENDED_SCOPES = (
    "contacts:read",
    "contacts:write",
    "conversations:read",
    "conversations:write",
    "calendars:read",
)

CHANNELS = ("sms", "email", "messenger", "instagram", "gmail", "live_chat", "social_dm")
SEND_CHANNELS = ("sms", "email", "gmail", "messenger", "instagram", "social_dm")
CONVERSATION_STATUSES = ("open", "closed", "snoozed")
MESSAGE_STATUSES = ("pending", "sent", "delivered", "read", "failed", "bounced")
MESSAGE_DIRECTIONS = ("inbound", "outbound")
LIFECYCLE_STAGES = ("lead", "qualified", "customer", "repeat", "inactive")
CUSTOM_FIELD_TYPES = ("text", "number", "select", "date", "boolean", "url", "email", "phone")
CALENDAR_TYPES = ("personal", "round_robin", "collective", "class")
APPOINTMENT_STATUSES = ("scheduled", "confirmed", "completed", "cancelled", "no_show")

WEBHOOK_EVENTS = (
    "contact.created",
    "contact.updated",
    "contact.lifecycle_changed",
    "contact.tag_added",
    "opportunity.created",
    "opportunity.updated",
    "opportunity.stage_changed",
    "opportunity.won",
    "opportunity.lost",
    "opportunity.deleted",
    "message.received",
    "message.sent",
    "message.delivered",
    "message.failed",
    "appointment.booked",
    "appointment.cancelled",
    "appointment.rescheduled",
    "appointment.confirmed",
    "appointment.completed",
    "appointment.no_show",
    "form.submitted",
    "invoice.paid",
    "task.created",
    "task.updated",
    "task.completed",
    "task.deleted",
)

ERROR_CODES = (
    "VALIDATION_ERROR",
    "UNAUTHORIZED",
    "KEY_EXPIRED",
    "KEY_REVOKED",
    "FORBIDDEN",
    "NOT_FOUND",
    "RATE_LIMITED",
    "INTERNAL_ERROR",
)

# Pagination limits per list ("default 50, max N": docs/api/seedly-crm.md §4, §5, §6).
LIST_LIMITS = {
    "contacts": (50, 100),
    "conversations": (50, 200),
    "messages": (50, 100),
    "appointments": (50, 200),
}

WEBHOOK_SIGNATURE_HEADER = "X-Webhook-Signature"
WEBHOOK_EVENT_HEADER = "X-Webhook-Event"
WEBHOOK_DELIVERY_HEADER = "X-Webhook-Delivery"
WEBHOOK_USER_AGENT = "Seedly-CRM-Webhook/1.0"

# --- Seamless.AI ------------------------------------------------------------------------
# The industry taxonomy of Seamless search. The API names "a fixed list of ~150
# values grouped under parents such as 'Software & Information Technology' → 'Computer
# Software', 'Software Development'" (contact search) and "a LinkedIn-style list" (company
# search) without spelling it out (docs/api/seamless.md, "Search"); this is the list the
# sandbox serves. Contact search accepts a parent (all its industries) or an industry;
# company search accepts industries.
SEAMLESS_INDUSTRY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Software & Information Technology",
        (
            "Computer Software",
            "Software Development",
            "Information Technology and Services",
            "Internet",
            "Computer & Network Security",
            "Computer Games",
            "Computer Hardware",
            "Computer Networking",
            "Information Services",
            "Semiconductors",
            "Nanotechnology",
        ),
    ),
    ("Telecommunications & Wireless", ("Telecommunications", "Wireless")),
    (
        "Business Services",
        (
            "Accounting",
            "Management Consulting",
            "Human Resources",
            "Staffing & Recruiting",
            "Outsourcing/Offshoring",
            "Market Research",
            "Marketing & Advertising",
            "Public Relations & Communications",
            "Facilities Services",
            "Events Services",
            "Executive Office",
            "Business Supplies & Equipment",
            "Professional Training & Coaching",
            "Program Development",
            "Translation & Localization",
            "Writing & Editing",
            "Security & Investigations",
        ),
    ),
    (
        "Finance & Insurance",
        (
            "Banking",
            "Capital Markets",
            "Financial Services",
            "Investment Banking",
            "Investment Management",
            "Venture Capital & Private Equity",
            "Insurance",
            "Fund-Raising",
        ),
    ),
    (
        "Healthcare & Life Sciences",
        (
            "Hospital & Health Care",
            "Medical Practice",
            "Medical Devices",
            "Mental Health Care",
            "Pharmaceuticals",
            "Biotechnology",
            "Alternative Medicine",
            "Health, Wellness & Fitness",
            "Veterinary",
        ),
    ),
    (
        "Manufacturing",
        (
            "Automotive",
            "Aviation & Aerospace",
            "Chemicals",
            "Electrical/Electronic Manufacturing",
            "Industrial Automation",
            "Machinery",
            "Mechanical or Industrial Engineering",
            "Plastics",
            "Glass, Ceramics & Concrete",
            "Packaging & Containers",
            "Paper & Forest Products",
            "Textiles",
            "Railroad Manufacture",
            "Shipbuilding",
            "Consumer Electronics",
            "Furniture",
            "Printing",
            "Tobacco",
            "Defense & Space",
        ),
    ),
    (
        "Retail & Consumer Goods",
        (
            "Retail",
            "Apparel & Fashion",
            "Consumer Goods",
            "Consumer Services",
            "Cosmetics",
            "Luxury Goods & Jewelry",
            "Sporting Goods",
            "Supermarkets",
            "Wholesale",
            "Import & Export",
            "Individual & Family Services",
            "Arts & Crafts",
        ),
    ),
    (
        "Food, Hospitality & Leisure",
        (
            "Food & Beverages",
            "Food Production",
            "Restaurants",
            "Hospitality",
            "Wine & Spirits",
            "Dairy",
            "Leisure, Travel & Tourism",
            "Gambling & Casinos",
            "Recreational Facilities & Services",
        ),
    ),
    (
        "Real Estate & Construction",
        (
            "Real Estate",
            "Commercial Real Estate",
            "Construction",
            "Architecture & Planning",
            "Civil Engineering",
            "Building Materials",
        ),
    ),
    (
        "Education & Research",
        (
            "Higher Education",
            "Primary/Secondary Education",
            "E-Learning",
            "Education Management",
            "Libraries",
            "Research",
            "Think Tanks",
        ),
    ),
    (
        "Media & Entertainment",
        (
            "Broadcast Media",
            "Entertainment",
            "Media Production",
            "Motion Pictures & Film",
            "Music",
            "Newspapers",
            "Online Media",
            "Publishing",
            "Animation",
            "Performing Arts",
            "Photography",
            "Fine Art",
            "Design",
            "Graphic Design",
            "Museums & Institutions",
            "Sports",
        ),
    ),
    (
        "Energy, Utilities & Mining",
        (
            "Oil & Energy",
            "Utilities",
            "Renewables & Environment",
            "Environmental Services",
            "Mining & Metals",
        ),
    ),
    (
        "Transportation & Logistics",
        (
            "Airlines/Aviation",
            "Logistics & Supply Chain",
            "Maritime",
            "Package/Freight Delivery",
            "Transportation/Trucking/Railroad",
            "Warehousing",
        ),
    ),
    (
        "Government & Public Sector",
        (
            "Government Administration",
            "Government Relations",
            "Judiciary",
            "Law Enforcement",
            "Legislative Office",
            "Military",
            "Public Policy",
            "Public Safety",
            "International Affairs",
            "International Trade & Development",
            "Political Organization",
        ),
    ),
    ("Legal", ("Law Practice", "Legal Services", "Alternative Dispute Resolution")),
    (
        "Non-Profit & Community",
        (
            "Non-Profit Organization Management",
            "Civic & Social Organization",
            "Philanthropy",
            "Religious Institutions",
        ),
    ),
    ("Agriculture", ("Farming", "Ranching", "Fishery")),
)

# Funding filters of Seamless search (companyLatestFunding* / latestFunding*): the
# API names the filters but not their values (docs/api/seamless.md, "Search"); these are
# the values the sandbox serves.
SEAMLESS_FUNDING_DATES = (
    "Last 30 Days",
    "Last 90 Days",
    "Last 180 Days",
    "Last 365 Days",
    "Last 2 Years",
    "More than 2 Years",
)
SEAMLESS_FUNDING_CLASSIFICATIONS = (
    "Pre-Seed",
    "Seed",
    "Angel",
    "Series A",
    "Series B",
    "Series C",
    "Series D",
    "Series E+",
    "Private Equity",
    "Debt Financing",
    "Convertible Note",
    "Grant",
    "Corporate Round",
)
SEAMLESS_FUNDING_TOTALS = (
    "$0 - $1M",
    "$1M - $5M",
    "$5M - $10M",
    "$10M - $25M",
    "$25M - $50M",
    "$50M - $100M",
    "$100M - $250M",
    "$250M+",
)
