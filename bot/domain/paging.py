"""Pages of a long list: which slice to show, clamped, so any page number is safe."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Page", "page_of"]


@dataclass(frozen=True, slots=True)
class Page:
    """Page `number` (from 0) of `total` items, `size` per page."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return self.number * self.size

    @property
    def count(self) -> int:
        """How many pages there are (at least one, perhaps empty)."""
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        """There is a page before this one."""
        return self.number > 0

    @property
    def has_next(self) -> bool:
        """There is a page after this one."""
        return self.number + 1 < self.count


def page_of(requested: int, total: int, size: int) -> Page:
    """The page asked for, or the nearest that exists (a forged or stale number is harmless)."""
    if size < 1:
        raise ValueError(f"page size must be positive, got {size}")
    last = max(0, (total - 1) // size)
    return Page(min(max(requested, 0), last), size, total)
