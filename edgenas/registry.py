"""`Registry`: the one helper behind every registry of edgenas (a key maps to an object, once).

Each registry is a module-level `Registry` labelled with what its keys name,
so that every one has the same verbs and speaks the same way:

    _SPACES = Registry[str, SpaceFactory]("space")
    _SPACES.register("mnasnet", factory)
    _SPACES.get("resnet")   # UnknownNameError: unknown space 'resnet'; known spaces: mnasnet
    _SPACES.register("mnasnet", other)
    # DuplicateNameError: a space named 'mnasnet' is already registered; known spaces: mnasnet

Keys are names (a non-empty word) by default. A registry keyed by something
else, such as the Keras builders keyed by spec type, gives `key_name`, which
names a key in messages and listings (TF Model Garden's registry likewise
takes config classes as keys). Imports only the standard library and
`edgenas.errors`, so that any layer, `latency_models` included, can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

from edgenas.errors import DuplicateNameError, UnknownNameError

__all__ = ["Registry"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Registry(Generic[K, V]):
    """Objects registered under unique keys, with errors that list what exists.

    Args:
        label: What a key names, singular, as messages say it ("space", "reward kind").
        plural: Its plural (default: `label` + "s").
        key_name: Names a key in messages and listings; it must give a non-empty
            word for every key the registry is given or asked about. Default: the
            key itself, which must then be a non-empty word.

    Raises:
        ValueError: If `label` is empty.
    """

    def __init__(self, label: str, *, plural: str | None = None, key_name: Callable[[K], str] | None = None) -> None:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"a registry label must be a non-empty string, got {label!r}")
        self._label = label
        self._plural = plural or f"{label}s"
        self._key_name = key_name
        self._entries: dict[K, V] = {}

    @property
    def label(self) -> str:
        """What a key names, singular."""
        return self._label

    def register(self, key: K, value: V, *, replace: bool = False) -> None:
        """Registers `value` under `key`.

        Args:
            key: A name (a non-empty word without whitespace), or a key that
                `key_name` names.
            value: The registered object.
            replace: Allow replacing an existing registration.

        Raises:
            ValueError: If `key` is not a name (or `key_name` does not give one).
            DuplicateNameError: If `key` is taken and `replace` is false; the message lists the known keys.
        """
        name = self._name(key)
        if key in self._entries and not replace:
            raise DuplicateNameError(
                f"{_article(self._label)} {self._label} named {name!r} is already registered; "
                f"known {self._plural}: {self._known()}"
            )
        self._entries[key] = value

    def unregister(self, key: K) -> None:
        """Removes the registration of `key`.

        Raises:
            UnknownNameError: If nothing is registered under `key`; the message lists the known keys.
        """
        self.get(key)
        del self._entries[key]

    def get(self, key: K) -> V:
        """The object registered under `key`.

        Raises:
            UnknownNameError: If nothing is registered under `key` (an unhashable
                key included); the message lists the known keys.
        """
        try:
            return self._entries[key]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown {self._label} {self._describe(key)}; known {self._plural}: {self._known()}"
            ) from None

    def names(self) -> tuple[str, ...]:
        """The names of the registered keys, sorted (for listings and messages)."""
        return tuple(sorted(self._name(key) for key in self._entries))

    def items(self) -> tuple[tuple[K, V], ...]:
        """Every (key, object), in registration order."""
        return tuple(self._entries.items())

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._entries
        except TypeError:  # unhashable: never registered
            return False

    def __iter__(self) -> Iterator[K]:
        """The keys, in registration order."""
        return iter(tuple(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self._label!r}: {', '.join(self.names())})"

    def _name(self, key: K) -> str:
        name = key if self._key_name is None else self._key_name(key)
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise ValueError(f"{_article(self._label)} {self._label} name must be a non-empty word, got {key!r}")
        return name

    def _describe(self, key: K) -> str:
        return repr(key if self._key_name is None else self._key_name(key))

    def _known(self) -> str:
        return ", ".join(self.names()) or "none"


def _article(label: str) -> str:
    """The article before `label`: "an" before a vowel letter, else "a" (right for every label in use)."""
    return "an" if label[:1].lower() in "aeiou" else "a"
