"""Feeds: RSS/Atom subscriptions that keep the store current: subscriptions in the store,
polite incremental fetching, the linked article's main text."""
