"""ZPL for thermal printers: the same fields, a ^BQ QR of the payload, nothing that ZPL would read as a
command, and delivery to a printer's raw TCP port."""

import re
import socket
import threading

import pytest

from labels import PrinterError, render_label_zpl, send_zpl
from tests.unit.labelkit import STUDY, sample_label


def _field_data(zpl: str) -> list[str]:
    return re.findall(r"\^FD(.*?)\^FS", zpl)


def _unescape(field: str) -> str:
    return re.sub(r"_([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), field)


def test_the_zpl_label_is_60_by_40_mm_at_203_dpi_in_utf8():
    zpl = render_label_zpl(sample_label())
    assert zpl.startswith("^XA\n^CI28\n")
    assert "^PW480" in zpl
    assert "^LL320" in zpl
    assert zpl.rstrip().endswith("^XZ")


def test_the_zpl_qr_is_model_2_at_error_correction_m_with_the_payload():
    label = sample_label()
    zpl = render_label_zpl(label)
    (qr,) = re.findall(r"\^BQN,(\d),(\d+)\^FD(.*?)\^FS", zpl)
    assert qr == ("2", "4", f"MA,{label.qr_payload}")


def test_the_zpl_carries_every_annex_vi_field():
    label = sample_label()
    fields = [_unescape(f) for f in _field_data(render_label_zpl(label))]
    for expected in [
        "UC-MSC 1×10^8 cells or placebo",  # the printer's resident font has no superscript digits
        STUDY.label["route"],
        "100 mL",
        "NCT04811651",
        label.participant_id,
        label.randomization_code,
        label.bag_id,
        "2026-03-14 09:26 +08:00",
        "2026-03-14 11:26 +08:00",
        STUDY.label["storage"],
        "For clinical trial use only",
        STUDY.label["emergency_contact"],
    ]:
        assert expected in fields


def test_characters_zpl_reads_as_commands_are_escaped_in_field_data():
    label = sample_label(statement="Use ^only~ for_trials", participant_id="UMS_01")
    zpl = render_label_zpl(label)
    fields = _field_data(zpl)
    assert all("^" not in f and "~" not in f for f in fields)
    assert "Use _5Eonly_7E for_5Ftrials" in fields
    assert "UMS_5F01" in fields
    assert "~" not in zpl
    # every text field is declared hex-escaped, so the escapes print as the characters they stand for
    assert zpl.count("^FH_^FD") == len(fields) - 1  # all but the QR


def test_identical_label_data_gives_identical_zpl():
    label = sample_label()
    assert render_label_zpl(label) == render_label_zpl(label)


class _FakePrinter:
    """A raw-port printer on 127.0.0.1 that keeps whatever one client sends until it closes."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            while chunk := connection.recv(65536):
                self.received += chunk

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.server.close()


def test_zpl_is_sent_whole_to_the_printer_port():
    printer = _FakePrinter()
    label = sample_label()
    zpl = render_label_zpl(label)
    try:
        send_zpl("127.0.0.1", printer.port, zpl, timeout=5)
    finally:
        printer.close()
    assert printer.received == zpl.encode("utf-8")
    assert "×".encode() in printer.received


def test_an_unreachable_printer_is_a_printer_error():
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    with pytest.raises(PrinterError, match=f"127.0.0.1:{port}"):
        send_zpl("127.0.0.1", port, render_label_zpl(sample_label()), timeout=2)


@pytest.mark.parametrize("text", ["", "hello", "^XA no end", None])
def test_only_a_zpl_program_is_sent(text):
    with pytest.raises(ValueError, match="ZPL"):
        send_zpl("127.0.0.1", 9, text, timeout=1)
