"""Tests of intake.crypto."""
