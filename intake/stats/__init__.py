"""Anonymised statistics: coded labels in, counts that cannot identify anyone out."""
