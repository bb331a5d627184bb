"""The LABEL_PRINTER setting: host:port of the pharmacy's ZPL printer, checked when the app starts."""

import pytest

from tracker.config import ConfigError, load_settings, parse_printer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("printer.pharmacy.local:9100", ("printer.pharmacy.local", 9100)),
        ("10.0.0.7:6101", ("10.0.0.7", 6101)),
        ("zebra-1", ("zebra-1", 9100)),
        ("[fe80::1]:9100", ("fe80::1", 9100)),
        ("[::1]", ("::1", 9100)),
        (" 10.0.0.7:9100 ", ("10.0.0.7", 9100)),
    ],
)
def test_a_printer_is_host_and_port_with_9100_by_default(value, expected):
    assert parse_printer(value) == expected


@pytest.mark.parametrize(
    "value", ["", ":9100", "host:", "host:0", "host:65536", "host:91x0", "[::1]x", "a b:9100"]
)
def test_a_mistyped_printer_is_refused(value):
    with pytest.raises(ConfigError):
        parse_printer(value)


def test_the_printer_is_unset_by_default_and_checked_at_start(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_PRINTER", raising=False)
    assert load_settings(str(tmp_path))["LABEL_PRINTER"] is None
    monkeypatch.setenv("LABEL_PRINTER", "10.0.0.7:9100")
    assert load_settings(str(tmp_path))["LABEL_PRINTER"] == "10.0.0.7:9100"
    monkeypatch.setenv("LABEL_PRINTER", "10.0.0.7:port")
    with pytest.raises(ConfigError, match="LABEL_PRINTER"):
        load_settings(str(tmp_path))
