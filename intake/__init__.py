"""Intake: a secure incident-reporting service for human-rights defenders."""
