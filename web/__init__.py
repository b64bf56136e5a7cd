"""The web door: the same questionnaire and cases as the bot, as JavaScript-free pages."""
