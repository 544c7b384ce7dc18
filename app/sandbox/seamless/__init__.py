"""The Seamless.AI half of the sandbox, under ``/api/client/v1`` of the same server.

Written from ``seeds/seamless-api-overview.txt`` (credits, deduplication, rate
limit; it wins on credits) and ``reference/seamless-public-api.md`` (the wire
contract). Modules:

* ``vocab``, ``data``, ``records`` — the demo database (20,000 people at 2,000
  companies, generated in memory from a fixed seed) and its wire shapes;
* ``filters``, ``search`` — the search filters and paging;
* ``research`` — research requests, polling, deduplication, researched records;
* ``accounts`` — organisations, users, keys, credits; ``oauth`` — tokens;
* ``gate`` — auth, rate limits, headers and error shapes in front of it all;
* ``webhooks`` — research webhooks; ``control`` — ``/_sandbox/seamless/...``.

Each module's docstring says what it decided where the documents are silent.
"""

from app.sandbox.seamless import (  # noqa: F401  (importing registers routes, schemas, tasks)
    accounts,
    control,
    gate,
    oauth,
    research,
    search,
    webhooks,
)
