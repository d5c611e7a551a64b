"""Composition root: settings -> adapters -> services; the daemon's loop and jobs."""
