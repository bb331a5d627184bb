"""Participants: enrolment (randomization) and the emergency code-break."""
