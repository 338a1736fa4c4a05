"""Git objects for the sandbox GitHub API: real object ids, git's tree encoding, export to a bare repo.

An object id is ``sha1(b"<type> <len>\\0" + body)``, exactly as ``git hash-object`` computes it, so the
shas the sandbox reports are the ones ``git`` would give for the same content.
"""
from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypedDict

MODES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}


class GitError(ValueError):
    """Raised for an invalid git operation; the API layer turns it into a GitHub error response."""


def object_id(kind: str, body: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One tree entry. ``mode`` is GitHub's spelling ("040000" for trees)."""

    mode: str
    kind: str
    sha: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    timestamp: int  # seconds since the epoch, UTC

    def line(self) -> str:
        return f"{self.name} <{self.email}> {self.timestamp} +0000"


class CommitInfo(TypedDict):
    """A parsed commit object."""

    tree: str
    parents: list[str]
    author: Person
    committer: Person
    message: str


# a tree being edited: name -> an unchanged entry, or a subtree (dict) being rebuilt
_Node: TypeAlias = "dict[str, Entry | _Node]"


class ObjectStore:
    """The objects of one repository: ``{sha: (type, body)}``."""

    def __init__(self, objects: dict[str, tuple[str, bytes]] | None = None):
        self.objects: dict[str, tuple[str, bytes]] = dict(objects or {})

    # -- writing -----------------------------------------------------------------------------
    def put(self, kind: str, body: bytes) -> str:
        sha = object_id(kind, body)
        self.objects.setdefault(sha, (kind, body))
        return sha

    def put_blob(self, data: bytes) -> str:
        return self.put("blob", data)

    def put_tree(self, entries: dict[str, Entry]) -> str:
        return self.put("tree", encode_tree(entries))

    def put_commit(self, tree: str, parents: list[str], author: Person, committer: Person, message: str) -> str:
        lines = [f"tree {tree}"] + [f"parent {p}" for p in parents]
        lines += [f"author {author.line()}", f"committer {committer.line()}"]
        return self.put("commit", ("\n".join(lines) + "\n\n" + message).encode())

    # -- reading -----------------------------------------------------------------------------
    def kind(self, sha: str) -> str | None:
        obj = self.objects.get(sha)
        return obj[0] if obj else None

    def body(self, sha: str, kind: str) -> bytes:
        obj = self.objects.get(sha)
        if obj is None or obj[0] != kind:
            raise GitError(f"{kind} {sha} does not exist")
        return obj[1]

    def tree(self, sha: str) -> dict[str, Entry]:
        return decode_tree(self.body(sha, "tree"))

    def commit(self, sha: str) -> CommitInfo:
        """The commit's tree, parents, author, committer and message."""
        head, _, message = self.body(sha, "commit").decode().partition("\n\n")
        tree = ""
        parents: list[str] = []
        people: dict[str, Person] = {}
        for line in head.split("\n"):
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key in ("author", "committer"):
                who, _, when = value.rpartition("> ")
                name, _, email = who.partition(" <")
                people[key] = Person(name, email, int(when.split()[0]))
        return CommitInfo(tree=tree, parents=parents, author=people["author"], committer=people["committer"],
                          message=message)

    def walk(self, tree_sha: str, prefix: str = "", recursive: bool = True) -> list[tuple[str, Entry]]:
        """``[(path, entry)]`` in git's order; subtrees listed before their contents when recursive."""
        out: list[tuple[str, Entry]] = []
        for name, entry in self.tree(tree_sha).items():
            path = prefix + name
            out.append((path, entry))
            if recursive and entry.kind == "tree":
                out.extend(self.walk(entry.sha, path + "/"))
        return out

    def files(self, tree_sha: str) -> dict[str, bytes]:
        return {p: self.body(e.sha, "blob") for p, e in self.walk(tree_sha) if e.kind == "blob"}

    def find(self, tree_sha: str, path: str) -> Entry | None:
        """The entry at ``path`` ("" is the root tree itself)."""
        entry = Entry("040000", "tree", tree_sha)
        for part in [p for p in path.split("/") if p]:
            if entry.kind != "tree":
                return None
            child = self.tree(entry.sha).get(part)
            if child is None:
                return None
            entry = child
        return entry

    def is_ancestor(self, ancestor: str, sha: str) -> bool:
        seen: set[str] = set()
        todo = [sha]
        while todo:
            current = todo.pop()
            if current == ancestor:
                return True
            if current in seen or self.kind(current) != "commit":
                continue
            seen.add(current)
            todo.extend(self.commit(current)["parents"])
        return False

    # -- tree edits (POST git/trees) ---------------------------------------------------------
    def edit_tree(self, base_tree: str | None, edits: Sequence[tuple[str, Entry | None]]) -> str:
        """Apply ``(path, entry or None to delete)`` edits on ``base_tree``; returns the new tree's sha."""
        root: _Node = self._expand(base_tree) if base_tree else {}
        for path, entry in edits:
            parts = [p for p in path.split("/")]
            if not path or any(p in ("", ".", "..") for p in parts):
                raise GitError(f"invalid tree path '{path}'")
            node = root
            for part in parts[:-1]:
                child = node.get(part)
                if isinstance(child, Entry):
                    child = self._expand(child.sha) if child.kind == "tree" else {}
                elif child is None:
                    if entry is None:
                        break
                    child = {}
                node[part] = child
                node = child
            else:
                if entry is None:
                    node.pop(parts[-1], None)
                else:
                    node[parts[-1]] = entry
        sha = self._write(root)
        return sha if sha else self.put_tree({})

    def _expand(self, tree_sha: str) -> _Node:
        return {name: entry for name, entry in self.tree(tree_sha).items()}

    def _write(self, node: _Node) -> str | None:
        entries: dict[str, Entry] = {}
        for name, child in node.items():
            if isinstance(child, dict):
                sha = self._write(child)
                if sha:
                    entries[name] = Entry("040000", "tree", sha)
            else:
                entries[name] = child
        return self.put_tree(entries) if entries else None

    # -- persistence and export --------------------------------------------------------------
    def to_json(self) -> dict[str, list[str]]:
        return {sha: [kind, base64.b64encode(body).decode()] for sha, (kind, body) in self.objects.items()}

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> ObjectStore:
        return cls({sha: (kind, base64.b64decode(body)) for sha, (kind, body) in data.items()})

    def export_bare(self, dest: Path, refs: dict[str, str], head: str) -> Path:
        """Write a bare git repository (loose objects) that ``git clone``/``git fsck`` accept."""
        dest = Path(dest)
        for sub in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
            (dest / sub).mkdir(parents=True, exist_ok=True)
        (dest / "HEAD").write_text(f"ref: refs/heads/{head}\n")
        (dest / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n")
        (dest / "description").write_text("Exported from the dtmnb sandbox GitHub API\n")
        for sha, (kind, body) in self.objects.items():
            path = dest / "objects" / sha[:2] / sha[2:]
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(zlib.compress(f"{kind} {len(body)}\0".encode() + body))
        for ref, sha in refs.items():
            target = dest / ref
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(sha + "\n")
        return dest


def _sort_key(name: str, entry: Entry) -> bytes:
    return (name + "/" if entry.kind == "tree" else name).encode()


def encode_tree(entries: dict[str, Entry]) -> bytes:
    """Git's binary tree format: ``<mode> <name>\\0<20-byte sha>`` per entry, in git's order."""
    out = bytearray()
    for name, entry in sorted(entries.items(), key=lambda item: _sort_key(*item)):
        mode = "40000" if entry.mode == "040000" else entry.mode
        out += f"{mode} {name}\0".encode() + bytes.fromhex(entry.sha)
    return bytes(out)


def decode_tree(body: bytes) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    i = 0
    while i < len(body):
        space = body.index(b" ", i)
        nul = body.index(b"\0", space)
        mode = body[i:space].decode().rjust(6, "0")
        name = body[space + 1:nul].decode()
        entries[name] = Entry(mode, MODES.get(mode, "blob"), body[nul + 1:nul + 21].hex())
        i = nul + 21
    return entries
