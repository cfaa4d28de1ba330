"""The MCP server loop over stdio: JSON-RPC dispatch, calls one at a time, cancellation."""

import asyncio
import inspect
import json
import os
import queue
import signal
import threading
import traceback

from .protocol import PROTOCOL_VERSIONS, RUNNER_VERSION, rpc_error
from .script_tool import ScriptTool
from .serialize import to_jsonable

EOF_GRACE_SECONDS = 5.0
_EOF = object()
# Frames of files in this folder are the runner's own (bundled or not): tracebacks skip them.
_PACKAGE_DIR = os.path.dirname(__file__)


class CallCancelled(BaseException):
    """Raised in the main thread when the client cancels the running call (BaseException: user
    `except Exception` blocks must not swallow it)."""


class Server:
    """The MCP server loop: a reader thread feeds messages; the main thread runs calls one at a time."""

    def __init__(self, tools, io_capture, memory_mb=None):
        self.tools = {t.name: t for t in tools}
        self.io = io_capture
        self.memory_mb = memory_mb
        self.inbox = queue.Queue()
        self.current_id = None
        self.cancelled = set()
        self.loop = None
        self.task = None
        self.state_lock = threading.Lock()
        self.done = threading.Event()

    def reader(self):
        for raw in iter(self.io.proto_in.readline, b""):
            line = raw.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                self.io.write_message({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
                continue
            if isinstance(message, dict) and message.get("method") == "notifications/cancelled":
                self.cancel((message.get("params") or {}).get("requestId"))
                continue
            self.inbox.put(message)
        # stdin closed: finish what is queued, but a call stuck past the grace period must not
        # keep an orphaned process alive (MCP stdio shutdown: close stdin, wait, then signal).
        self.inbox.put(_EOF)
        if not self.done.wait(EOF_GRACE_SECONDS):
            os._exit(0)

    def cancel(self, request_id):
        with self.state_lock:
            if len(self.cancelled) > 1000:
                self.cancelled.clear()  # ids of calls that had already finished; never needed again
            self.cancelled.add(request_id)
            if request_id is None or request_id != self.current_id:
                return
            if self.task is not None and self.loop is not None:
                self.loop.call_soon_threadsafe(self.task.cancel)
            else:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    def _on_sigusr1(self, _signum, _frame):
        with self.state_lock:
            active = self.current_id is not None and self.current_id in self.cancelled
        if active:
            raise CallCancelled()

    def run(self):
        signal.signal(signal.SIGUSR1, self._on_sigusr1)
        threading.Thread(target=self.reader, name="toolport-reader", daemon=True).start()
        while True:
            message = self.inbox.get()
            if message is _EOF:
                self.done.set()
                return
            if isinstance(message, list):
                replies = [r for r in (self.handle(m) for m in message) if r is not None]
                if replies:
                    self.io.write_message(replies)
                continue
            reply = self.handle(message)
            if reply is not None:
                self.io.write_message(reply)

    def handle(self, message):
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
        method = message.get("method")
        request_id = message.get("id")
        params = message.get("params") or {}
        if method is None:
            return None  # a response to something we never asked: ignore
        if "id" not in message:
            return None  # notifications (initialized, progress …) need no reply
        try:
            if method == "initialize":
                result = self.initialize(params)
            elif method == "ping":
                result = {}
            elif method == "tools/list":
                result = {"tools": [t.definition() for t in self.tools.values()]}
            elif method == "tools/call":
                result = self.call(request_id, params)
                if result is None:
                    return None
            elif method in ("resources/list", "prompts/list", "resources/templates/list"):
                result = {method.split("/")[0] if "templates" not in method else "resourceTemplates": []}
            else:
                return rpc_error(request_id, -32601, "Method not found: %s" % method)
        except InvalidParams as exc:
            return rpc_error(request_id, -32602, str(exc))
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def initialize(self, params):
        requested = params.get("protocolVersion")
        version = requested if requested in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[0]
        return {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "toolport-python", "version": RUNNER_VERSION},
        }

    def call(self, request_id, params):
        name = params.get("name")
        arguments = params.get("arguments") or {}
        tool = self.tools.get(name)
        if tool is None:
            raise InvalidParams("Unknown tool: %s" % name)
        if not isinstance(arguments, dict):
            raise InvalidParams("arguments must be an object")
        with self.state_lock:
            if request_id in self.cancelled:
                self.cancelled.discard(request_id)
                return None
            self.current_id = request_id
        try:
            if isinstance(tool, ScriptTool):
                result = tool.run(arguments)
            else:
                result = self.call_function(tool, arguments)
        except CallCancelled:
            result = None
        except BaseException as exc:  # user code may raise anything (even SystemExit); report it
            result = exception_result(exc, self.memory_mb)
        finally:
            with self.state_lock:
                self.current_id = None
                self.task = None
                was_cancelled = request_id in self.cancelled
                self.cancelled.discard(request_id)
        logs = self.io.take()
        if result is None or was_cancelled:
            return None  # cancelled: the client no longer expects a reply
        if logs:
            result["content"].append({"type": "text", "text": "[stdout]\n" + logs})
            result.setdefault("_meta", {})["logs"] = logs
        return result

    def call_function(self, tool, arguments):
        positional, keywords = tool.bind(arguments)
        if tool.is_async:
            if self.loop is None:
                self.loop = asyncio.new_event_loop()
                asyncio.set_event_loop(self.loop)
            with self.state_lock:
                self.task = self.loop.create_task(tool.func(*positional, **keywords))
                task = self.task
            try:
                value = self.loop.run_until_complete(task)
            except asyncio.CancelledError:
                raise CallCancelled() from None
        else:
            value = tool.func(*positional, **keywords)
            if inspect.isawaitable(value):
                value = asyncio.run(_await(value))
        data = to_jsonable(value)
        text = json.dumps(data, ensure_ascii=False)
        if isinstance(data, dict) and not (tool.wrap_result and tool.output_schema is not None):
            structured = data
        else:
            structured = {"result": data}
        return {"content": [{"type": "text", "text": text}], "structuredContent": structured}


async def _await(value):
    return await value


class InvalidParams(Exception):
    pass


def exception_result(exc, memory_mb=None):
    """A tool result reporting what user code raised, its traceback starting in the user's code."""
    kind = type(exc).__name__
    message = str(exc)
    if isinstance(exc, MemoryError):
        message = message or "out of memory"
        if memory_mb:
            message += " (memory limit %s MB)" % memory_mb
    if isinstance(exc, SystemExit):
        message = "script called exit(%s)" % (exc.code,)
    text = "%s: %s" % (kind, message) if message else kind
    frames = exc.__traceback__
    # Drop the runner's own frames: the traceback should start in the user's code.
    while frames is not None and frames.tb_next is not None and os.path.dirname(frames.tb_frame.f_code.co_filename) == _PACKAGE_DIR:
        frames = frames.tb_next
    tb = "".join(traceback.format_exception(type(exc), exc, frames))
    return {
        "content": [{"type": "text", "text": text}],
        "isError": True,
        "_meta": {"exception_type": kind, "traceback": tb[-8000:]},
    }
