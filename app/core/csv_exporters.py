"""The column sets other programs export contacts with, and what each column imports into.

A generic guess from a column's name cannot know that Outlook's "Title" is a
salutation while Salesforce's is the job title, that a vCard converter's "Name" is
the family name, or that HubSpot's "Record ID" is HubSpot's own id. So every
exporter whose files people bring has a table here, built from the header row it
writes (tests/fixtures/contacts/README.md names where each header row comes from):
a file whose header matches an exporter's signature is mapped by that table, column
by column, and only columns the table does not know fall back to the generic guess.

Table values are a target key of ``app.core.contact_csv`` (``firstName``,
``additionalPhones``, ``name`` for a full name…), ``OWNER`` for a column of owner
names (imported only when they match team members), or None: known, and not
imported (with the reason in ``notes`` where it is not obvious).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from app.core.import_values import fold

OWNER = "owner?"
"""A column of owner names or ids: imported into ``assignedTo`` only when its values match
the sub-account's team members."""


class UnknownColumn:
    """The type of ``UNKNOWN``: a table does not know the column (the generic guess
    decides)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = UnknownColumn()


@dataclass(frozen=True)
class Exporter:
    """One program's export: its name, the columns that identify it, and its table."""

    name: str
    signatures: tuple[frozenset[str], ...]
    """Sets of folded column names; a header holding every name of one set is this
    exporter's."""
    columns: Mapping[str, str | None]
    """Folded column name → target (None: not imported)."""
    patterns: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = ()
    """Numbered columns ("E-mail 2 - Value"): folded-name pattern → target of a match."""
    notes: Mapping[str, str] = field(default_factory=dict)
    """Folded column name → why it is not imported (shown beside the column)."""

    def target(self, header: str) -> str | None | UnknownColumn:
        """What ``header`` imports into under this table, or ``UNKNOWN``."""
        key = fold(header)
        if key in self.columns:
            return self.columns[key]
        for pattern, target in self.patterns:
            match = pattern.match(key)
            if match:
                return target(match)
        return UNKNOWN

    def matches(self, folded: set[str]) -> bool:
        """Whether a header (its folded names) is this exporter's."""
        return any(signature <= folded for signature in self.signatures)


def _table(entries: Mapping[str, str | None]) -> dict[str, str | None]:
    return {fold(name): target for name, target in entries.items()}


def _numbered(first: str, rest: str | None) -> Callable[[re.Match[str]], str | None]:
    def pick(match: re.Match[str]) -> str | None:
        return first if match.group(1) == "1" else rest

    return pick


def _ignored(_match: re.Match[str]) -> str | None:
    return None


_SALUTATION = "A salutation (Mr., Ms., Dr.): Seedly has no field for it."
_ONE_ADDRESS = "Seedly keeps one address per contact; the business address columns are imported."
_OWN_ID = "{name}'s own record ID, not a Seedly contact ID: not imported."

LINKEDIN = Exporter(
    "LinkedIn connections",
    (frozenset({"firstname", "lastname", "url", "connectedon"}),),
    _table(
        {
            "First Name": "firstName",
            "Last Name": "lastName",
            "URL": None,
            "Email Address": "email",
            "Company": "company",
            "Position": "title",
            "Connected On": None,
        }
    ),
    notes={fold("Connected On"): "When you connected on LinkedIn: Seedly has no field for it."},
)

_GOOGLE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (re.compile(r"^email(\d+)value$"), _numbered("email", "additionalEmails")),
    (re.compile(r"^phone(\d+)value$"), _numbered("phone", "additionalPhones")),
    (re.compile(r"^(?:email|phone|website|relation|event|im|address)\d+(?:label|type)$"), _ignored),
    (re.compile(r"^website\d+value$"), _ignored),
    (re.compile(r"^address1street$"), lambda _m: "addressLine1"),
    (re.compile(r"^address1city$"), lambda _m: "city"),
    (re.compile(r"^address1region$"), lambda _m: "state"),
    (re.compile(r"^address1postalcode$"), lambda _m: "postalCode"),
    (re.compile(r"^address1country$"), lambda _m: "country"),
    (re.compile(r"^address\d+[a-z]+$"), _ignored),
    (re.compile(r"^organization1name$"), lambda _m: "company"),
    (re.compile(r"^organization1title$"), lambda _m: "title"),
    (re.compile(r"^organization\d+[a-z]+$"), _ignored),
    (re.compile(r"^(?:relation|event|customfield|im)\d+[a-z]*$"), _ignored),
)

