"""A searchable picker for long lists: type an ID or a few words, land on the item.

A native dropdown of 1,500 options cannot be searched (typing "O0412" jumps to the first
option starting with "O", then "O0"...). :class:`SearchPicker` is a text box with the
browser's suggestion list (an ipywidgets ``Combobox``) whose ``value`` is the picked
item's ID: the exact ID typed (any case), a full suggestion, or words that match one
item only. While the text matches several items or none, a hint under the box says
so, and an ``explain`` callback may say why an item the consultant asked for is not
offered (a parent that would make a cycle).

It keeps a Dropdown's interface (``options`` as ``(label, value)`` pairs, ``value``,
``observe(names="value")``, ``disabled``), so editors and tests use it the same way.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import traitlets

Option = tuple[str, Any]


class SearchPicker(widgets.VBox):  # type: ignore[misc]
    """A Combobox over ``ID — title`` labels; ``value`` is the ID (None when nothing is picked)."""

    value = traitlets.Any(None, allow_none=True)
    disabled = traitlets.Bool(False)

    def __init__(self, description: str = "", options: Sequence[Option] = (), value: Any = None,
                 layout: widgets.Layout | None = None, placeholder: str = "type an ID or words",
                 explain: Callable[[str], str | None] | None = None) -> None:
        self.combo = widgets.Combobox(description=description, placeholder=placeholder, ensure_option=False,
                                      continuous_update=True, layout=layout or widgets.Layout(width="80%"))
        self.combo.add_class("kpikit-picker")
        self.hint = widgets.HTML()
        self.hint.add_class("kpikit-picker-hint")
        super().__init__(children=[self.combo, self.hint])
        self.explain = explain
        self._syncing = False
        self._options: list[Option] = []
        self._by_label: dict[str, Any] = {}
        self._by_key: dict[str, Any] = {}
        self._label_of: dict[Any, str] = {}
        self.combo.observe(self._typed, names="value")
        self.observe(self._picked, names="value")
        self.observe(lambda c: setattr(self.combo, "disabled", bool(c["new"])), names="disabled")
        self.options = list(options)
        if value is not None:
            self.value = value

    # -- a Dropdown's interface ------------------------------------------------------------
    @property
    def options(self) -> list[Option]:
        return list(self._options)

    @options.setter
    def options(self, options: Sequence[Option]) -> None:
        self._options = [(str(label), v) for label, v in options]
        self._by_label = dict(self._options)
        self._label_of = {v: label for label, v in self._options}
        self._by_key = {str(v).strip().lower(): v for _l, v in self._options}
        self._syncing = True
        try:
            self.combo.options = tuple(label for label, _v in self._options)
        finally:
            self._syncing = False
        if self.value not in self._label_of:
            self.value = self._options[0][1] if self._options else None
        else:
            self._show(self.value)

    @property
    def search(self) -> str:
        """The text in the box (what the consultant typed)."""
        return str(self.combo.value)

    @search.setter
    def search(self, text: str) -> None:
        self.combo.value = text

    def resolve(self, text: str) -> tuple[Any, list[Option]]:
        """The item ``text`` names (or None) and the options it matches."""
        t = text.strip()
        if not t:
            return None, []
        if t in self._by_label:
            return self._by_label[t], []
        low = t.lower()
        if low in self._by_key:
            return self._by_key[low], []
        hits = [o for o in self._options if low in o[0].lower()]
        if len(hits) == 1:
            return hits[0][1], hits
        words = low.split()
        if len(words) > 1:
            hits = [o for o in self._options if all(w in o[0].lower() for w in words)]
            if len(hits) == 1:
                return hits[0][1], hits
        return None, hits

    # -- syncing the box and the value ------------------------------------------------------
    def _typed(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        text = str(change["new"])
        hit, hits = self.resolve(text)
        if hit is not None:
            self.hint.value = ""
            if hit == self.value:
                self._show(hit)
            else:
                self.value = hit
            return
        if not text.strip():
            self.hint.value = ""
            return
        why = self.explain(text.strip()) if self.explain else None
        if why:
            self.hint.value = f"<small style='color:#a40000'>{html.escape(why)}</small>"
        elif hits:
            self.hint.value = f"<small>{len(hits)} match{'es' if len(hits) != 1 else ''}: keep typing or pick one</small>"
        else:
            self.hint.value = f"<small style='color:#a40000'>nothing matches '{html.escape(text.strip())}'</small>"

    def _picked(self, change: dict[str, Any]) -> None:
        self._show(change["new"])

    def _show(self, value: Any) -> None:
        label = self._label_of.get(value, "") if value is not None else ""
        if self.combo.value != label:
            self._syncing = True
            try:
                self.combo.value = label
            finally:
                self._syncing = False
        self.hint.value = ""

    @traitlets.validate("value")
    def _valid(self, proposal: dict[str, Any]) -> Any:
        v = proposal["value"]
        if v is not None and v not in self._label_of:
            raise traitlets.TraitError(f"{v!r} is not one of the options")
        return v
