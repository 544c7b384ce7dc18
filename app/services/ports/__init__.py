"""The areas' ports: what each tab of the window may ask of the services, Qt-free and typed."""
