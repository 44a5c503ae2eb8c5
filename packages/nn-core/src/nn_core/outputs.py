"""Where nn writes: one policy for every output path, and one atomic writer.

Every file nn writes (``nn train -o``, ``nn predict -o``, ``nn export -o``,
``nn plot``/``nn animate -o``, ``training.log``, checkpoints, a dataset's own
prediction writer such as the Kaggle submission) goes through this module, so
a typo or a crafted path never destroys what it should not:

``check_output_path(path, *, inputs=(), what="-o", stdout_ok=False) -> str``
    Call it before any work (before hours of training). It raises
    :class:`OutputError` (one line, naming ``what``) when ``path``

    - is empty (``-o ""``);
    - exists and is not a regular file: a directory, a FIFO, a socket or a
      device node such as ``/dev/null`` (as root, replacing it by a regular
      file would break the system);
    - is one of the run's ``inputs`` (the spec, the model being read, the data
      files the dataset reads), compared as files, not names, so a symlink or
      a hard link to an input is caught too;
    - exists and is read-only (even for root, whom ``os.access`` lets write
      anything): a read-only file is not silently replaced;
    - lies in a directory that does not exist or that we may not write.

    ``-`` and ``/dev/stdout`` name standard output: with ``stdout_ok=True``
    the function returns :data:`STDOUT` and the caller writes there; otherwise
    they are refused with a message saying the command cannot write to
    standard output. The return value is ``path`` itself otherwise.

``atomic_write(path, write)``
    Calls ``write(binary_file)`` on a temporary file created with ``O_EXCL``
    (``tempfile.mkstemp``) in the target's own directory, syncs it and renames
    it over ``path``. The temporary file is removed on any failure (an
    exception, Ctrl-C); a run killed with SIGKILL leaves one behind, and the
    next write into that directory removes it (:func:`remove_stale_temporaries`).
    At rename time the target is checked again: a path that has meanwhile
    become a device node, directory or FIFO is not replaced. A symlink at
    ``path`` is replaced by the new file (the rename never writes through it).

``atomic_path(path, suffix="")``
    The same as a context manager yielding the temporary path, for writers
    that insist on a file name (matplotlib's movie writers).

``open_log(path)``
    Opens an append-as-you-go file (``training.log``) after the same checks,
    without truncating anything that is not a regular file.

Temporary names are ``.NAME.<pid>.<random>.nntmp[.ext]``: the random part
makes them unpredictable (never a fixed name followed through a symlink), the
process id tells a live writer's file from a killed one's.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from nn_core.errors import NNError
from nn_core.filekind import special_kind

STDOUT = "-"
"""What :func:`check_output_path` returns for ``-`` and ``/dev/stdout`` when standard output is allowed."""
STDOUT_NAMES = ("-", "/dev/stdout")
STALE_SECONDS = 3600
"""A temporary file untouched this long is stale even if its writer's process id is in use again."""
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.nntmp(\.[A-Za-z0-9]+)?$")


class OutputError(NNError):
    """An output path nn refuses to write; the message names the option and the reason."""


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths are the same file (through symlinks and hard links); False if either is missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(
    path: str | os.PathLike[str] | None,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    what: str = "-o",
    stdout_ok: bool = False,
) -> str:
    """Refuse an output path that would destroy something (see the module docstring); return the path to use."""
    if path is None or str(path) == "":
        raise OutputError(f"{what} is empty; name the file to write")
    text = os.fspath(path)
    if text in STDOUT_NAMES:
        if stdout_ok:
            return STDOUT
        raise OutputError(f"{what} {text}: this command cannot write to standard output; name a file")
    descriptor = _descriptor_link(text)
    if descriptor is not None:
        raise OutputError(
            f"{what} {text} is a process's file descriptor ({descriptor}), not a file: replacing it would break "
            "the system's link; name a file" + (" (or - for standard output)" if stdout_ok else "")
        )
    try:
        status = os.stat(text)
    except FileNotFoundError:
        status = None
    except OSError as exc:
        raise OutputError(f"{what} {text}: cannot check it ({exc.strerror})") from None
    if status is not None:
        kind = special_kind(status.st_mode)
        if kind is not None:
            raise OutputError(f"{what} {text} is {kind}, not a regular file; name a new or regular file")
        for source in inputs:
            if source is not None and str(source) != "" and same_file(text, source):
                same = "" if os.fspath(source) == text else f" ({os.fspath(source)})"
                raise OutputError(f"{what} {text} is one of this run's inputs{same}; write somewhere else")
        if not status.st_mode & 0o222 or not os.access(text, os.W_OK):
            raise OutputError(f"{what} {text} exists and is read-only; remove it or make it writable first")
    parent = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(parent):
        raise OutputError(f"{what} {text}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {text}: directory {parent} is not writable")
    return text