GOOGLE = Exporter(
    "Google Contacts",
    (
        frozenset({"firstname", "lastname", "labels", "email1value"}),
        frozenset({"organizationname", "labels"}),
        frozenset({"givenname", "familyname", "groupmembership"}),
    ),
    _table(
        {
            # The current export ("Google CSV").
            "First Name": "firstName",
            "Middle Name": None,
            "Last Name": "lastName",
            "Phonetic First Name": None,
            "Phonetic Middle Name": None,
            "Phonetic Last Name": None,
            "Name Prefix": None,
            "Name Suffix": None,
            "Nickname": None,
            "File As": None,
            "Organization Name": "company",
            "Organization Title": "title",
            "Organization Department": None,
            "Birthday": "dateOfBirth",
            "Notes": None,
            "Photo": None,
            "Labels": "tags",
            # The earlier export, still produced by older tools.
            "Name": "name",
            "Given Name": "firstName",
            "Additional Name": None,
            "Family Name": "lastName",
            "Yomi Name": None,
            "Given Name Yomi": None,
            "Additional Name Yomi": None,
            "Family Name Yomi": None,
            "Initials": None,
            "Short Name": None,
            "Maiden Name": None,
            "Gender": None,
            "Location": None,
            "Billing Information": None,
            "Directory Server": None,
            "Mileage": None,
            "Occupation": None,
            "Hobby": None,
            "Sensitivity": None,
            "Priority": None,
            "Subject": None,
            "Language": None,
            "Group Membership": "tags",
        }
    ),
    _GOOGLE_PATTERNS,
    notes={
        fold("Name Prefix"): _SALUTATION,
        fold("Address 1 - Formatted"): "The whole address in one cell; its parts are imported.",
    },
)

OUTLOOK = Exporter(
    "Outlook",
    (
        frozenset({"title", "firstname", "middlename", "lastname", "suffix", "jobtitle"}),
        frozenset({"emailaddress", "email2address", "mobilephone", "businessphone"}),
    ),
    _table(
        {
            "Title": None,
            "First Name": "firstName",
            "Middle Name": None,
            "Last Name": "lastName",
            "Suffix": None,
            "Given Name Yomi": None,
            "Family Name Yomi": None,
            "Company": "company",
            "Department": None,
            "Job Title": "title",
            "Office Location": None,
            "Business Street": "addressLine1",
            "Business Street 2": None,
            "Business Street 3": None,
            "Business City": "city",
            "Business State": "state",
            "Business Postal Code": "postalCode",
            "Business Country/Region": "country",
            "Business Country": "country",
            "Home Street": None,
            "Home Street 2": None,
            "Home Street 3": None,
            "Home City": None,
            "Home State": None,
            "Home Postal Code": None,
            "Home Country/Region": None,
            "Home Country": None,
            "Other Street": None,
            "Other Street 2": None,
            "Other Street 3": None,
            "Other City": None,
            "Other State": None,
            "Other Postal Code": None,
            "Other Country/Region": None,
            "Other Country": None,
            "Assistant's Phone": None,
            "Business Fax": None,
            "Business Phone": "additionalPhones",
            "Business Phone 2": "additionalPhones",
            "Callback": None,
            "Car Phone": None,
            "Company Main Phone": None,
            "Home Fax": None,
            "Home Phone": "additionalPhones",
            "Home Phone 2": "additionalPhones",
            "ISDN": None,
            "Mobile Phone": "phone",
            "Other Fax": None,
            "Other Phone": "additionalPhones",
            "Pager": None,
            "Primary Phone": "additionalPhones",
            "Radio Phone": None,
            "TTY/TDD Phone": None,
            "Telex": None,
            "Account": None,
            "Anniversary": None,
            "Assistant's Name": None,
            "Billing Information": None,
            "Birthday": "dateOfBirth",
            "Business Address PO Box": None,
            "Categories": "tags",
            "Children": None,
            "Directory Server": None,
            "E-mail Address": "email",
            "E-mail Type": None,
            "E-mail Display Name": None,
            "E-mail 2 Address": "additionalEmails",
            "E-mail 2 Type": None,
            "E-mail 2 Display Name": None,
            "E-mail 3 Address": "additionalEmails",
            "E-mail 3 Type": None,
            "E-mail 3 Display Name": None,
            "Gender": None,
            "Government ID Number": None,
            "Hobby": None,
            "Home Address PO Box": None,
            "Initials": None,
            "Internet Free Busy": None,
            "Keywords": None,
            "Language": None,
            "Location": None,
            "Manager's Name": None,
            "Mileage": None,
            "Notes": None,
            "Organizational ID Number": None,
            "Other Address PO Box": None,
            "Priority": None,
            "Private": None,
            "Profession": None,
            "Referred By": None,
            "Sensitivity": None,
            "Spouse": None,
            "User 1": None,
            "User 2": None,
            "User 3": None,
            "User 4": None,
            "Web Page": None,
        }
    ),
    notes={
        fold("Title"): _SALUTATION,
        fold("Account"): "Outlook's account field (not the company): not imported.",
        fold("Home Street"): _ONE_ADDRESS,
        fold("Home City"): _ONE_ADDRESS,
    },
)

