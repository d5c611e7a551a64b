"""Adapters: the only code that talks to the outside world, one port each."""
