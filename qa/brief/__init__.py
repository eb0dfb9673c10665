"""Daily briefings: window -> near-duplicates -> stories -> writing -> memory -> output."""