HUBSPOT = Exporter(
    "HubSpot",
    (
        frozenset({"recordid", "contactowner"}),
        frozenset({"recordid", "lifecyclestage"}),
        frozenset({"recordid", "marketingcontactstatus"}),
    ),
    _table(
        {
            "Record ID": None,
            "First Name": "firstName",
            "Last Name": "lastName",
            "Email": "email",
            "Phone Number": "phone",
            "Mobile Phone Number": "additionalPhones",
            "Contact owner": OWNER,
            "Company Name": "company",
            "Associated Company": None,
            "Primary Associated Company ID": None,
            "Job Title": "title",
            "Lifecycle Stage": "lifecycleStage",
            "Lead Status": None,
            "Marketing contact status": None,
            "Original Source": "source",
            "Street Address": "addressLine1",
            "City": "city",
            "State/Region": "state",
            "Postal Code": "postalCode",
            "Country/Region": "country",
            "Date of birth": "dateOfBirth",
            "Create Date": None,
            "Last Activity Date": None,
            "Last Modified Date": None,
        }
    ),
    notes={fold("Record ID"): _OWN_ID.format(name="HubSpot")},
)

SALESFORCE = Exporter(
    "Salesforce report",
    (
        frozenset({"accountname", "mailingcity"}),
        frozenset({"contactowner", "accountname"}),
        frozenset({"salutation", "accountname"}),
    ),
    _table(
        {
            "Contact Owner": OWNER,
            "Salutation": None,
            "First Name": "firstName",
            "Last Name": "lastName",
            "Title": "title",
            "Department": None,
            "Account Name": "company",
            "Mailing Street": "addressLine1",
            "Mailing City": "city",
            "Mailing State/Province": "state",
            "Mailing State": "state",
            "Mailing Zip/Postal Code": "postalCode",
            "Mailing Country": "country",
            "Phone": "phone",
            "Mobile": "additionalPhones",
            "Fax": None,
            "Email": "email",
            "Lead Source": "source",
            "Birthdate": "dateOfBirth",
            "Contact ID": None,
            "Account ID": None,
            "Description": None,
            "Created Date": None,
            "Last Modified Date": None,
            "Last Activity": None,
        }
    ),
    notes={
        fold("Salutation"): _SALUTATION,
        fold("Contact ID"): _OWN_ID.format(name="Salesforce"),
    },
)