def _in_proc(path: str) -> bool:
    return path == "/proc" or path.startswith("/proc/")


def _descriptor_link(text: str) -> str | None:
    """The /proc path ``text`` leads to when it is (a link to) a process's descriptor (``/dev/stderr``,
    ``/dev/fd/2``), else None.

    ``os.stat`` sees through such a link to whatever the descriptor is open on (a
    regular file when stderr is redirected), and the atomic rename would then
    replace the system's ``/dev/stderr`` link itself with our file.
    """
    current = os.path.abspath(text)
    for _ in range(40):  # the kernel's own limit on a chain of links
        parent = os.path.realpath(os.path.dirname(current))
        here = os.path.join(parent, os.path.basename(current))
        if _in_proc(parent):
            return here
        if not os.path.islink(here):
            return None
        current = os.path.normpath(os.path.join(parent, os.readlink(here)))
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid < 2**22  # someone else's live process, or a number no process can have
    return True


def remove_stale_temporaries(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files killed nn writers left in ``directory``; return what was removed.

    Only nn's own names (``.NAME.<pid>.<random>.nntmp``) are touched, and only
    when their process is gone or they have not changed for an hour.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    too_old = time.time() - STALE_SECONDS
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None:
            continue
        with contextlib.suppress(OSError):
            if not entry.is_file(follow_symlinks=False):
                continue
            if _pid_alive(int(match.group(1))) and entry.stat(follow_symlinks=False).st_mtime >= too_old:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _refuse_special_target(path: Path) -> None:
    """At rename time: never replace a directory, device or FIFO that appeared since the check."""
    with contextlib.suppress(FileNotFoundError):
        kind = special_kind(os.stat(path).st_mode)
        if kind is not None:
            raise OutputError(f"{path} is {kind}, not a regular file; not replacing it")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; on success rename it to ``path``, else remove it."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    remove_stale_temporaries(directory)
    _refuse_special_target(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=f".nntmp{suffix}", dir=directory)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a plain open() would honour the umask
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        _refuse_special_target(target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> None:
    """Call ``write(file)`` on an ``O_EXCL`` temporary file beside ``path``, sync it and rename it to ``path``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)
        f.flush()


def open_log(path: str | os.PathLike[str], what: str) -> IO[str]:
    """Open a log for writing as it grows: a regular file is truncated, anything else refused."""
    # O_NONBLOCK: a FIFO without a reader fails at once instead of hanging the run.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        os.set_blocking(fd, True)
        kind = special_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise OutputError(f"{what} {os.fspath(path)} is {kind}, not a regular file")
        os.ftruncate(fd, 0)
        return open(fd, "w", newline="", encoding="utf-8", closefd=True)  # noqa: SIM115 (the caller closes it)
    except BaseException:
        os.close(fd)
        raise


MAX_FOLDER_ENTRIES = 10_000


def data_files(spec: Any) -> list[str]:
    """The files a spec's dataset reads, as far as its parameters name them: they are never outputs.

    Every string parameter of ``data.dataset`` that names an existing file is
    one; one that names a folder (Kaggle's ``path``) contributes the regular
    files directly inside it.
    """
    found: list[str] = []
    stack: list[Any] = [dict(spec.data.dataset.params)]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif hasattr(value, "params"):  # a nested component reference
            stack.append(dict(value.params))
        elif isinstance(value, str) and value and "\0" not in value:
            path = os.path.expanduser(value)
            with contextlib.suppress(OSError, ValueError):
                if os.path.isfile(path):
                    found.append(path)
                elif os.path.isdir(path):
                    with os.scandir(path) as entries:
                        for count, entry in enumerate(entries):
                            if count >= MAX_FOLDER_ENTRIES:
                                break
                            if entry.is_file():
                                found.append(entry.path)
    return found


def spec_inputs(spec: Any) -> list[str]:
    """A spec's own file and its dataset's files: what a run reads and must never overwrite."""
    return [*([spec.source] if spec.source else []), *data_files(spec)]
