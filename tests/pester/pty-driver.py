"""Runs a program on a real pseudo-terminal and lets a test drive it like a user at a keyboard.

Usage: python3 pty-driver.py PROGRAM [ARGS...]
Commands arrive one per line on stdin as JSON; each gets one JSON line back on stdout:
  {"op": "send", "text": "..."}                    type the text (a "\u0003" is Ctrl+C: the terminal driver
                                                   turns it into SIGINT for the foreground process group)
  {"op": "expect", "pattern": "re", "timeout": s}  wait for the regex in the output (ANSI stripped) after the
                                                   previous match; answers ok, match, seconds since the last send
  {"op": "alive"}                                  whether the program still runs
  {"op": "tail", "chars": n}                       the last n characters of output, for failure messages
End of stdin (or an error) kills the program's process group. Every wait is bounded by its timeout.
"""
import json
import os
import re
import select
import signal
import struct
import sys
import termios
import fcntl
import threading
import time

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78]")
CURSOR_QUERY = b"\x1b[6n"

pid, master = os.forkpty()
if pid == 0:
    try:
        # A user's terminal delivers Ctrl+C. A test started as a background job of a non-interactive shell inherits
        # SIGINT and SIGQUIT ignored (POSIX), and .NET keeps a signal ignored at start ignored: reset them for the shell.
        for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)

fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
output = bytearray()
changed = threading.Condition()
last_send = time.monotonic()
mark = 0


def pump():
    """Collects the program's output and answers its cursor-position queries as a terminal does."""
    while True:
        try:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(master, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            with changed:
                changed.notify_all()
            return
        for _ in range(chunk.count(CURSOR_QUERY)):
            os.write(master, b"\x1b[1;1R")
        with changed:
            output.extend(chunk)
            changed.notify_all()


def text():
    return ANSI.sub("", output.decode("utf-8", "replace")).replace("\r", "")


def alive():
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return False


def handle(cmd):
    global last_send, mark
    op = cmd["op"]
    if op == "send":
        os.write(master, cmd["text"].encode())
        last_send = time.monotonic()
        return {"ok": True}
    if op == "expect":
        pattern = re.compile(cmd["pattern"])
        deadline = time.monotonic() + float(cmd["timeout"])
        with changed:
            while True:
                current = text()
                found = pattern.search(current, mark)
                if found:
                    mark = found.end()
                    return {"ok": True, "match": found.group(0), "seconds": round(time.monotonic() - last_send, 3)}
                left = deadline - time.monotonic()
                if left <= 0:
                    return {"ok": False, "seconds": round(time.monotonic() - last_send, 3), "tail": current[-2000:]}
                changed.wait(min(left, 0.2))
    if op == "alive":
        return {"ok": True, "alive": alive(), "pid": pid}
    if op == "tail":
        with changed:
            return {"ok": True, "tail": text()[-int(cmd.get("chars", 2000)):]}
    return {"ok": False, "error": f"unknown op {op}"}


threading.Thread(target=pump, daemon=True).start()
try:
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(handle(json.loads(line))), flush=True)
finally:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
