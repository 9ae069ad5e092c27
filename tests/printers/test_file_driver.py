"""The `file` driver: one file per document, ordered names, atomic, clear errors."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from core.contracts.printer import PrinterState
from core.errors import ConfigurationError, DeviceNotFound, ExternalError
from plugins.printers.file import FileDriver

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
TSPL = b"SIZE 76 mm,130 mm\r\nCLS\r\nPRINT 1,1\r\n"


def names(folder: Path) -> list[str]:
    """The documents in `folder`; fails if a partial (half-written) file is left over."""
    entries = sorted(os.listdir(folder))
    assert not [name for name in entries if name.endswith(".partial")]
    return [name for name in entries if not name.startswith(".")]


def test_documents_become_ordered_files_with_sniffed_extensions(tmp_path: Path) -> None:
    with FileDriver({"folder": str(tmp_path)}) as driver:
        driver.write(PDF)
        driver.write(PNG)
        driver.write(TSPL)
        assert driver.last_path == tmp_path / "00000003.bin"
    assert names(tmp_path) == ["00000001.pdf", "00000002.png", "00000003.bin"]
    assert (tmp_path / "00000001.pdf").read_bytes() == PDF
    assert (tmp_path / "00000003.bin").read_bytes() == TSPL


def test_prefix_document_and_extension_go_into_safe_names(tmp_path: Path) -> None:
    settings = {"folder": str(tmp_path), "prefix": "job 42/../", "extension": ".TSPL"}
    with FileDriver(settings) as driver:
        driver.write(TSPL, document="YT1234567890123")
        driver.write(TSPL, document="../../etc/passwd")
        driver.write(TSPL, document="顺丰 SF1234")
        driver.write(PDF, document="slip")
    assert names(tmp_path) == [
        "00000001-job_42_.._-YT1234567890123.tspl",
        "00000002-job_42_.._-_.._etc_passwd.tspl",
        "00000003-job_42_.._-_SF1234.tspl",
        "00000004-job_42_.._-slip.pdf",
    ]


def test_numbering_continues_across_jobs_and_instances(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a label")
    for job in ("a", "b"):
        with FileDriver({"folder": str(tmp_path), "prefix": job}) as driver:
            driver.write(TSPL)
            driver.write(TSPL)
    assert names(tmp_path) == [
        "00000001-a.bin",
        "00000002-a.bin",
        "00000003-b.bin",
        "00000004-b.bin",
        "notes.txt",
    ]


def test_concurrent_writers_never_overwrite_each_other(tmp_path: Path) -> None:
    def job(n: int) -> None:
        with FileDriver({"folder": str(tmp_path), "prefix": f"w{n}"}) as driver:
            for i in range(25):
                driver.write(f"{n}:{i}".encode())

    threads = [threading.Thread(target=job, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = names(tmp_path)
    assert len(files) == 100
    assert sorted(int(name[:8]) for name in files) == list(range(1, 101))
    contents = {(tmp_path / name).read_bytes() for name in files}
    assert contents == {f"{n}:{i}".encode() for n in range(4) for i in range(25)}
    for n in range(4):  # each writer's own documents are in its write order
        mine = [name for name in files if f"-w{n}." in name]
        assert [(tmp_path / m).read_bytes() for m in mine] == [
            f"{n}:{i}".encode() for i in range(25)
        ]


def test_a_full_disk_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = FileDriver({"folder": str(tmp_path)})
    driver.write(TSPL)
    real_write = os.write

    def disk_fills_up(fd: int, data: bytes) -> int:  # the OS edge: write(2) says ENOSPC
        if len(data) > 1000:
            real_write(fd, bytes(data[:1000]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", disk_fills_up)
    with pytest.raises(ExternalError, match=f"disk full writing to {tmp_path}") as caught:
        driver.write(b"x" * 5000)
    assert caught.value.retryable is True
    assert names(tmp_path) == ["00000001.bin"]  # no half-written label, no partial file
    monkeypatch.undo()
    driver.write(PDF)  # once there is space again, numbering continues
    assert names(tmp_path) == ["00000001.bin", "00000002.pdf"]


def test_a_refused_write_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def read_only(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if str(path).endswith(".partial"):  # the OS edge: open(2) says EROFS
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(ExternalError, match=f"cannot write to {tmp_path}: Read-only") as caught:
        FileDriver({"folder": str(tmp_path)}).write(TSPL)
    assert caught.value.retryable is False
    assert names(tmp_path) == []


def test_a_missing_folder_is_device_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "labels" / "today"
    with pytest.raises(DeviceNotFound, match=f"folder {missing} does not exist"):
        FileDriver({"folder": str(missing)}).write(TSPL)
    (tmp_path / "plain-file").write_text("")
    with pytest.raises(DeviceNotFound, match="is not a folder"):
        FileDriver({"folder": str(tmp_path / "plain-file")}).open()
    assert not missing.exists()


def test_create_makes_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo" / "labels"
    with FileDriver({"folder": str(folder), "create": "true"}) as driver:
        driver.write(PDF)
    assert names(folder) == ["00000001.pdf"]


def test_a_folder_removed_during_a_job_is_device_not_found(tmp_path: Path) -> None:
    folder = tmp_path / "labels"
    folder.mkdir()
    driver = FileDriver({"folder": str(folder)})
    driver.write(TSPL)
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
    with pytest.raises(DeviceNotFound, match="disappeared"):
        driver.write(TSPL)


def test_status_reports_the_folder(tmp_path: Path) -> None:
    ready = FileDriver({"folder": str(tmp_path)}).status()
    assert ready.state is PrinterState.READY and str(tmp_path) in ready.message
    gone = FileDriver({"folder": str(tmp_path / "nope")}).status()
    assert gone.state is PrinterState.OFFLINE


def test_close_is_idempotent_and_the_driver_reopens(tmp_path: Path) -> None:
    driver = FileDriver({"folder": str(tmp_path)})
    driver.close()
    driver.write(TSPL)
    driver.close()
    driver.close()
    driver.write(TSPL)
    assert names(tmp_path) == ["00000001.bin", "00000002.bin"]


def test_files_are_private_to_the_user(tmp_path: Path) -> None:
    with FileDriver({"folder": str(tmp_path)}) as driver:
        driver.write(PDF)  # labels carry receivers' names and addresses
        assert driver.last_path is not None
        assert driver.last_path.stat().st_mode & 0o077 == 0


def test_folder_setting_is_required() -> None:
    with pytest.raises(ConfigurationError, match="'folder' is required"):
        FileDriver({})
