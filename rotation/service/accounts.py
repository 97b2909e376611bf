"""Accounts of the web application: names, roles and argon2 password hashes in users.json.

Passwords are hashed with argon2id (argon2-cffi, the maintained binding); a hash made with
older parameters is replaced at the next successful login. `rotation user add` creates
accounts; the server only reads them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rotation.service.audit import record
from rotation.service.store import read_json_file, write_json_file

USERS_FILE = "users.json"
#: SPEC §10's roles. 经办人 uploads and plans; the others come with the records issue.
ROLES = ("经办人", "审核人", "审批人", "管理员")
NAME_PATTERN = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,40}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()
_lock = threading.Lock()


class AccountError(ValueError):
    """An account that cannot be created as asked (message in Chinese)."""


@dataclass(frozen=True)
class User:
    """A signed-in person and the roles they hold."""

    name: str
    roles: tuple[str, ...]

    def can(self, role: str) -> bool:
        """Whether the user holds `role`."""
        return role in self.roles


#: The single user of a server on loopback without accounts: the clerk at this PC.
LOCAL_USER = User("本机用户", ROLES)


class Accounts:
    """The accounts in a data folder."""

    def __init__(self, root: Path) -> None:
        self.path = root / USERS_FILE

    def _load(self) -> dict[str, dict[str, object]]:
        if not self.path.is_file():
            return {}
        data: dict[str, dict[str, object]] = read_json_file(self.path)
        return data

    def exist(self) -> bool:
        """Whether any account has been created."""
        return bool(self._load())

    def add(
        self,
        name: str,
        password: str,
        roles: list[str],
        *,
        replace: bool = False,
        by: str = "命令行",
    ) -> User:
        """Create (or, with `replace`, reset) an account; recorded in the audit log."""
        if not NAME_PATTERN.fullmatch(name):
            raise AccountError("用户名只能由 1～40 个汉字、字母、数字或 . - _ @ 组成")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
        unknown = [r for r in roles if r not in ROLES]
        if unknown or not roles:
            raise AccountError(f"角色应为以下之一或多个：{'、'.join(ROLES)}")
        with _lock:
            users = self._load()
            if name in users and not replace:
                raise AccountError(f"用户「{name}」已存在")
            users[name] = {"hash": _hasher.hash(password), "roles": list(dict.fromkeys(roles))}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json_file(self.path, users)
            self.path.chmod(0o600)
        record(
            self.path.parent,
            by,
            "account reset" if replace else "account added",
            account=name,
            roles=list(dict.fromkeys(roles)),
        )
        return User(name, tuple(roles))

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password is right, else None (the same time either way: an
        unknown name is checked against a dummy hash)."""
        users = self._load()
        entry = users.get(name)
        stored = str(entry["hash"]) if entry else _DUMMY
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if entry is None:
            return None
        if _hasher.check_needs_rehash(stored):
            with _lock:
                users = self._load()
                if name in users:
                    users[name]["hash"] = _hasher.hash(password)
                    write_json_file(self.path, users)
        return User(name, _roles(entry))

    def current(self, name: str) -> tuple[User, str] | None:
        """An account as it is now, with a fingerprint of its password hash (which changes when
        the password is reset): a session checks both on every request. None when removed."""
        entry = self._load().get(name)
        if entry is None:
            return None
        return User(name, _roles(entry)), str(entry["hash"])[-16:]

    def names(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every account and its roles."""
        return [(n, _roles(e)) for n, e in sorted(self._load().items())]


def _roles(entry: dict[str, object]) -> tuple[str, ...]:
    roles = entry.get("roles", [])
    return tuple(str(r) for r in roles) if isinstance(roles, list) else ()


_DUMMY = _hasher.hash("not a password of anyone")
