"""nn-numpy: the reference numpy backend for nn."""

__version__ = "0.2.0"
