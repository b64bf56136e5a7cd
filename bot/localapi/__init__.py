"""A local Bot API server that speaks Telegram's wire format, for tests and the demo."""
