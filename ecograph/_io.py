"""Writing output files safely: the one rule of what may be written, and how.

Every file ecograph writes (a page, a picture, a report, an export, an imported
or changed map, a schema, a chart) goes through :func:`write_atomic`, which
first applies :func:`check_output`:

* never over a file the command reads (the map and every file it includes,
  a scenario, the tables being imported), compared by real path and by
  ``os.path.samefile`` (symbolic and hard links included);
* never onto a directory, a device, a pipe or a socket: only a regular file is
  replaced. The one exception is ``os.devnull`` (``/dev/null``), accepted as a
  deliberate sink: the bytes are written to it directly, nothing is renamed;
* only into a directory that exists.

The bytes go to a temporary file beside the target, then a rename: readers see
the old file or the new one, never half. Any failure (a full disk, a
read-only directory, Ctrl-C, or SIGTERM, which is turned into an exception
while a file is being written) removes the temporary file and leaves the
target as it was. Problems are :class:`~ecograph.errors.UsageError` with a
one-line message naming the file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from types import FrameType

from ecograph.errors import UsageError

__all__ = ["check_output", "is_sink", "sigterm_raises", "write_atomic"]

#: Exit status of a process ended by SIGTERM (128 + 15), as shells report it.
TERMINATED = 128 + signal.SIGTERM


def _same(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def is_sink(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is the null device, the one non-regular file ecograph writes to.

    Examples
    --------
    >>> is_sink(os.devnull), is_sink(".")
    (True, False)
    """
    try:
        return os.path.samefile(path, os.devnull)
    except OSError:
        return False


def check_output(
    path: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]] = (),
    *,
    directory: bool = False,
) -> None:
    """Refuse an output path that would overwrite an input or cannot hold a file.

    Parameters
    ----------
    path : str or path-like
        What will be written.
    inputs : iterable of str or path-like
        The files the command reads (a map's ``files``, a scenario, tables).
    directory : bool, default False
        ``path`` is a directory to write into (CSV export): it may exist as a
        directory, or be made in an existing parent.

    Raises
    ------
    UsageError
        ``cannot write PATH: REASON``: it is one of the inputs; it is a
        directory (or, with ``directory=True``, a file); it is a device, pipe
        or socket (``os.devnull`` is allowed); its directory does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "map.yaml").write_text("x")
    1
    >>> check_output(d / "out.html", [d / "map.yaml"])  # fine: nothing raised
    >>> check_output(d / "." / "map.yaml", [d / "map.yaml"])
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: cannot write .../map.yaml: it is an input of this command (...)
    >>> check_output(d, [])
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: cannot write ...: it is a directory
    >>> check_output("/dev/full") if os.path.exists("/dev/full") else print("no /dev/full")
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: cannot write /dev/full: not a regular file (a device...
    >>> check_output(os.devnull)  # the null device is a sink: allowed
    """
    target = os.fspath(path)
    if not target:
        raise UsageError("cannot write '': no file name")
    for source in inputs:
        name = os.fspath(source)
        if name and not name.startswith("<") and _same(target, name):  # not <string>
            raise UsageError(f"cannot write {target}: it is an input of this command ({name})")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            if directory:
                return
            raise UsageError(f"cannot write {target}: it is a directory")
        if directory:
            raise UsageError(f"cannot write {target}: it is a file, not a directory")
        if not stat.S_ISREG(info.st_mode) and not is_sink(target):
            raise UsageError(
                f"cannot write {target}: not a regular file (a device, pipe or socket)"
            )
    parent = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {target}: no directory {parent}")


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(TERMINATED)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Inside it, SIGTERM raises ``SystemExit(143)``, so cleanup code runs (files are removed).

    :func:`write_atomic` writes under it; a writer of several files wraps them
    all. Only the main thread can install signal handlers; elsewhere nothing
    changes. A handler someone else installed (or an outer ``sigterm_raises``)
    is left in charge, and the previous handler is restored on the way out.

    Examples
    --------
    >>> before = signal.getsignal(signal.SIGTERM)
    >>> with sigterm_raises():
    ...     signal.getsignal(signal.SIGTERM) is not before
    True
    >>> signal.getsignal(signal.SIGTERM) is before
    True
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield
        return
    signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | Iterable[bytes | memoryview],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    ``data`` is bytes, or an iterable of parts (bytes or memoryviews) written one
    after the other (a large file need not be joined in memory first).
    :func:`check_output` is applied first (with ``inputs``, the files the
    command reads). The bytes go to a temporary file in the same directory,
    are flushed to disk, and the file is renamed over ``path``. On any failure,
    SIGTERM included, the temporary file is removed and an existing ``path`` is
    left as it was. ``os.devnull`` receives the bytes directly.

    Raises
    ------
    UsageError
        From :func:`check_output`, or ``cannot write PATH: REASON`` when the
        system refuses (a full disk, no permission, a read-only file system).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(target, b"hello")
    >>> target.read_bytes()
    b'hello'
    >>> umask = os.umask(0); _ = os.umask(umask)
    >>> target.stat().st_mode & 0o777 == 0o666 & ~umask
    True
    >>> write_atomic(target, b"again", inputs=[target])
    Traceback (most recent call last):
    ...
    ecograph.errors.UsageError: cannot write ...out.txt: it is an input of this command (...)
    >>> target.read_bytes()
    b'hello'
    """
    inputs = list(inputs)
    check_output(path, inputs)
    parts = [data] if isinstance(data, bytes) else data
    target = os.fspath(path)
    if is_sink(target):
        try:
            with open(target, "wb") as sink:
                for part in parts:
                    sink.write(part)
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
        return
    directory = os.path.dirname(os.path.abspath(target))
    tmp: str | None = None
    with sigterm_raises():
        try:
            fd, tmp = tempfile.mkstemp(prefix=".ecograph-", suffix=".tmp", dir=directory)
            with os.fdopen(fd, "wb") as handle:
                for part in parts:
                    handle.write(part)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp makes the file private (0600); give it the usual permissions
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            # the checks again, just before the rename: the target may have changed since
            check_output(target, inputs)
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
