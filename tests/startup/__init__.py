"""The start-up fidelity suite: every OpenIM process a target defines, started as far as
OpenIM's own start-up code goes, with that code (see README.md here)."""
