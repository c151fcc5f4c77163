"""Recipient keys: sizes, determinism, loading, fingerprints and the armored files."""

import base64

import pytest
from cryptography.hazmat.primitives import hpke

from intake.crypto import (
    PRIVATE_KEY_LEN,
    PUBLIC_KEY_LEN,
    export_private_pem,
    export_public_pem,
    fingerprint,
    generate_keypair,
    import_private_pem,
    import_public_pem,
    keypair_from_seed,
    load_private,
    load_public,
    public_from_private,
)


def test_sizes_and_consistency():
    private_raw, public_raw = generate_keypair()
    assert PRIVATE_KEY_LEN == 96 and PUBLIC_KEY_LEN == 1216
    assert len(private_raw) == 96 and len(public_raw) == 1216
    assert public_from_private(private_raw) == public_raw
    assert isinstance(load_private(private_raw), hpke.MLKEM768X25519PrivateKey)
    assert isinstance(load_public(public_raw), hpke.MLKEM768X25519PublicKey)


def test_generated_keys_differ():
    assert generate_keypair()[0] != generate_keypair()[0]


def test_keypair_from_seed_is_deterministic():
    seed = bytes(range(1, 97))
    assert keypair_from_seed(seed) == keypair_from_seed(seed)
    assert keypair_from_seed(seed)[1] != keypair_from_seed(bytes(96))[1]
    assert keypair_from_seed(seed)[0] == seed


@pytest.mark.parametrize("n", [0, 95, 97])
def test_wrong_lengths_raise_value_error(n):
    for fn in (keypair_from_seed, load_private, public_from_private):
        with pytest.raises(ValueError):
            fn(bytes(n))
    with pytest.raises(ValueError):
        load_public(bytes(n))
    with pytest.raises(ValueError):
        fingerprint(bytes(n))


def test_fingerprint_format():
    _, public_raw = generate_keypair()
    fp = fingerprint(public_raw)
    groups = fp.split(" ")
    assert len(groups) == 10 and all(len(g) == 4 for g in groups)
    assert fp == fp.upper() and all(c in "0123456789ABCDEF " for c in fp)


def test_private_pem_round_trip():
    private_raw, public_raw = generate_keypair()
    text = export_private_pem(private_raw)
    assert text.startswith("-----BEGIN INTAKE RECOVERY PRIVATE KEY-----\n")
    assert text.rstrip().endswith("-----END INTAKE RECOVERY PRIVATE KEY-----")
    assert fingerprint(public_raw) in text
    assert import_private_pem(text) == private_raw
    # Tolerates CRLF, indentation, a BOM and surrounding notes.
    messy = "\ufeffrecovery key, keep offline\r\n" + text.replace("\n", "\r\n  ") + "\nend\n"
    assert import_private_pem(messy) == private_raw


def test_public_pem_round_trip():
    _, public_raw = generate_keypair()
    text = export_public_pem(public_raw)
    assert text.startswith("-----BEGIN INTAKE PUBLIC KEY-----\n")
    assert import_public_pem(text) == public_raw


def test_pem_without_fingerprint_header_is_accepted():
    private_raw, _ = generate_keypair()
    body = base64.b64encode(private_raw).decode()
    text = (
        "-----BEGIN INTAKE RECOVERY PRIVATE KEY-----\n"
        f"{body}\n-----END INTAKE RECOVERY PRIVATE KEY-----\n"
    )
    assert import_private_pem(text) == private_raw


def _body_lines(text):
    lines = text.splitlines()
    body = [i for i, line in enumerate(lines) if line and ":" not in line and "-----" not in line]
    return lines, body


def test_pem_typo_is_caught_by_fingerprint():
    private_raw, _ = generate_keypair()
    lines, body = _body_lines(export_private_pem(private_raw))
    line = lines[body[0]]
    lines[body[0]] = ("B" if line[0] != "B" else "C") + line[1:]
    with pytest.raises(ValueError, match="fingerprint"):
        import_private_pem("\n".join(lines))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "",
        lambda t: "hello",
        lambda t: t.replace("-----END INTAKE RECOVERY PRIVATE KEY-----", ""),
        lambda t: t.replace("-----BEGIN INTAKE RECOVERY PRIVATE KEY-----", ""),
        lambda t: t + t,
        lambda t: "\n".join(reversed(t.splitlines())),
        lambda t: "\n".join("*" + line[1:] if len(line) == 64 else line for line in t.splitlines()),
        lambda t: "\n".join(line[:-1] if len(line) == 64 else line for line in t.splitlines()),
        lambda t: "\n".join(line[:-4] if len(line) == 64 else line for line in t.splitlines()),
        lambda t: "\n".join(line for line in t.splitlines() if len(line) != 64),
    ],
)
def test_malformed_private_pem(mangle):
    private_raw, _ = generate_keypair()
    with pytest.raises(ValueError):
        import_private_pem(mangle(export_private_pem(private_raw)))


def test_wrong_kind_of_key_file_says_so():
    private_raw, public_raw = generate_keypair()
    with pytest.raises(ValueError, match="PUBLIC KEY"):
        import_private_pem(export_public_pem(public_raw))
    with pytest.raises(ValueError, match="PRIVATE KEY"):
        import_public_pem(export_private_pem(private_raw))


def test_public_pem_with_invalid_mlkem_key():
    bogus = b"\xff" * PUBLIC_KEY_LEN
    body = base64.b64encode(bogus).decode()
    text = f"-----BEGIN INTAKE PUBLIC KEY-----\n{body}\n-----END INTAKE PUBLIC KEY-----\n"
    with pytest.raises(ValueError, match="not a valid"):
        import_public_pem(text)


def test_pem_read_back_from_paper_or_a_windows_editor():
    """A BOM right before BEGIN and spaces typed inside body lines are tolerated."""
    private_raw, _ = generate_keypair()
    lines, body = _body_lines(export_private_pem(private_raw))
    for i in body:
        lines[i] = " ".join(lines[i][j : j + 8] for j in range(0, len(lines[i]), 8))
    assert import_private_pem("\ufeff" + "\n".join(lines)) == private_raw


def test_pem_body_with_a_stray_character_is_refused_not_skipped():
    private_raw, _ = generate_keypair()
    lines, body = _body_lines(export_private_pem(private_raw))
    lines[body[1]] = lines[body[1]][:10] + "!" + lines[body[1]][10:]
    with pytest.raises(ValueError, match="base64"):
        import_private_pem("\n".join(lines))


def test_pem_with_a_second_end_line_is_refused():
    private_raw, _ = generate_keypair()
    text = export_private_pem(private_raw)
    with pytest.raises(ValueError, match="expected one"):
        import_private_pem(text + "-----END INTAKE RECOVERY PRIVATE KEY-----\n")


def test_public_pem_with_someone_elses_fingerprint_is_refused():
    _, public_raw = generate_keypair()
    _, other = generate_keypair()
    text = export_public_pem(public_raw).replace(fingerprint(public_raw), fingerprint(other))
    with pytest.raises(ValueError, match="fingerprint"):
        import_public_pem(text)


def test_fingerprint_header_with_a_colon_inside_is_still_checked():
    private_raw, public_raw = generate_keypair()
    text = export_private_pem(private_raw)
    damaged = text.replace(fingerprint(public_raw), fingerprint(public_raw)[:4] + ":X")
    with pytest.raises(ValueError, match="fingerprint"):
        import_private_pem(damaged)
