"""Settings: defaults from config/, INTAKE_* overrides, strict production secrets."""

from __future__ import annotations

import pytest

from intake.settings import SettingsError, load_settings


def test_defaults_and_env_overrides(tmp_path):
    s = load_settings({"INTAKE_DATA_DIR": str(tmp_path), "INTAKE_PUBLIC_PORT": "9000",
                       "INTAKE_BEHIND_TLS": "yes", "INTAKE_REGIONS": "naryn,talas"})
    assert s.public_port == 9000 and s.review_port == 8001
    assert s.behind_tls is True
    assert s.regions == ("naryn", "talas")
    assert s.database_url == f"sqlite:///{tmp_path / 'intake.db'}"
    assert s.stats_threshold == 5


def test_development_generates_and_keeps_secrets(tmp_path):
    a = load_settings({"INTAKE_DATA_DIR": str(tmp_path)})
    b = load_settings({"INTAKE_DATA_DIR": str(tmp_path)})
    assert a.public_secret_key == b.public_secret_key != a.review_secret_key
    assert oct((tmp_path / "secrets.toml").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("bad", ["", "CHANGE-ME", "dev"])
def test_production_refuses_missing_or_dev_secret(tmp_path, bad):
    env = {"INTAKE_ENV": "production", "INTAKE_DATA_DIR": str(tmp_path),
           "INTAKE_PUBLIC_SECRET_KEY": bad,
           "INTAKE_REVIEW_SECRET_KEY": "r" * 40, "INTAKE_RATE_LIMIT_SECRET": "l" * 40}
    with pytest.raises(SettingsError, match="INTAKE_PUBLIC_SECRET_KEY"):
        load_settings(env)
    assert not (tmp_path / "secrets.toml").exists()


def test_production_example_file_refuses_until_filled(tmp_path):
    from intake.settings import CONFIG_DIR

    env = {"INTAKE_CONFIG": str(CONFIG_DIR / "production.example.toml"),
           "INTAKE_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="refuses to start"):
        load_settings(env)


def test_production_accepts_strong_distinct_secrets(tmp_path):
    env = {"INTAKE_ENV": "production", "INTAKE_DATA_DIR": str(tmp_path),
           "INTAKE_PUBLIC_SECRET_KEY": "p" * 40, "INTAKE_REVIEW_SECRET_KEY": "r" * 40,
           "INTAKE_RATE_LIMIT_SECRET": "l" * 40}
    assert load_settings(env).production


def test_bad_values_are_clear(tmp_path):
    with pytest.raises(SettingsError, match="INTAKE_PUBLIC_PORT"):
        load_settings({"INTAKE_DATA_DIR": str(tmp_path), "INTAKE_PUBLIC_PORT": "eighty"})


def test_the_instance_time_zone_must_be_a_known_zone(tmp_path):
    assert load_settings(environ={"INTAKE_TIME_ZONE": "Asia/Bishkek"},
                         data_dir=str(tmp_path)).time_zone == "Asia/Bishkek"
    for bad in ("Mars/Olympus", "", "../../etc/passwd"):
        with pytest.raises(SettingsError, match="time_zone"):
            load_settings(environ={"INTAKE_TIME_ZONE": bad}, data_dir=str(tmp_path))
