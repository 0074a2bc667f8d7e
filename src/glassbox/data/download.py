"""Fetching data files: download to a cache, verify the published checksum, unpack archives safely.

Files land in the cache directory: the ``root`` argument when given, else the
``GLASSBOX_DATA`` environment variable, else ``~/.cache/glassbox``. A download
is written to a temporary file beside its destination, hashed as it streams,
and renamed into place only when its checksum matches, so an interrupted or
corrupted download never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20


class DownloadError(OSError):
    """A file could not be fetched (network unreachable, HTTP error, connection cut short)."""


class ChecksumError(DownloadError):
    """A file's contents do not match its published checksum."""


def cache_dir(root=None) -> Path:
    """Where data files live: ``root``, else ``$GLASSBOX_DATA``, else ``~/.cache/glassbox``."""
    if root is None:
        root = os.environ.get("GLASSBOX_DATA") or Path.home() / ".cache" / "glassbox"
    return Path(root).expanduser()


def file_digest(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's contents, read in chunks (``algorithm``: 'sha256' or 'md5')."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_digest(sha256: str | None, md5: str | None):
    """The (algorithm, hex digest) to verify against; sha256 wins when both are published."""
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    return None, None


def check_integrity(path, sha256: str | None = None, md5: str | None = None) -> bool:
    """True when ``path`` exists and matches the checksum (any existing file when no checksum is given)."""
    path = Path(path)
    if not path.is_file():
        return False
    algorithm, expected = _expected_digest(sha256, md5)
    return algorithm is None or file_digest(path, algorithm) == expected


def _filename_from_url(url: str) -> str:
    from urllib.parse import urlsplit

    name = PurePosixPath(urlsplit(url).path).name
    if not name:
        raise ValueError(f"download_url: cannot tell a file name from {url!r}; pass filename=")
    return name


def download_url(url: str, root=None, filename: str | None = None, sha256: str | None = None,
                 md5: str | None = None, timeout: float = 30.0, force: bool = False, quiet: bool = False) -> Path:
    """Download ``url`` into the cache directory and return the file's path.

    A file already there that matches the checksum is not fetched again (nor
    one with no checksum to compare, unless ``force``); one that does not match
    is replaced. Raises ``ChecksumError`` when the downloaded bytes do not match
    ``sha256``/``md5``, and ``DownloadError`` when the server cannot be reached
    (offline, unknown host, refused, timed out) or answers with an HTTP error.
    """
    from urllib.parse import urlsplit

    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https", "file"):
        raise ValueError(f"download_url: only http, https and file URLs can be fetched, got {url!r}")
    directory = cache_dir(root)
    destination = directory / (filename or _filename_from_url(url))
    algorithm, expected = _expected_digest(sha256, md5)
    if destination.is_file() and not force:
        if algorithm is None or file_digest(destination, algorithm) == expected:
            return destination
    directory.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"Downloading {url} to {destination}", file=sys.stderr)

    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{destination.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            digest = _stream(url, out, algorithm, timeout, destination)
            out.flush()
            os.fsync(out.fileno())
        if algorithm is not None and digest != expected:
            raise ChecksumError(
                f"checksum mismatch for {url}: expected {algorithm} {expected}, the downloaded file has {digest}. "
                f"The file was not saved to {destination}; the mirror may be serving a different or damaged file"
            )
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination


def _stream(url: str, out, algorithm: str | None, timeout: float, destination: Path) -> str | None:
    """Copy the response body into ``out`` chunk by chunk, hashing as it goes; returns the hex digest."""
    import http.client
    import urllib.error
    import urllib.request

    digest = hashlib.new(algorithm) if algorithm else None
    request = urllib.request.Request(url, headers={"User-Agent": "glassbox"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            received = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                received += len(chunk)
                if digest is not None:
                    digest.update(chunk)
    except urllib.error.HTTPError as error:
        message = f"downloading {url} failed: the server answered HTTP {error.code} {error.reason}"
        raise DownloadError(message) from error
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise DownloadError(
            f"could not reach {url}: {reason}. If this machine is offline, fetch the file elsewhere and "
            f"put it at {destination}"
        ) from error
    if announced is not None and announced.isdigit() and received != int(announced):
        raise DownloadError(f"downloading {url} failed: the connection closed after {received} of {announced} bytes")
    return digest.hexdigest() if digest is not None else None


def download_from_mirrors(mirrors, filename: str, root=None, sha256: str | None = None, md5: str | None = None,
                          timeout: float = 30.0, quiet: bool = False) -> Path:
    """Try ``mirror + filename`` for each mirror in turn; the first that yields a verified file wins.

    A checksum mismatch also moves on to the next mirror. When all fail, the
    error lists what each one said; it is a ``ChecksumError`` when some mirror
    served the file but with the wrong contents.
    """
    failures, mismatch = [], False
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            return download_url(url, root, filename, sha256=sha256, md5=md5, timeout=timeout, quiet=quiet)
        except DownloadError as error:
            mismatch = mismatch or isinstance(error, ChecksumError)
            failures.append(f"  {url}: {error}")
    error_type = ChecksumError if mismatch else DownloadError
    raise error_type(f"could not download {filename} from any mirror:\n" + "\n".join(failures))


def _safe_member_path(archive: Path, member: tarfile.TarInfo, destination: Path) -> Path:
    """Where ``member`` would land, refusing anything that could write outside ``destination``."""
    if not (member.isfile() or member.isdir()):
        kind = "link" if member.issym() or member.islnk() else "special file"
        raise ValueError(
            f"unsafe archive {archive}: member {member.name!r} is a {kind}; only files and folders are extracted"
        )
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]):
        raise ValueError(f"unsafe archive {archive}: member {member.name!r} would be written outside {destination}")
    target = (destination / Path(*name.parts)).resolve() if name.parts else destination
    if target != destination and destination not in target.parents:
        raise ValueError(f"unsafe archive {archive}: member {member.name!r} would be written outside {destination}")
    return target


def extract_tar(archive, destination=None) -> list:
    """Extract a .tar / .tar.gz into ``destination`` (default: beside the archive) and return the files written.

    Every member is checked before anything is written: absolute paths, ``..``
    components, links and device files are refused, so a hostile archive cannot
    write outside ``destination``. Each file is written atomically.
    """
    archive = Path(archive)
    destination = Path(destination) if destination is not None else archive.parent
    destination.mkdir(parents=True, exist_ok=True)
    destination = destination.resolve()
    written = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            targets = [_safe_member_path(archive, member, destination) for member in members]
            for member, target in zip(members, targets, strict=True):
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
                try:
                    with os.fdopen(handle, "wb") as out:
                        shutil.copyfileobj(source, out, _CHUNK)
                    os.replace(temporary, target)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
                written.append(target)
    except (tarfile.TarError, EOFError) as error:
        raise ValueError(f"cannot extract {archive}: the archive is damaged or not a tar file ({error})") from error
    return written
