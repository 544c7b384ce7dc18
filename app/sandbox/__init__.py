"""The sandbox: a local HTTP server implementing the Seedly CRM and Seamless.AI APIs.

Written from the API notes (docs/api/seedly-crm.md, docs/api/seamless.md), never from
the client's models: it may import ``app.core.constants`` and nothing else of the
client. It is the embedded demo (`seedly-desk --demo`), the bed for every test
above unit level, and a training mode.
"""
