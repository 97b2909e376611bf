"""Accounts of the web application: names, roles and argon2 password hashes in the records
(table users).

Passwords are hashed with argon2id (argon2-cffi, the maintained binding); a hash made with
older parameters is replaced at the next successful login. `rotation user add` creates
accounts; the server only reads them (and rehashes). A data folder used before the records kept
its accounts in users.json: they are moved into the records the first time it is opened.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rotation.service.store import DataDir, read_json_file

#: Where accounts were kept before the records (moved in, then renamed USERS_FILE.imported).
USERS_FILE = "users.json"
#: SPEC §10's roles: 经办人 uploads, plans, pins and scenarios; 审核人 publishes the 公示;
#: 审批人 approves or returns; 管理员 manages accounts and reads the audit log.
ROLES = ("经办人", "审核人", "审批人", "管理员")
NAME_PATTERN = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,40}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()


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
    """The accounts in a data folder's records."""

    def __init__(self, data: DataDir) -> None:
        self.data = data

    def exist(self) -> bool:
        """Whether any account has been created."""
        self.import_legacy()
        return bool(self.data.records().users())

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
        self.import_legacy()
        records = self.data.records()
        if records.user(name) is not None and not replace:
            raise AccountError(f"用户「{name}」已存在")
        kept = list(dict.fromkeys(roles))
        records.save_user(name, _hasher.hash(password), kept, by=by)
        return User(name, tuple(kept))

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password is right, else None (the same time either way: an
        unknown name is checked against a dummy hash)."""
        entry = self.data.records().user(name)
        stored = entry.password_hash if entry else _DUMMY
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if entry is None:
            return None
        if _hasher.check_needs_rehash(stored):
            self.data.records().save_user(
                name, _hasher.hash(password), entry.roles, by="系统（更新密码散列参数）"
            )
        return User(name, entry.roles)

    def current(self, name: str) -> tuple[User, str] | None:
        """An account as it is now, with a fingerprint of its password hash (which changes when
        the password is reset): a session checks both on every request. None when removed."""
        entry = self.data.records().user(name)
        if entry is None:
            return None
        return User(name, entry.roles), entry.password_hash[-16:]

    def names(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every account and its roles."""
        self.import_legacy()
        return [(u.name, u.roles) for u in self.data.records().users()]

    def import_legacy(self) -> int:
        """Move the accounts of users.json (kept before the records) into the records, once;
        how many were moved. An account already in the records is left as it is."""
        path = self.data.root / USERS_FILE
        if not path.is_file():
            return 0
        records = self.data.records()
        moved = 0
        with contextlib.suppress(OSError, ValueError):
            for name, entry in dict(read_json_file(path)).items():
                stored = str(entry.get("hash", ""))
                roles = [str(r) for r in entry.get("roles", []) if str(r) in ROLES]
                if records.user(name) is None and stored.startswith("$argon2") and roles:
                    records.save_user(name, stored, roles, by="系统（从 users.json 迁入）")
                    moved += 1
        path.rename(path.with_name(USERS_FILE + ".imported"))
        return moved


_DUMMY = _hasher.hash("not a password of anyone")
