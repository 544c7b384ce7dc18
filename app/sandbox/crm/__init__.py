"""The Seedly CRM half of the sandbox: one module per area of docs/api/seedly-crm.md.

Each module declares its routes, tables and hooks in its ``register`` function;
``app.sandbox.server.register_areas`` calls them for every new server.
"""
