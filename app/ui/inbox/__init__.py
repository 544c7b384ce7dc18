"""The Inbox tab: the conversation list (model, delegate, views, filters, search, actions,
notifications) around the thread pane, composer and contact panel.

Nothing is imported here on purpose: the thread pane, the composer and the list are
separate modules that must not pull each other in.
"""
