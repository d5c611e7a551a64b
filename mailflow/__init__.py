"""mailflow: the académie de Strasbourg's appariement procedure, run entirely by email."""

__version__ = "0.1.0"