MAILCHIMP = Exporter(
    "Mailchimp audience",
    (
        frozenset({"emailaddress", "memberrating", "optintime"}),
        frozenset({"emailaddress", "leid", "euid"}),
    ),
    _table(
        {
            "Email Address": "email",
            "First Name": "firstName",
            "Last Name": "lastName",
            "Address": None,
            "Phone Number": "phone",
            "Birthday": "dateOfBirth",
            "Company": "company",
            "MEMBER_RATING": None,
            "OPTIN_TIME": None,
            "OPTIN_IP": None,
            "CONFIRM_TIME": None,
            "CONFIRM_IP": None,
            "LATITUDE": None,
            "LONGITUDE": None,
            "GMTOFF": None,
            "DSTOFF": None,
            "TIMEZONE": None,
            "CC": "country",
            "REGION": None,
            "LAST_CHANGED": None,
            "LEID": None,
            "EUID": None,
            "NOTES": None,
            "TAGS": "tags",
        }
    ),
    notes={
        fold("Address"): "Mailchimp writes the whole address in one cell; Seedly keeps street, "
        "city and postal code apart, so it is not imported.",
        fold("REGION"): "Where Mailchimp located the subscriber's IP address: not imported.",
    },
)

VCARD_CSV = Exporter(
    "vCard converter (vcf2csv)",
    (frozenset({"name", "givennames", "additionalnames", "organisation"}),),
    _table(
        {
            "Name": "lastName",
            "GivenNames": "firstName",
            "AdditionalNames": None,
            "Prefixes": None,
            "Suffixes": None,
            "Organisation": "company",
            "Unit": None,
            "Title": "title",
            "PostOfficeBox": None,
            "ExtendedAddress": None,
            "Street": None,
            "City": None,
            "Region": None,
            "PostalCode": None,
            "Country": None,
            "PostOfficeBoxWork": None,
            "ExtendedAddressWork": None,
            "StreetWork": "addressLine1",
            "CityWork": "city",
            "RegionWork": "state",
            "PostalCodeWork": "postalCode",
            "CountryWork": "country",
            "PostOfficeBoxHome": None,
            "ExtendedAddressHome": None,
            "StreetHome": None,
            "CityHome": None,
            "RegionHome": None,
            "PostalCodeHome": None,
            "CountryHome": None,
            "EmailPref": "email",
            "EmailWork": "additionalEmails",
            "EmailHome": "additionalEmails",
            "Email0": "additionalEmails",
            "Email1": "additionalEmails",
            "Email2": "additionalEmails",
            "Note": None,
            "Uid": None,
            "Photo": None,
        }
    ),
    (
        (re.compile(r"^tel(?:voice|cell|text)(?:work|home|\d)$"), lambda _m: "additionalPhones"),
        (re.compile(r"^tel\d$"), lambda _m: "additionalPhones"),
        (re.compile(r"^tel[a-z]*(?:work|home|\d)?$"), _ignored),
    ),
    notes={
        fold("StreetHome"): _ONE_ADDRESS.replace("business", "work"),
        fold("Street"): _ONE_ADDRESS.replace("business", "work"),
    },
)

EXPORTERS: tuple[Exporter, ...] = (
    LINKEDIN,
    MAILCHIMP,
    HUBSPOT,
    SALESFORCE,
    VCARD_CSV,
    OUTLOOK,
    GOOGLE,
)
"""Every known exporter, most specific signature first."""


def detect_exporter(header: Sequence[str]) -> Exporter | None:
    """The exporter whose file ``header`` is, or None for any other spreadsheet."""
    folded = {fold(name) for name in header}
    candidates = [e for e in EXPORTERS if e.matches(folded)]
    if not candidates:
        return None
    # Two signatures can fit a hand-made file: the table knowing most of its columns wins.
    return max(
        candidates,
        key=lambda e: sum(1 for name in header if not isinstance(e.target(name), UnknownColumn)),
    )


__all__ = [
    "EXPORTERS",
    "GOOGLE",
    "HUBSPOT",
    "LINKEDIN",
    "MAILCHIMP",
    "OUTLOOK",
    "OWNER",
    "SALESFORCE",
    "UNKNOWN",
    "VCARD_CSV",
    "Exporter",
    "UnknownColumn",
    "detect_exporter",
]
