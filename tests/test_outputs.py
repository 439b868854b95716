"""Where leaflets go and what is read: permissions, devices refused, bounded reads, checked logos."""

from __future__ import annotations

import io
import os
import socket
import stat
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from leaflet.cli import main
from leaflet.output import current_umask, write_atomic

from .conftest import EXAMPLES, ROOT, all_text


def run(*argv: str) -> tuple[int, str, bytes]:
    out, err, raw = io.StringIO(), io.StringIO(), io.BytesIO()
    code = main(list(argv), stdout=out, stderr=err, stdout_bytes=raw)
    return code, out.getvalue() + err.getvalue(), raw.getvalue()


def leaflet_cmd(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leaflet", *argv], cwd=ROOT, capture_output=True, timeout=60,
                          **kwargs)


# --- permissions ---------------------------------------------------------------------------------

@pytest.fixture()
def umask():
    def set_to(mask: int) -> None:
        os.umask(mask)
    old = os.umask(0o022)
    os.umask(old)
    yield set_to
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o027, 0o002])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, umask, mask):
    umask(mask)
    assert current_umask() == mask
    write_atomic(tmp_path / "x.pdf", b"%PDF-")
    assert stat.S_IMODE((tmp_path / "x.pdf").stat().st_mode) == 0o666 & ~mask


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "x.pdf"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_link_to_a_file_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.pdf"
    real.write_bytes(b"old")
    real.chmod(0o640)
    (tmp_path / "link.pdf").symlink_to("real.pdf")
    write_atomic(tmp_path / "link.pdf", b"new")
    assert (tmp_path / "link.pdf").is_symlink() and real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


# --- targets that are not files --------------------------------------------------------------------

def _fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "fifo")
    return tmp_path / "fifo"


def _socket(tmp_path: Path) -> Path:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    sock.close()
    return tmp_path / "sock"


def _device(tmp_path: Path) -> Path:
    """A null device of our own: were the refusal broken, the test must not replace the system's."""
    if os.geteuid() != 0:
        return Path("/dev/null")  # only root could replace it, and this is not root
    os.mknod(tmp_path / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return tmp_path / "null"


def _link_to_device(tmp_path: Path) -> Path:
    (tmp_path / "null.pdf").symlink_to(_device(tmp_path))
    return tmp_path / "null.pdf"


def _stdout(tmp_path: Path) -> Path:
    (tmp_path / "stdout").symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    return tmp_path / "stdout"


@pytest.mark.parametrize("target, message", [
    (_device, "it is a device"),
    (_stdout, "it is a system file"),
    (lambda tmp: Path("/proc/self/status"), "it is a system file"),
    (_fifo, "it is a FIFO"),
    (_socket, "it is a socket"),
    (_link_to_device, "it is a device"),
])
def test_output_to_anything_but_a_file_is_refused(tmp_path, target, message):
    path = target(tmp_path)
    before = os.lstat(path)
    code, text, _ = run("build", "diazepam", "-o", str(path))
    assert code == 3 and message in text and "Traceback" not in text
    after = os.lstat(path)
    assert (after.st_ino, after.st_mode, after.st_mtime_ns) == (before.st_ino, before.st_mode, before.st_mtime_ns)


def test_schema_output_is_checked_the_same_way(tmp_path):
    code, text, _ = run("schema", "-o", str(_device(tmp_path)))
    assert code == 3 and "it is a device" in text


def test_standard_output_closed_is_an_output_error():
    proc = subprocess.run(f"exec {sys.executable} -m leaflet build diazepam -o - >&-", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "cannot write to standard output: it is closed" in proc.stderr and "Traceback" not in proc.stderr


def test_a_reader_that_went_away_is_an_output_error():
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "leaflet", "build", "diazepam", "-o", "-"], cwd=ROOT,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 3, proc.stderr
    assert "cannot write to standard output: Broken pipe" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_a_full_disk_is_an_output_error():
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "leaflet", "build", "diazepam", "-o", "-"], cwd=ROOT,
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 3 and "No space left on device" in proc.stderr


# --- files we read -----------------------------------------------------------------------------------

def test_notes_from_a_device_are_refused_without_reading():
    code, text, _ = run("build", "diazepam", "--notes-file", "/dev/zero")
    assert code == 2 and "expected a notes file, found a device" in text


def test_a_notes_file_is_read_with_a_limit(tmp_path):
    (tmp_path / "notes.txt").write_text("x" * 70_000)
    code, text, _ = run("build", "diazepam", "--notes-file", str(tmp_path / "notes.txt"))
    assert code == 2 and "the notes file is larger than 64 KiB" in text


