"""The console: people's side of chatguard (six roles, strong sign-in, a masked inbox, reveal with
a reason, every action audited). Installs and runs without Presidio; reveals go through the
vault's HTTP API, so the console never holds the master key."""
