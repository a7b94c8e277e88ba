"""Peak memory of reading an upload, each file in a fresh process (issue #12, item 4).

    python bench/upload_limits.py            # builds the files, prints one line per file

Reads (students.imports.read_table, then every row, as the check does) an XLSX bomb like the
one in the issue (290 KB unpacking to 293 MB of shared strings), a 100,000-row CSV, and with
--xlsx a 100,000-row XLSX. Each child reports its own resident high-water mark (VmHWM from
/proc/self/status), whether the file was refused, and why. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
)


def write_bomb(path: Path, unpacked_mb: int = 293) -> None:
    """A valid workbook whose sharedStrings.xml unpacks to `unpacked_mb` MB (about 1,000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", SHEET)
        item = "<si><t>" + "A" * 1000 + "</t></si>"
        count = unpacked_mb * 2**20 // len(item)
        chunk = (item * 1000).encode()
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for _ in range(count // 1000):
                part.write(chunk)
            part.write(b"</sst>")


def award_lines(rows: int) -> list[list[str]]:
    from students import imports

    lines = [imports.headers("ja")]
    for i in range(rows):
        lines.append(
            [
                *(f"M{i:06d}", "", "山田", f"花子{i}", "engineering", "2025-04-01", "3", "enrolled", "", "0", "0"),
                *("SPRING", "2025-04-01", "2028-03-31", "1800000", "1100000", "0"),
            ]
        )
    return lines


def write_csv(path: Path, rows: int) -> None:
    path.write_bytes(("\n".join(",".join(line) for line in award_lines(rows)) + "\n").encode("cp932"))


def write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for line in award_lines(rows):
        sheet.append(line)
    workbook.save(path)


def measure(path: Path) -> dict:
    """Read `path` in a fresh process; its peak memory, rows read, refusal."""
    env = {**os.environ, "PHDSUPPORT_TESTING": "true", "DJANGO_SETTINGS_MODULE": "phdsupport.settings"}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--read", str(path)],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def read_in_this_process(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from students.imports import UploadRejected, read_table

    content = path.read_bytes()
    start = time.perf_counter()
    outcome: dict = {"file": path.name, "bytes": len(content), "refused": None, "rows": 0}
    try:
        table = read_table(content, path.name)
        outcome["rows"] = sum(1 for _row in table.rows())
    except UploadRejected as error:
        outcome["refused"] = " ".join(error.messages)
    outcome["seconds"] = round(time.perf_counter() - start, 2)
    status = Path("/proc/self/status").read_text()
    outcome["peak_rss_kb"] = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    print(json.dumps(outcome, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--read", help="(child) read this file and report")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="also a --rows XLSX (slow to build)")
    args = parser.parse_args()
    if args.read:
        read_in_this_process(Path(args.read))
        return
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phdsupport.settings")
    os.environ.setdefault("PHDSUPPORT_TESTING", "true")
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as folder:
        files = [Path(folder) / "bomb.xlsx", Path(folder) / f"rows-{args.rows}.csv"]
        write_bomb(files[0])
        write_csv(files[1], args.rows)
        if args.xlsx:
            files.append(Path(folder) / f"rows-{args.rows}.xlsx")
            write_xlsx(files[2], args.rows)
        for path in files:
            outcome = measure(path)
            verdict = f"refused: {outcome['refused']}" if outcome["refused"] else f"{outcome['rows']:,} rows read"
            print(
                f"{path.name:>18} {outcome['bytes'] / 2**20:7.2f} MB  peak RSS "
                f"{outcome['peak_rss_kb'] / 1024:6.0f} MB  {outcome['seconds']:6.2f}s  {verdict}"
            )


if __name__ == "__main__":
    main()
