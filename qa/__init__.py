"""qa: cited answers and daily briefings from your own documents."""

__version__ = "0.1.0"
