"""Output isolation: the protocol keeps the original stdout; what user code prints is captured."""

import json
import os
import sys
import tempfile
import threading

MAX_CAPTURE = 64 * 1024


class OutputCapture:
    """Moves fd 0/1 away from user code: the protocol keeps private dups, fd 1 writes go to a temp file."""

    def __init__(self):
        sys.stdout.flush()
        self.proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
        self.proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
        try:
            self.capture_fd, path = tempfile.mkstemp(prefix="toolport-stdout-")
            os.unlink(path)
        except OSError:
            # No writable temp dir: user output is dropped rather than allowed near the protocol.
            self.capture_fd = os.open(os.devnull, os.O_RDWR)
        os.dup2(self.capture_fd, 1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        self.stdout = sys.stdout
        self.lock = threading.Lock()

    def write_message(self, message):
        data = (json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        with self.lock:
            self.proto_out.write(data)

    def take(self):
        """What user code wrote to stdout since the last take (bounded), then resets the buffer."""
        try:
            sys.stdout.flush()
        except Exception:
            pass
        if sys.stdout is not self.stdout:
            sys.stdout = self.stdout
        try:
            size = os.lseek(1, 0, os.SEEK_CUR)
        except OSError:
            return ""
        if size <= 0:
            return ""
        data = os.pread(1, min(size, MAX_CAPTURE), 0)
        os.ftruncate(1, 0)
        os.lseek(1, 0, os.SEEK_SET)
        text = data.decode("utf-8", errors="replace")
        if size > MAX_CAPTURE:
            text += "\n… [%d more bytes cut]" % (size - MAX_CAPTURE)
        return text
