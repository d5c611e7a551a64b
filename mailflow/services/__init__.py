"""Use cases: ports plus the domain; no protocol details, no SQL."""