def test_a_fifo_as_patient_file_is_refused_not_waited_for(tmp_path):
    fifo = _fifo(tmp_path)
    proc = leaflet_cmd("build", "diazepam", "--patient", str(fifo), "-o", str(tmp_path / "x.pdf"), text=True)
    assert proc.returncode == 2 and "expected a patient file, found a FIFO" in proc.stderr


def test_proc_files_are_read_with_the_limit_although_they_say_they_are_empty(monkeypatch):
    from leaflet import files

    got = []
    real_read = os.read

    def counting_read(fd, n):
        got.append(real_read(fd, n))
        return got[-1]
    monkeypatch.setattr(files.os, "read", counting_read)
    with pytest.raises(files.ContentError, match="larger than 16 bytes"):
        files.read_limited(Path("/proc/self/status"), 16)
    assert sum(map(len, got)) == 17  # one byte more than the limit says it is too long; no more is read


def _pharmacy(tmp_path: Path, logo: str) -> Path:
    (tmp_path / "pharmacy.yaml").write_text(f"name: Test Pharmacy\nlogo: {logo}\n")
    return tmp_path / "pharmacy.yaml"


def _png(width: int, height: int, rows: bytes | None = None) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    if rows is None:
        rows = b"".join(b"\x00" + bytes([(x * 7 + y) % 256 for x in range(width)]) for y in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_small_made_png_logo_is_accepted(tmp_path):
    (tmp_path / "logo.png").write_bytes(_png(40, 20))
    code, text, _ = run("build", "diazepam", "--pharmacy", str(_pharmacy(tmp_path, "logo.png")), "-o",
                        str(tmp_path / "x.pdf"))
    assert code == 0, text


@pytest.mark.parametrize("make, message", [
    (lambda: _png(40, 20)[:60], "the logo is a damaged PNG file"),
    (lambda: _png(40, 20)[:20], "the logo is a damaged PNG file (no image size in its header)"),
    (lambda: _png(40, 20).replace(b"IDAT", b"IDAX"), "the logo is a damaged PNG file"),
    (lambda: (EXAMPLES / "pharmacy-logo.png").read_bytes()[:-200], "the logo is a damaged PNG file"),
    (lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "the logo is a damaged JPEG file"),
    (lambda: _jpeg()[: len(_jpeg()) // 2], "the logo is a damaged JPEG file"),
    (lambda: _png(0, 20), "the logo's header says it is 0 x 20 pixels"),
    (lambda: _png(30_000, 30_000, b""), "the logo is 30000 x 30000 pixels"),
])
def test_a_damaged_or_enormous_logo_is_a_user_error(tmp_path, make, message):
    (tmp_path / "logo.png").write_bytes(make())
    code, text, _ = run("build", "diazepam", "--pharmacy", str(_pharmacy(tmp_path, "logo.png")), "-o",
                        str(tmp_path / "x.pdf"))
    assert code == 2 and message in text and "internal error" not in text
    assert not (tmp_path / "x.pdf").exists()


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.radial_gradient("L").save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    from PIL import Image

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded")
    monkeypatch.setattr(Image, "open", no_decoding)
    bomb = _png(20_000, 20_000, zlib.compress(b"\x00" * 20_001 * 200))  # claims 400 million pixels
    (tmp_path / "logo.png").write_bytes(bomb)
    code, text, _ = run("build", "diazepam", "--pharmacy", str(_pharmacy(tmp_path, "logo.png")))
    assert code == 2 and "20000 x 20000 pixels" in text


def test_a_jpeg_logo_is_accepted(tmp_path):
    (tmp_path / "logo.jpg").write_bytes(_jpeg())
    code, text, _ = run("build", "diazepam", "--pharmacy", str(_pharmacy(tmp_path, "logo.jpg")), "-o",
                        str(tmp_path / "x.pdf"))
    assert code == 0, text


def test_a_logo_linked_to_a_device_or_a_fifo_is_refused(tmp_path):
    (tmp_path / "zero.png").symlink_to("/dev/zero")
    code, text, _ = run("build", "diazepam", "--pharmacy", str(_pharmacy(tmp_path, "zero.png")))
    assert code == 2 and "the logo must be beside the pharmacy file" in text  # /dev is elsewhere
    os.mkfifo(tmp_path / "fifo.png")
    proc = leaflet_cmd("build", "diazepam", "--pharmacy", str(_pharmacy(tmp_path, "fifo.png")), text=True)
    assert proc.returncode == 2 and "expected a logo file, found a FIFO" in proc.stderr


@pytest.mark.parametrize("where", ["../logo.png", "{abs}/logo.png", "link.png"])
def test_a_logo_outside_the_pharmacy_files_folder_is_refused(tmp_path, where):
    (tmp_path / "logo.png").write_bytes(_png(40, 20))
    folder = tmp_path / "pharmacy"
    folder.mkdir()
    (folder / "link.png").symlink_to(tmp_path / "logo.png")
    pharmacy = _pharmacy(folder, where.format(abs=tmp_path))
    code, text, _ = run("build", "diazepam", "--pharmacy", str(pharmacy))
    assert code == 2 and "the logo must be beside the pharmacy file" in text


def test_a_logo_in_a_folder_beside_the_pharmacy_file_is_fine(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "logo.png").write_bytes(_png(40, 20))
    code, text, _ = run("build", "diazepam", "--pharmacy", str(_pharmacy(tmp_path, "images/logo.png")), "-o",
                        str(tmp_path / "x.pdf"))
    assert code == 0, text


def test_a_linked_patient_file_does_not_show_the_files_text(tmp_path, monkeypatch):
    secret = tmp_path / "private" / "secrets.conf"
    secret.parent.mkdir()
    secret.write_text("api_token: hunter2-secret\ndate_dispensed: swordfish\n")
    (tmp_path / "patient.yaml").symlink_to(secret)
    monkeypatch.chdir(tmp_path)
    code, text, _ = run("build", "diazepam", "--patient", "patient.yaml", "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and text.startswith("leaflet: error: patient.yaml:")
    for leak in ("hunter2", "swordfish", "api_token", "secrets.conf", "private"):
        assert leak not in text
    code, text, _ = run("build", "diazepam", "--patient", str(secret), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "api_token" in text  # the file itself, given directly, gets the whole message


def test_the_example_logo_still_prints(tmp_path):
    code, text, _ = run("build", "diazepam", "--pharmacy", str(EXAMPLES / "pharmacy.yaml"), "-o",
                        str(tmp_path / "x.pdf"))
    assert code == 0 and "Riverside Community Pharmacy" in all_text((tmp_path / "x.pdf").read_bytes())


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_a_failed_build_sets_the_earlier_leaflet_at_its_path_aside(tmp_path, fmt):
    """Review finding: a build that failed left the previous patient's leaflet at the output path, where
    it could be printed as the new one. It is renamed NAME.stale-failed, as a batch does, and the
    message says so; a file of another name, and a build to standard output, are left alone."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text("name: Ann Old\ndirections: Take one 2 mg tablet at night.\n")
    new.write_text('name: Bob New\ndirections:\n  dose: "1,5"\n  unit: tablet\n')
    out, other = tmp_path / f"out.{fmt}", tmp_path / f"other.{fmt}"
    assert main(["build", "diazepam", "--format", fmt, "--patient", str(old), "-o", str(out)],
                stderr=io.StringIO()) == 0
    other.write_bytes(out.read_bytes())
    before = out.read_bytes()
    err = io.StringIO()
    assert main(["build", "diazepam", "--format", fmt, "--patient", str(new), "-o", str(out)], stderr=err) == 2
    assert not out.exists() and (tmp_path / f"out.{fmt}.stale-failed").read_bytes() == before
    assert "decimal comma" in err.getvalue() and f"renamed out.{fmt}.stale-failed" in err.getvalue()
    assert other.exists()
    assert main(["build", "diazepam", "--format", fmt, "--patient", str(new), "-o", "-"],
                stderr=io.StringIO(), stdout_bytes=io.BytesIO()) == 2
    assert other.exists()


def test_a_failed_build_to_a_link_sets_aside_the_file_it_points_to(tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text("name: Ann Old\ndirections: Take one 2 mg tablet at night.\n")
    new.write_text('name: Bob New\ndirections:\n  dose: "1,5"\n  unit: tablet\n')
    link = tmp_path / "today.pdf"
    link.symlink_to("real.pdf")
    assert main(["build", "diazepam", "--patient", str(old), "-o", str(link)], stderr=io.StringIO()) == 0
    before = (tmp_path / "real.pdf").read_bytes()
    err = io.StringIO()
    assert main(["build", "diazepam", "--patient", str(new), "-o", str(link)], stderr=err) == 2
    assert not (tmp_path / "real.pdf").exists() and (tmp_path / "real.pdf.stale-failed").read_bytes() == before
    assert link.is_symlink() and "renamed real.pdf.stale-failed" in err.getvalue()


def test_a_leaflet_written_before_a_later_failure_stays_in_place(tmp_path):
    """Review finding: a build whose "wrote ..." line could not be printed (standard error a closed
    pipe) renamed the leaflet it had just written to NAME.stale-failed."""
    class Closed(io.StringIO):
        def write(self, text):
            if text.startswith("wrote"):
                raise BrokenPipeError(32, "Broken pipe")
            return super().write(text)

    out = tmp_path / "out.pdf"
    out.write_bytes(b"old")
    assert main(["build", "diazepam", "-o", str(out)], stderr=Closed()) != 0  # (the message could not be printed)
    assert out.read_bytes().startswith(b"%PDF-") and not (tmp_path / "out.pdf.stale-failed").exists()
