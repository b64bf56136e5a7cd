"""Handlers for the person who writes: the questionnaire, after submission, edits."""
