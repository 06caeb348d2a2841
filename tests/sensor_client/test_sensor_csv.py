"""CSV parsing: both formats, headers, and every bad-line case reported with its line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensor_client.csvsource import CsvFormatError, Reading, read_csv
from sensor_client.errors import InputError
from tests.utils.kit import sensor_csv


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text)
    return path


def test_values_only_with_blank_lines_and_comments(tmp_path: Path) -> None:
    source = read_csv(write(tmp_path, "# meter 1\n0\n0.5\n\n1\n3.64170771\n"))
    assert source.readings == (Reading(0.0), Reading(0.5), Reading(1.0), Reading(3.64170771))
    assert len(source.sha256) == 64


def test_timestamp_rows_iso_and_epoch_ms_with_header(tmp_path: Path) -> None:
    text = (
        "timestamp,value\n"
        "2026-01-01T00:00:00Z,1.0\n"
        "2026-01-01T00:10:00+00:00,1.5\n"
        "1767226800000,2\n"
        "2026-01-01T02:30:00+02:00,2.5\n"
    )
    source = read_csv(write(tmp_path, text))
    base = 1767225600000
    assert [r.timestamp_ms for r in source.readings] == [base + i * 600_000 for i in range(4)]
    assert [r.value_kwh for r in source.readings] == [1.0, 1.5, 2.0, 2.5]


def test_course_csv_reads_whole(tmp_path: Path) -> None:
    source = read_csv(sensor_csv())
    assert len(source.readings) == 3999
    assert source.readings[0].value_kwh == 0
    assert 47_000 < source.readings[-1].value_kwh < 48_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1\nabc\n3\n", "line 2: value 'abc' is not a number"),
        ("1\n-2\n", "line 2: value '-2' is negative"),
        ("1\nnan\n", "line 2: value 'nan' is not a finite number"),
        ("1\ninf\n", "line 2: value 'inf' is not a finite number"),
        ("nan\n1\n", "line 1: value 'nan' is not a finite number"),
        ("1\n2,3\n", "line 2: expected 1 field(s), found 2"),
        ("1767225600000,1\n1767225600000,2\n", "line 2: timestamp '1767225600000' is not after"),
        ("2026-01-01T00:10:00Z,1\n2026-01-01T00:00:00Z,2\n", "line 2: timestamp"),
        ("2026-01-01T00:00:00,1\n", "line 1: timestamp '2026-01-01T00:00:00' has no UTC offset"),
        ("1767225600,1\n", "is before 2000"),
        ("yesterday,1\n", "line 1: timestamp 'yesterday' is neither epoch ms nor ISO 8601"),
        ("1,2,3\n", "line 1: expected 1 or 2 fields, found 3"),
        ("", "the file holds no readings"),
        ("value\n", "the file holds no readings"),
    ],
)
def test_bad_lines_are_reported_with_line_numbers(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(CsvFormatError) as caught:
        read_csv(write(tmp_path, text))
    assert expected in str(caught.value)


def test_all_problems_collected_into_one_message(tmp_path: Path) -> None:
    text = "1\nx\n2\n-1\n3\nnan\n" + "y\n" * 30
    with pytest.raises(CsvFormatError) as caught:
        read_csv(write(tmp_path, text))
    message = str(caught.value)
    assert "33 bad line(s)" in message
    assert "line 2:" in message and "line 4:" in message and "line 6:" in message
    assert "... and 13 more" in message
    assert "Traceback" not in message


def test_missing_file_and_binary_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read CSV file"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(CsvFormatError, match="not UTF-8"):
        read_csv(_binary(tmp_path))


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"1\n\xff\xfe\x00\x81")
    return path
