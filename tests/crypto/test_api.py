"""The package's public names are a contract other modules code against."""

import pytest

import intake.crypto as crypto
from intake.crypto import DecryptionError


def test_public_names_exist():
    for name in crypto.__all__:
        assert hasattr(crypto, name), name
    expected = {
        "DecryptionError", "PRIVATE_KEY_LEN", "PUBLIC_KEY_LEN", "generate_keypair",
        "keypair_from_seed", "public_from_private", "load_private", "load_public",
        "fingerprint", "export_private_pem", "import_private_pem", "export_public_pem",
        "import_public_pem", "FORMAT_VERSION", "UNBOUND_VERSION", "ItemBinding", "new_data_key",
        "encrypt_item", "decrypt_item",
        "wrap_data_key", "unwrap_data_key", "seal", "open_sealed", "SEGMENT_SIZE",
        "StreamEncryptor", "StreamDecryptor", "stream_associated_data", "encrypt_file",
        "decrypt_file", "iter_decrypt", "Argon2Params", "STAFF_DEFAULT", "RECEIPT_DEFAULT",
        "TEST_FAST", "seal_secret", "open_secret", "hash_passphrase", "verify_passphrase",
        "derive_kek", "wrap_private_key", "unwrap_private_key", "new_session_key",
        "wrap_for_session", "unwrap_for_session", "RECEIPT_DIGITS", "generate_code",
        "normalize_code", "ReceiptKeys", "derive_receipt_keys",
    }
    assert expected <= set(crypto.__all__)


def test_decryption_error_is_not_a_cryptography_exception():
    from cryptography.exceptions import InvalidTag

    assert issubclass(DecryptionError, Exception) and not issubclass(DecryptionError, InvalidTag)
    with pytest.raises(DecryptionError) as info:
        crypto.decrypt_item(bytes(32), crypto.ItemBinding("i", "k", "c"), b"\x01" + bytes(40))
    assert info.value.__suppress_context__
