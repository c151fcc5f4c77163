"""An item row's cryptographic binding: the case and parent it is stored under right now.

Every seal and every open goes through here, so an item whose case_id or parent_id was
changed in the database no longer opens (format 2); see docs/decisions.md.
"""

from __future__ import annotations

from intake.crypto import ItemBinding
from intake.models import Item


def item_binding(item: Item) -> ItemBinding:
    """Id, kind, case and parent as the row says; a moved row gives another binding."""
    return ItemBinding(item.id, item.kind, item.case_id, item.parent_id)
