"""The Webhooks & Automations tab."""
