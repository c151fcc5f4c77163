"""Web plumbing both Flask apps share: the app base, headers, languages, rate limits."""
