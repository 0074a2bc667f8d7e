import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from glassbox.data.download import (
    ChecksumError,
    DownloadError,
    cache_dir,
    check_integrity,
    download_from_mirrors,
    download_url,
    extract_tar,
    file_digest,
)

CONTENT = bytes(range(256)) * 4000  # ~1 MB: more than one read chunk


def _leftovers(folder: Path) -> list:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def test_good_sha256_downloads_and_renames(local_server, tmp_path):
    url = local_server.publish("weights.bin", CONTENT)
    root = tmp_path / "cache"
    path = download_url(url, root, sha256=hashlib.sha256(CONTENT).hexdigest(), quiet=True)
    assert path == root / "weights.bin"
    assert path.read_bytes() == CONTENT
    assert _leftovers(root) == []


def test_good_md5_and_cached_file_is_not_fetched_again(local_server, tmp_path):
    url = local_server.publish("data.gz", CONTENT)
    md5 = hashlib.md5(CONTENT).hexdigest()
    download_url(url, tmp_path, md5=md5, quiet=True)
    download_url(url, tmp_path, md5=md5.upper(), quiet=True)  # published checksums come in either case
    assert local_server.requested == ["/data.gz"]


def test_bad_checksum_keeps_nothing(local_server, tmp_path):
    url = local_server.publish("data.bin", CONTENT)
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as caught:
        download_url(url, tmp_path, sha256=wrong, quiet=True)
    message = str(caught.value)
    assert "checksum mismatch" in message and wrong in message
    assert hashlib.sha256(CONTENT).hexdigest() in message
    assert not (tmp_path / "data.bin").exists()
    assert _leftovers(tmp_path) == []


def test_corrupted_cached_file_is_replaced(local_server, tmp_path):
    url = local_server.publish("data.bin", CONTENT)
    (tmp_path / "data.bin").write_bytes(b"half a download")
    path = download_url(url, tmp_path, sha256=hashlib.sha256(CONTENT).hexdigest(), quiet=True)
    assert path.read_bytes() == CONTENT
    assert local_server.requested == ["/data.bin"]


def test_unreachable_url_says_offline(unreachable_url, tmp_path):
    with pytest.raises(DownloadError) as caught:
        download_url(unreachable_url, tmp_path, quiet=True, timeout=5)
    message = str(caught.value)
    assert "could not reach" in message and unreachable_url in message and "offline" in message
    assert not (tmp_path / "file.bin").exists() and _leftovers(tmp_path) == []


def test_http_error_is_reported(local_server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_url(local_server.url + "missing.bin", tmp_path, quiet=True)


def test_connection_cut_short_is_an_error(local_server, tmp_path):
    with pytest.raises(DownloadError):
        download_url(local_server.url + "cut-short/file.bin", tmp_path, quiet=True)
    assert not (tmp_path / "file.bin").exists() and _leftovers(tmp_path) == []


def test_unsupported_scheme_is_refused(tmp_path):
    with pytest.raises(ValueError, match="only http, https and file"):
        download_url("ftp://example.com/file.bin", tmp_path)


def test_mirrors_are_tried_in_turn(local_server, tmp_path):
    local_server.publish("file.bin", CONTENT)
    mirrors = [local_server.url + "nowhere/", local_server.url]
    path = download_from_mirrors(mirrors, "file.bin", tmp_path, md5=hashlib.md5(CONTENT).hexdigest(), quiet=True)
    assert path.read_bytes() == CONTENT
    assert local_server.requested == ["/nowhere/file.bin", "/file.bin"]


def test_all_mirrors_failing_lists_each(local_server, unreachable_url, tmp_path):
    mirrors = [local_server.url + "nowhere/", unreachable_url.rsplit("/", 1)[0]]
    with pytest.raises(DownloadError) as caught:
        download_from_mirrors(mirrors, "file.bin", tmp_path, quiet=True, timeout=5)
    message = str(caught.value)
    assert "HTTP 404" in message and "could not reach" in message


def test_cache_dir_argument_environment_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path / "from-env"))
    assert cache_dir() == tmp_path / "from-env"
    assert cache_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("GLASSBOX_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "glassbox"


def test_download_goes_to_environment_cache(local_server, tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path / "env-cache"))
    url = local_server.publish("a.bin", b"abc")
    assert download_url(url, quiet=True) == tmp_path / "env-cache" / "a.bin"


def test_digest_and_integrity(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(CONTENT)
    assert file_digest(path, "md5") == hashlib.md5(CONTENT).hexdigest()
    assert check_integrity(path, sha256=hashlib.sha256(CONTENT).hexdigest())
    assert not check_integrity(path, md5="0" * 32)
    assert not check_integrity(tmp_path / "absent")


def _tar(members) -> bytes:
    """A .tar.gz with (name, bytes | 'dir' | ('symlink', target)) members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if content == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(content, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_extract_tar_writes_files(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tar([("folder", "dir"), ("folder/one.bin", b"1"), ("folder/sub/two.bin", b"22")]))
    written = extract_tar(archive, tmp_path / "out")
    assert sorted(p.name for p in written) == ["one.bin", "two.bin"]
    assert (tmp_path / "out/folder/sub/two.bin").read_bytes() == b"22"


@pytest.mark.parametrize(
    "member",
    [("../escaped.bin", b"x"), ("folder/../../escaped.bin", b"x"), ("/tmp/escaped.bin", b"x"),
     ("link", ("symlink", "/etc/passwd"))],
    ids=["dotdot", "nested_dotdot", "absolute", "symlink"],
)
def test_extract_tar_refuses_unsafe_members(tmp_path, member):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar([("good.bin", b"ok"), member]))
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="unsafe archive") as caught:
        extract_tar(archive, out)
    assert repr(member[0]) in str(caught.value) and str(archive) in str(caught.value)
    assert not (out / "good.bin").exists()  # checked before anything is written
    assert not (tmp_path / "escaped.bin").exists()


def test_extract_damaged_archive(tmp_path):
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(_tar([("a.bin", CONTENT)])[:2000])
    with pytest.raises(ValueError, match="damaged"):
        extract_tar(archive, tmp_path / "out")


def test_mirror_serving_a_wrong_file_is_a_checksum_error(local_server, tmp_path):
    local_server.publish("file.bin", CONTENT)
    with pytest.raises(ChecksumError, match="from any mirror") as caught:
        download_from_mirrors([local_server.url + "gone/", local_server.url], "file.bin", tmp_path,
                              sha256="f" * 64, quiet=True)
    assert "HTTP 404" in str(caught.value) and "checksum mismatch" in str(caught.value)
