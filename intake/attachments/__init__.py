"""Encrypted attachments: streaming encryption to the blob store, type detection, cleaning."""
