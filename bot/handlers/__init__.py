"""Update handlers: thin translations between Telegram updates and the intake engine."""
