"""Reading an HTML report (locust/html_report.py) back, and checking it against the CSV files.

- :func:`report_data`: the JSON the page embeds (``#locust-report-data``);
- :func:`table`: the text of a table's cells, by the table's id;
- :func:`assert_matches_csv`: the report's numbers (embedded data and
  visible tables) equal those of ``PREFIX_stats.csv``,
  ``PREFIX_requests.csv``, ``PREFIX_distribution.csv`` and
  ``PREFIX_failures.csv`` of the same run.
"""

import csv
import json
import re
from html.parser import HTMLParser

from locust.stats import round_half_up

__all__ = ["report_data", "table", "assert_matches_csv", "csv_rows"]

_DATA = re.compile(r'<script type="application/json" id="locust-report-data">(.*?)</script>', re.S)


def report_data(html):
    """The report's embedded data (a dict)."""
    found = _DATA.findall(html)
    assert len(found) == 1, "the report embeds its data once"
    return json.loads(found[0])


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(html, table_id):
    """The rows of the table ``table_id`` (header row first), each a list of cell texts."""
    parser = _Tables()
    parser.feed(html)
    assert table_id in parser.tables, "no table #%s" % table_id
    return parser.tables[table_id]


def csv_rows(path):
    """The rows of a CSV file as dicts."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _key(method, name):
    return (method or "", name)


def _ms_cell_equals(cell, csv_value):
    """A time cell of the report (two decimals below 10 ms) against the CSV's whole ms."""
    if csv_value == "N/A":
        return cell == "N/A"
    return round_half_up(float(cell)) == int(csv_value)


def _time_cell_equals(cell, csv_value):
    """A time cell (whole ms from 10 ms, two decimals below) against the CSV's two decimals."""
    value = float(csv_value)
    return abs(float(cell) - value) <= 0.51 if value >= 10 else float(cell) == value


def assert_matches_csv(html, prefix):
    """The report's requests, percentiles and failures equal the CSV files at ``prefix``."""
    data = report_data(html)
    rows = {_key(r["method"], r["name"]): r for r in data["requests"]}
    rows[("", "Aggregated")] = data["total"]
    stats = csv_rows(str(prefix) + "_stats.csv")
    assert {_key(r["Type"], r["Name"]) for r in stats} == set(rows)
    names = data["percentile_names"]
    for line in stats:
        row = rows[_key(line["Type"], line["Name"])]
        where = "%s %s" % (line["Type"], line["Name"])
        assert row["num_requests"] == int(line["Request Count"]), where
        assert row["num_failures"] == int(line["Failure Count"]), where
        assert round_half_up(row["median_response_time"] or 0) == int(line["Median Response Time"]), where
        assert round(row["avg_response_time"] or 0, 2) == float(line["Average Response Time"]), where
        assert round(row["min_response_time"] or 0, 2) == float(line["Min Response Time"]), where
        assert round(row["max_response_time"] or 0, 2) == float(line["Max Response Time"]), where
        assert round(row["avg_content_length"], 2) == float(line["Average Content Size"]), where
        assert round(row["total_rps"], 2) == float(line["Requests/s"]), where
        assert round(row["total_fail_per_sec"], 2) == float(line["Failures/s"]), where
        for name, value in zip(names, row["percentiles"]):
            expected = line[name]
            assert (value is None and expected == "N/A") or (
                round_half_up(value) == int(expected)), (where, name)
    # The 0.7 files: successes and failures apart, and the distribution.
    for line in csv_rows(str(prefix) + "_requests.csv"):
        name = "Aggregated" if line["Name"] == "Total" else line["Name"]
        row = rows[_key(line["Method"], name)]
        assert row["num_successes"] == int(line["# requests"])
        assert row["num_failures"] == int(line["# failures"])
    for line in csv_rows(str(prefix) + "_distribution.csv"):
        row = data["total"] if line["Name"] == "Total" else rows[tuple(line["Name"].split(" ", 1))]
        assert row["num_successes"] == int(line["# requests"])
        for name in ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "100%"):
            value = row["percentiles"][names.index(name)]
            assert (value is None and line[name] == "N/A") or round_half_up(value) == int(line[name])
    failures = csv_rows(str(prefix) + "_failures.csv")
    assert [(f["Method"], f["Name"], f["Error"], int(f["Occurrences"])) for f in failures] == [
        (f["method"], f["name"], f["error"], f["occurrences"]) for f in data["failures"]]

    # What a reader sees: the tables' cells.
    shown = table(html, "requests-table")
    header, body = shown[0], shown[1:]
    assert header[:4] == ["Type", "Name", "# Requests", "# Fails"]
    by_name = {_key(cells[0], cells[1]): cells for cells in body}
    for line in stats:
        cells = by_name[_key(line["Type"], line["Name"])]
        assert cells[2] == line["Request Count"] and cells[3] == line["Failure Count"]
        if int(line["Request Count"]) > int(line["Failure Count"]):
            assert _ms_cell_equals(cells[4], line["Median Response Time"])
            for cell, column in ((cells[5], "Average Response Time"), (cells[6], "Min Response Time"),
                                 (cells[7], "Max Response Time")):
                assert _time_cell_equals(cell, line[column]), (line["Name"], column, cell)
        assert float(cells[9]) == float(line["Requests/s"])
        assert float(cells[10]) == float(line["Failures/s"])
    shown = table(html, "percentiles-table")
    assert shown[0][2:] == names
    by_name = {_key(cells[0], cells[1]): cells for cells in shown[1:]}
    for line in stats:
        cells = by_name[_key(line["Type"], line["Name"])]
        for name, cell in zip(names, cells[2:]):
            assert _ms_cell_equals(cell, line[name]), (line["Name"], name, cell, line[name])
    return data
