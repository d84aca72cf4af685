"""A small IMAP4rev1 server on loopback for the mailbox source tests.

It speaks the part of the protocol a read-only poller uses: CAPABILITY, LOGIN,
EXAMINE/SELECT, UID SEARCH (UID ranges, SINCE), UID FETCH of BODY.PEEK[] and
INTERNALDATE, NOOP and LOGOUT, over a real TCP socket.
"""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Mailbox:
    user: str
    password: str
    uidvalidity: int = 1772400000
    messages: list[tuple[int, str, bytes]] = field(default_factory=list)  # uid, date, body
    commands: list[str] = field(default_factory=list)


def _uid_set(spec: str, uids: list[int]) -> list[int]:
    wanted: set[int] = set()
    top = max(uids, default=0)
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        a = top if lo == "*" else int(lo)
        b = a if not hi else (top if hi == "*" else int(hi))
        a, b = min(a, b), max(a, b)
        wanted |= {u for u in uids if a <= u <= b}
    return sorted(wanted)


class _Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text.encode() if isinstance(text, str) else text)

    def handle(self) -> None:
        box = self.server.box  # type: ignore[attr-defined]
        self.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] loopback IMAP ready\r\n")
        selected = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            box.commands.append(f"{command} {args}".strip() if command != "LOGIN" else "LOGIN")
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK CAPABILITY done\r\n")
            elif command == "LOGIN":
                user, password = [a.strip('"') for a in args.split(" ", 1)]
                if (user, password) == (box.user, box.password):
                    self.send(f"{tag} OK LOGIN completed\r\n")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
            elif command in ("EXAMINE", "SELECT"):
                selected = True
                nxt = max((u for u, _, _ in box.messages), default=0) + 1
                self.send(f"* {len(box.messages)} EXISTS\r\n* 0 RECENT\r\n"
                          f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid\r\n"
                          f"* OK [UIDNEXT {nxt}] Predicted next UID\r\n"
                          "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                          f"{tag} OK [READ-ONLY] {command} completed\r\n")
            elif command == "UID" and selected:
                self.uid(tag, args, box)
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed\r\n")
            elif command == "LOGOUT":
                self.send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            else:
                self.send(f"{tag} BAD unsupported command\r\n")

    def uid(self, tag: str, args: str, box: Mailbox) -> None:
        sub, _, rest = args.partition(" ")
        uids = [u for u, _, _ in box.messages]
        if sub.upper() == "SEARCH":
            m = re.search(r"UID (\S+)", rest, re.IGNORECASE)
            found = _uid_set(m.group(1), uids) if m else uids
            since = re.search(r"SINCE (\S+)", rest, re.IGNORECASE)
            if since:
                day = datetime.strptime(since.group(1).strip('"'), "%d-%b-%Y").date()
                dates = {u: datetime.strptime(d[:11], "%d-%b-%Y").date()
                         for u, d, _ in box.messages}
                found = [u for u in found if dates[u] >= day]
            self.send(f"* SEARCH {' '.join(map(str, found))}\r\n{tag} OK SEARCH completed\r\n")
        elif sub.upper() == "FETCH":
            spec = rest.split(" ", 1)[0]
            for seq, (uid, date, body) in enumerate(box.messages, start=1):
                if uid in _uid_set(spec, uids):
                    self.send(f'* {seq} FETCH (UID {uid} INTERNALDATE "{date}" '
                              f"BODY[] {{{len(body)}}}\r\n".encode() + body + b")\r\n")
            self.send(f"{tag} OK FETCH completed\r\n")
        else:
            self.send(f"{tag} BAD unsupported UID command\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def imap_server(box: Mailbox) -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.box = box  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
