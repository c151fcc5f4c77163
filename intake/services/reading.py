"""Opening items: unwrap a data key with the reader's private key, then the content."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.crypto import (
    DecryptionError,
    ItemBinding,
    decrypt_item,
    unwrap_data_key,
    unwrap_data_keys,
)
from intake.models import Item, KeyWrap
from intake.services.binding import item_binding


class NoAccess(PermissionError):
    """The reader holds no wrap for this item (never granted, or removed)."""


def wrap_for(session: Session, item_id: str, *, staff_id: str | None = None,
             recovery_key_id: str | None = None) -> KeyWrap:
    """The one wrap row that lets this reader in."""
    query = select(KeyWrap).where(KeyWrap.item_id == item_id)
    if staff_id is not None:
        query = query.where(KeyWrap.staff_id == staff_id)
    elif recovery_key_id is not None:
        query = query.where(KeyWrap.recovery_key_id == recovery_key_id)
    else:
        query = query.where(KeyWrap.for_reporter.is_(True))
    wrap = session.scalars(query).first()
    if wrap is None:
        raise NoAccess("no key wrap for this reader")
    return wrap


def item_data_key(session: Session, item: Item, private_raw: bytes, *,
                  staff_id: str | None = None, recovery_key_id: str | None = None) -> bytes:
    """Unwrap an item's data key for one reader."""
    wrap = wrap_for(session, item.id, staff_id=staff_id, recovery_key_id=recovery_key_id)
    return unwrap_data_key(wrap.wrapped, private_raw, item_binding(item))


def open_item(session: Session, item: Item, private_raw: bytes, *,
              staff_id: str | None = None, recovery_key_id: str | None = None) -> bytes:
    """Decrypt an item's inline content for one reader."""
    if item.ciphertext is None:
        raise DecryptionError("item has no inline content")
    key = item_data_key(session, item, private_raw, staff_id=staff_id,
                        recovery_key_id=recovery_key_id)
    return decrypt_item(key, item_binding(item), item.ciphertext)


def open_items(session: Session, items: Sequence[Item], private_raw: bytes, *,
               staff_id: str) -> dict[str, bytes | None]:
    """Decrypt many inline items for one staff reader: one wrap query, one key load.

    Maps each item id to its content, or None where the reader holds no wrap or the
    item does not decrypt (the caller shows "no access" either way).
    """
    inline = [item for item in items if item.ciphertext is not None]
    wrapped: dict[ItemBinding, bytes] = {}
    if inline:
        by_id = {item.id: item for item in inline}
        wrapped = {item_binding(by_id[item_id]): blob for item_id, blob in session.execute(
            select(KeyWrap.item_id, KeyWrap.wrapped).where(
                KeyWrap.item_id.in_(list(by_id)),
                KeyWrap.staff_id == staff_id)).all()}
    keys = unwrap_data_keys(wrapped, private_raw) if wrapped else {}
    opened: dict[str, bytes | None] = {item.id: None for item in items}
    for item in inline:
        key = keys.get(item.id)
        if key is None or item.ciphertext is None:
            continue
        try:
            opened[item.id] = decrypt_item(key, item_binding(item), item.ciphertext)
        except DecryptionError:
            opened[item.id] = None
    return opened
