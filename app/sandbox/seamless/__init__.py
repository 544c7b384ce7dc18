"""The Seamless.AI half of the sandbox, under ``/api/client/v1`` of the same server.

Written from the notes in docs/api/seamless.md (basics, credits, search,
research, already-researched records, types on the wire, webhooks; where the
overview and the wire contract disagree on credits, the overview wins). Modules:

* ``vocab``, ``data``, ``records`` — the demo database (20,000 people at 2,000
  companies, generated in memory from a fixed seed) and its wire shapes;
* ``filters``, ``search`` — the search filters and paging;
* ``research`` — research requests, polling, deduplication, researched records;
* ``accounts`` — organisations, users, keys, credits; ``oauth`` — tokens;
* ``gate`` — auth, rate limits, headers and error shapes in front of it all;
  ``routes`` — how handlers join the router; ``caller`` — who a request acts for;
* ``webhooks`` — research webhooks; ``control`` — ``/_sandbox/seamless/...``.

Each module's docstring says what it decided where the documents are silent.
Each module declares its routes, tables and hooks in its ``register`` function;
``app.sandbox.server.register_areas`` calls them for every new server.
"""
